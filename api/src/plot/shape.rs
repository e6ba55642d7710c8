//! The image's shape: its size in pixels and how the size axis is scaled.

use std::fmt;

pub const DEFAULT_WIDTH: u32 = 1000;
pub const DEFAULT_HEIGHT: u32 = 600;
pub const MIN_WIDTH: u32 = 320;
pub const MAX_WIDTH: u32 = 2000;
pub const MIN_HEIGHT: u32 = 200;
pub const MAX_HEIGHT: u32 = 1200;
/// Image pixels per CSS pixel of the screen the image is shown on (`window.devicePixelRatio`).
pub const MAX_PIXEL_RATIO: u32 = 4;

/// How the size axis is scaled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// From the window's smallest size to its largest, so that small changes show.
    #[default]
    Fitted,
    /// From zero to the all-time max.
    Zero,
}

impl Scale {
    pub const NAMES: [&'static str; 2] = ["fitted", "zero"];

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "fitted" => Some(Self::Fitted),
            "zero" => Some(Self::Zero),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fitted => "fitted",
            Self::Zero => "zero",
        }
    }
}

/// The image's width and height in pixels, how many of them make a CSS pixel where it is shown (text
/// and lines are sized for the image as it is seen), and its scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlotShape {
    pub width: u32,
    pub height: u32,
    pub pixel_ratio: u32,
    pub scale: Scale,
}

impl PlotShape {
    /// Roughly the pixel columns of the plotting area: more points than this cannot be told apart.
    pub fn columns(&self) -> usize {
        (self.width as usize * 9 / 10).max(1)
    }
}

impl Default for PlotShape {
    fn default() -> Self {
        Self { width: DEFAULT_WIDTH, height: DEFAULT_HEIGHT, pixel_ratio: 1, scale: Scale::Fitted }
    }
}

/// `1000x600@1|fitted`: part of a render's name.
impl fmt::Display for PlotShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}@{}|{}", self.width, self.height, self.pixel_ratio, self.scale.as_str())
    }
}

/// The sizes the size axis must show, before it is rounded to ticks: `(low, high)` with `low < high`.
///
/// Fitted, from the smallest to the largest of `sizes` (the sizes drawn) with a twentieth of the span
/// as padding each side; one size alone gets a range of a tenth of it around it. Zero, from 0 to the
/// largest of `sizes` and `max`, with a twentieth on top.
pub fn size_range(scale: Scale, sizes: impl IntoIterator<Item = u64>, max: Option<u64>) -> (u64, u64) {
    let (low, high) = sizes
        .into_iter()
        .fold(None, |range: Option<(u64, u64)>, size| {
            Some(range.map_or((size, size), |(low, high)| (low.min(size), high.max(size))))
        })
        .or(max.map(|max| (max, max)))
        .unwrap_or((0, 0));
    match scale {
        Scale::Zero => {
            let high = high.max(max.unwrap_or(0));
            (0, high.saturating_add((high / 20).max(1)))
        }
        Scale::Fitted if low == high => {
            let half = (low / 20).max(5);
            (low.saturating_sub(half), high.saturating_add(half))
        }
        Scale::Fitted => {
            let pad = ((high - low) / 20).max(1);
            (low.saturating_sub(pad), high.saturating_add(pad))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 22_544_384;

    #[test]
    fn fitted_ranges_hug_the_window() {
        let sizes = [BASE, BASE + 18, BASE + 27, BASE, BASE + 2];
        assert_eq!(size_range(Scale::Fitted, sizes, Some(BASE + 27)), (BASE - 1, BASE + 28));
        assert_eq!(size_range(Scale::Fitted, [0, 2_000], None), (0, 2_100));
    }

    #[test]
    fn a_flat_window_gets_room_around_its_size() {
        assert_eq!(size_range(Scale::Fitted, [2_000, 2_000], None), (1_900, 2_100));
        assert_eq!(size_range(Scale::Fitted, [0], None), (0, 5));
        assert_eq!(size_range(Scale::Fitted, [], Some(40)), (35, 45), "no sizes: around the max");
        assert_eq!(size_range(Scale::Fitted, [], None), (0, 5));
    }

    #[test]
    fn zero_ranges_reach_the_max() {
        assert_eq!(size_range(Scale::Zero, [BASE, BASE + 27], Some(40 * 1024 * 1024)).0, 0);
        assert!(size_range(Scale::Zero, [10], Some(1_000)).1 >= 1_000);
        assert_eq!(size_range(Scale::Zero, [], None), (0, 1));
    }

    #[test]
    fn shapes_name_their_render() {
        assert_eq!(PlotShape::default().to_string(), "1000x600@1|fitted");
        assert_eq!(Scale::parse("zero"), Some(Scale::Zero));
        assert_eq!(Scale::parse("log"), None);
    }
}
