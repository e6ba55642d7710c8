//! Renders a window of the size history as a PNG: steps with markers, the all-time max as a dashed red
//! line, UTC wall-clock time on x and human byte units on y. Needs no system font.

mod downsample;
mod encode;
mod font;
mod labels;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use labels::human_bytes;

pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 600;
/// Roughly the pixel width of the plotting area: more points than this cannot be told apart.
pub const COLUMNS: usize = 900;
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
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, input)?;
        root.present().map_err(draw_error)?;
    }
    encode::png(&rgb, WIDTH, HEIGHT)
}

fn draw(root: &DrawingArea<BitMapBackend<'_>, Shift>, input: &PlotInput<'_>) -> Result<(), RenderError> {
    root.fill(&WHITE).map_err(draw_error)?;
    let from = input.from_ms;
    let to = input.to_ms.max(from + 1);
    let samples = downsample::per_column(input.samples, from, to, COLUMNS);
    let steps = step_points(input.carry_in, &samples, from, to);

    let highest = steps.iter().map(|&(_, size)| size).chain(input.max).max().unwrap_or(0);
    let top = (highest + highest / 8).max(1);

    let title = format!("s3://{} — last {}", input.bucket, labels::duration(input.window_seconds));
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(from..to, 0u64..top)
        .map_err(draw_error)?;

    let span_ms = to - from;
    chart
        .configure_mesh()
        .x_labels(7)
        .y_labels(8)
        .x_label_formatter(&|ms| labels::clock_time(*ms, span_ms))
        .y_label_formatter(&|bytes| human_bytes(*bytes))
        .x_desc("time (UTC)")
        .y_desc("bucket size")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(draw_error)?;

    chart
        .draw_series(LineSeries::new(steps.iter().copied(), LINE.stroke_width(2)))
        .map_err(draw_error)?
        .label("bucket size")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], LINE.stroke_width(2)));
    chart
        .draw_series(samples.iter().map(|&(ts, size)| Circle::new((ts, size), 4, LINE.filled())))
        .map_err(draw_error)?;

    if let Some(max) = input.max {
        let label = format!("all-time max: {}", human_bytes(max));
        chart
            .draw_series(DashedLineSeries::new([(from, max), (to, max)], 10, 6, RED.stroke_width(2)))
            .map_err(draw_error)?
            .label(label)
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(2)));
    }

    if input.samples.is_empty() {
        let note = if input.carry_in.is_some() {
            "no changes in this window"
        } else {
            "no changes in this window (nothing recorded yet)"
        };
        let style = ("sans-serif", 22).into_font().color(&RGBColor(110, 110, 110));
        let x = (WIDTH as i32) / 2 - (note.len() as i32 * 11) / 2 + 40;
        root.draw(&Text::new(note, (x, HEIGHT as i32 / 2), style)).map_err(draw_error)?;
    }

    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(draw_error)?;
    Ok(())
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
