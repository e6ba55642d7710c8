//! Lays the plot out for its size and draws it: the title, a legend row above the plotting area, the
//! ticks of `ticks` with their grid, the all-time max, then the size steps on top.

use plotters::coord::Shift;
use plotters::coord::types::{RangedCoordi64, RangedCoordu64};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::shape::size_range;
use super::ticks::{SizeAxis, TimeTick, size_axis, time_ticks};
use super::{LINE, PlotInput, RenderError, draw_error, human_bytes, labels};

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

const INK: RGBColor = RGBColor(40, 40, 40);
const MUTED: RGBColor = RGBColor(110, 110, 110);
const GRID: RGBColor = RGBColor(228, 228, 228);
const AXIS: RGBColor = RGBColor(80, 80, 80);

/// Pixel sizes, scaled with the image and never below what a phone can read.
struct Metrics {
    title: f64,
    text: f64,
    margin: i32,
    gap: i32,
    tick: i32,
    line: u32,
    marker: i32,
}

impl Metrics {
    /// For an image of `width` × `height` pixels shown at `ratio` pixels per CSS pixel: text is sized for
    /// the image as it is seen, so a phone's 3× image has text as legible as a desktop's 1× one.
    fn for_size(width: u32, height: u32, ratio: u32) -> Self {
        let ratio = f64::from(ratio.max(1));
        let (seen_width, seen_height) = (f64::from(width) / ratio, f64::from(height) / ratio);
        let scale = (seen_width / 1000.0).min(seen_height / 600.0);
        let px = |base: f64, least: f64| (base * scale).max(least) * ratio;
        Self {
            title: px(21.0, 14.0),
            text: px(15.0, 12.0),
            margin: px(14.0, 6.0) as i32,
            gap: px(8.0, 4.0) as i32,
            tick: px(6.0, 4.0) as i32,
            line: px(2.5, 2.0).round() as u32,
            marker: px(4.0, 3.0).round() as i32,
        }
    }
}

fn font(size: f64) -> FontDesc<'static> {
    ("sans-serif", size).into_font()
}

fn text_width(root: &Area<'_>, text: &str, size: f64) -> Result<i32, RenderError> {
    let (width, _) = root.estimate_text_size(text, &font(size).into_text_style(root)).map_err(draw_error)?;
    Ok(width as i32)
}

fn write(
    root: &Area<'_>,
    text: &str,
    at: (i32, i32),
    size: f64,
    color: &RGBColor,
    pos: (HPos, VPos),
) -> Result<(), RenderError> {
    let style = font(size).color(color).pos(Pos::new(pos.0, pos.1));
    root.draw(&Text::new(text.to_owned(), at, style)).map_err(draw_error)
}

fn line(root: &Area<'_>, from: (i32, i32), to: (i32, i32), style: ShapeStyle) -> Result<(), RenderError> {
    root.draw(&PathElement::new(vec![from, to], style)).map_err(draw_error)
}

/// The all-time max as the legend states it.
fn max_text(max: u64) -> String {
    format!("all-time max {}", human_bytes(max))
}

pub(super) fn draw(
    root: &Area<'_>,
    input: &PlotInput<'_>,
    samples: &[(i64, u64)],
    steps: &[(i64, u64)],
) -> Result<(), RenderError> {
    let (width, height) = (input.shape.width as i32, input.shape.height as i32);
    let m = Metrics::for_size(input.shape.width, input.shape.height, input.shape.pixel_ratio);
    let from = input.from_ms;
    let to = input.to_ms.max(from + 1);
    root.fill(&WHITE).map_err(draw_error)?;

    // Rows from the top: the title, the legend (one row, or two if it does not fit), the plotting area,
    // the time labels (the clock, and the date under the first tick and each new day), the axis' name.
    let text_height = (m.text * 1.25) as i32;
    let legend_key = 2 * m.text as i32;
    let size_item = legend_key + m.gap + text_width(root, "bucket size", m.text)?;
    let max_item = match input.max {
        Some(max) => legend_key + m.gap + text_width(root, &format!("{} \u{2191}", max_text(max)), m.text)?,
        None => 0,
    };
    let title = format!("s3://{} \u{2014} last {}", input.bucket, labels::duration(input.window_seconds));
    let title_top = m.margin;
    let legend_top = title_top + m.title as i32 + m.gap;
    let widest_time = text_width(root, "00:00:00", m.text)?;
    let right = m.margin + widest_time / 2;
    let legend_rows = |plot_width: i32| if size_item + 2 * m.gap + max_item > plot_width { 2 } else { 1 };

    let bottom = height - m.margin - text_height - m.gap / 2 - 2 * text_height - m.tick;
    // The plotting area's width depends on the size labels, and their number on its height: the legend's
    // rows are settled on a first guess at the width, which the labels only ever narrow a little.
    let guess = width - right - m.margin - 6 * m.text as i32;
    let top = legend_top + legend_rows(guess) * text_height + m.gap;
    let plot_height = (bottom - top).max(20);
    let intervals = (plot_height / (2 * m.text as i32)).clamp(2, 10) as usize;

    let sizes = steps.iter().map(|&(_, size)| size);
    let (low, high) = size_range(input.shape.scale, sizes, input.max);
    let axis = size_axis(low, high, intervals);
    let mut label_width = 0;
    for tick in &axis.ticks {
        label_width = label_width.max(text_width(root, &tick.label, m.text)?);
    }
    // Estimates run a little short of the drawn text: a tenth more keeps labels off the axis.
    let left = m.margin + label_width * 11 / 10 + m.tick + m.gap;
    let plot_width = (width - left - right).max(20);
    let most_times = (plot_width / (widest_time + 2 * m.text as i32)).max(2) as usize;
    let times = time_ticks(from, to, most_times);

    let area = root.clone().shrink((left, top), (plot_width, plot_height));
    let chart =
        ChartBuilder::on(&area).build_cartesian_2d(from..to, axis.low..axis.high).map_err(draw_error)?;
    let at = |ms: i64, bytes: u64| chart.backend_coord(&(ms, bytes));

    write(root, &title, (width / 2, title_top), m.title, &INK, (HPos::Center, VPos::Top))?;
    grid_and_labels(root, &m, &axis, &times, at, (left, top, plot_width, plot_height), text_height)?;
    write(
        root,
        "time (UTC)",
        (left + plot_width / 2, height - m.margin),
        m.text,
        &MUTED,
        (HPos::Center, VPos::Bottom),
    )?;

    // The legend: the size line at the left, the max at the right edge of the plotting area.
    let row_middle = |row: i32| legend_top + row * text_height + text_height / 2;
    line(root, (left, row_middle(0)), (left + legend_key, row_middle(0)), LINE.stroke_width(m.line))?;
    write(
        root,
        "bucket size",
        (left + legend_key + m.gap, row_middle(0)),
        m.text,
        &INK,
        (HPos::Left, VPos::Center),
    )?;

    let mut chart = chart;
    if let Some(max) = input.max {
        let y = row_middle(legend_rows(plot_width) - 1);
        let edge = left + plot_width;
        if (axis.low..=axis.high).contains(&max) {
            let dashes = DashedLineSeries::new(
                [(from, max), (to, max)],
                10 * m.line,
                6 * m.line,
                RED.stroke_width(m.line),
            );
            chart.draw_series(dashes).map_err(draw_error)?;
            let text = max_text(max);
            let key_end = edge - text_width(root, &text, m.text)? - m.gap;
            let dashed = DashedPathElement::new(
                [(key_end - legend_key, y), (key_end, y)],
                3 * m.line,
                2 * m.line,
                RED.stroke_width(m.line),
            );
            root.draw(&dashed).map_err(draw_error)?;
            write(root, &text, (edge, y), m.text, &INK, (HPos::Right, VPos::Center))?;
        } else {
            // Outside the range: named at the top edge, pointing up (or down, below it).
            let arrow = if max > axis.high { '\u{2191}' } else { '\u{2193}' };
            write(
                root,
                &format!("{} {arrow}", max_text(max)),
                (edge, y),
                m.text,
                &RED,
                (HPos::Right, VPos::Center),
            )?;
        }
    }
    // The size line last: nothing covers it.
    draw_steps(&mut chart, &m, samples, steps)?;

    if input.samples.is_empty() {
        let note = if input.carry_in.is_some() {
            "no changes in this window"
        } else {
            "no changes in this window (nothing recorded yet)"
        };
        // Above the middle, where a window without changes draws its one size.
        let middle = (left + plot_width / 2, top + plot_height / 4);
        let size = (m.text * 1.3).min(f64::from(plot_width.max(1)) * 1.8 / note.len() as f64).max(10.0);
        write(root, note, middle, size, &MUTED, (HPos::Center, VPos::Center))?;
    }
    Ok(())
}

type Chart<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordi64, RangedCoordu64>>;

/// The size steps and a marker at each change, above everything else.
fn draw_steps(
    chart: &mut Chart<'_, '_>,
    m: &Metrics,
    samples: &[(i64, u64)],
    steps: &[(i64, u64)],
) -> Result<(), RenderError> {
    chart
        .draw_series(LineSeries::new(steps.iter().copied(), LINE.stroke_width(m.line)))
        .map_err(draw_error)?;
    chart
        .draw_series(samples.iter().map(|&(ts, size)| Circle::new((ts, size), m.marker, LINE.filled())))
        .map_err(draw_error)?;
    Ok(())
}

/// The grid at every tick, the axes, their tick marks and labels.
fn grid_and_labels(
    root: &Area<'_>,
    m: &Metrics,
    axis: &SizeAxis,
    times: &[TimeTick],
    at: impl Fn(i64, u64) -> (i32, i32),
    (left, top, plot_width, plot_height): (i32, i32, i32, i32),
    text_height: i32,
) -> Result<(), RenderError> {
    let (right, bottom) = (left + plot_width, top + plot_height);
    for tick in &axis.ticks {
        let (_, y) = at(0, tick.bytes);
        let y = y.clamp(top, bottom);
        line(root, (left, y), (right, y), GRID.stroke_width(1))?;
        line(root, (left - m.tick, y), (left, y), AXIS.stroke_width(1))?;
        write(root, &tick.label, (left - m.tick - m.gap / 2, y), m.text, &INK, (HPos::Right, VPos::Center))?;
    }
    for tick in times {
        let (x, _) = at(tick.ms, axis.low);
        let x = x.clamp(left, right);
        line(root, (x, top), (x, bottom), GRID.stroke_width(1))?;
        line(root, (x, bottom), (x, bottom + m.tick), AXIS.stroke_width(1))?;
        let label_top = bottom + m.tick + 2;
        write(root, &tick.label, (x, label_top), m.text, &INK, (HPos::Center, VPos::Top))?;
        if let Some(date) = &tick.date {
            write(root, date, (x, label_top + text_height), m.text, &MUTED, (HPos::Center, VPos::Top))?;
        }
    }
    line(root, (left, top), (left, bottom), AXIS.stroke_width(1))?;
    line(root, (left, bottom), (right, bottom), AXIS.stroke_width(1))?;
    Ok(())
}
