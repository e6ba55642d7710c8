//! Renders a window of the size history as a PNG: steps with markers, the all-time max as a dashed red
//! line, UTC wall-clock time on x and human byte units on y, at round ticks. Needs no system font.

mod downsample;
mod draw;
mod encode;
mod font;
mod labels;
mod shape;
mod ticks;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use labels::human_bytes;
pub use shape::{
    DEFAULT_HEIGHT, DEFAULT_WIDTH, MAX_HEIGHT, MAX_PIXEL_RATIO, MAX_WIDTH, MIN_HEIGHT, MIN_WIDTH, PlotShape,
    Scale,
};
const LINE: RGBColor = RGBColor(31, 119, 180);

/// What a plot shows. Sizes are bytes, times epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotInput<'a> {
    pub bucket: &'a str,
    pub window_seconds: u64,
    pub from_ms: i64,
    pub to_ms: i64,
    /// The size when the window opens (the last sample before it).
    pub carry_in: Option<u64>,
    /// The window's samples `(ts, size)`, oldest first.
    pub samples: &'a [(i64, u64)],
    pub max: Option<u64>,
    /// The image's size and its scale.
    pub shape: PlotShape,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the embedded font is invalid")]
    Font,
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

fn draw_error(error: impl std::fmt::Display) -> RenderError {
    RenderError::Draw(error.to_string())
}

pub fn render_png(input: &PlotInput<'_>) -> Result<Vec<u8>, RenderError> {
    font::register()?;
    let (width, height) = (input.shape.width, input.shape.height);
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw(&root, input)?;
        root.present().map_err(draw_error)?;
    }
    encode::png(&rgb, width, height)
}

fn draw(root: &DrawingArea<BitMapBackend<'_>, Shift>, input: &PlotInput<'_>) -> Result<(), RenderError> {
    let from = input.from_ms;
    let to = input.to_ms.max(from + 1);
    let samples = downsample::per_column(input.samples, from, to, input.shape.columns());
    let steps = step_points(input.carry_in, &samples, from, to);
    draw::draw(root, input, &samples, &steps)
}

/// The size holds until the next change: each change is a vertical step.
fn step_points(carry_in: Option<u64>, samples: &[(i64, u64)], from: i64, to: i64) -> Vec<(i64, u64)> {
    let mut points = Vec::with_capacity(samples.len() * 2 + 2);
    let mut current = carry_in;
    if let Some(size) = current {
        points.push((from, size));
    }
    for &(ts, size) in samples {
        if let Some(before) = current {
            points.push((ts, before));
        }
        points.push((ts, size));
        current = Some(size);
    }
    if let Some(size) = current {
        points.push((to, size));
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_hold_each_size_until_the_next_change() {
        let points = step_points(Some(5), &[(10, 18), (20, 27)], 0, 30);
        assert_eq!(points, vec![(0, 5), (10, 5), (10, 18), (20, 18), (20, 27), (30, 27)]);
        assert_eq!(step_points(None, &[], 0, 30), vec![]);
    }
}
