use api::plot::{PlotInput, PlotShape, Scale, human_bytes, render_png};

use crate::helpers::png_size;

/// The PNG's pixels, as RGB triples.
fn pixels(png: &[u8]) -> Vec<[u8; 3]> {
    let mut reader = ::png::Decoder::new(std::io::Cursor::new(png)).read_info().expect("a PNG header");
    let mut buffer = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut buffer).expect("a whole frame");
    assert_eq!(info.color_type, ::png::ColorType::Rgb, "the plot is RGB");
    buffer[..info.buffer_size()].chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect()
}

fn count(png: &[u8], color: [u8; 3]) -> usize {
    pixels(png).iter().filter(|p| **p == color).count()
}

/// The size line's blue and the max line's red, as the plot draws them.
const SIZE_BLUE: [u8; 3] = [31, 119, 180];
const MAX_RED: [u8; 3] = [255, 0, 0];

fn input<'a>(samples: &'a [(i64, u64)], carry_in: Option<u64>) -> PlotInput<'a> {
    PlotInput {
        bucket: "size-tracking-local",
        window_seconds: 10,
        from_ms: 1_795_688_420_000,
        to_ms: 1_795_688_430_000,
        carry_in,
        samples,
        max: Some(27),
        shape: PlotShape::default(),
    }
}

/// Fonts are compiled into the binary (no font directory is ever read), and text is drawn with them.
#[test]
fn renders_text_with_the_compiled_in_font() {
    let samples =
        [(1_795_688_421_000, 18), (1_795_688_423_000, 27), (1_795_688_425_000, 0), (1_795_688_427_000, 2)];
    let png = render_png(&input(&samples, None)).unwrap();
    assert_eq!(png_size(&png), (1000, 600));
    let dark = pixels(&png).iter().filter(|p| p.iter().all(|c| *c < 90)).count();
    assert!(dark > 2_000, "labels and axes are drawn in dark ink ({dark} dark pixels)");
    // Text was drawn: a plot with labels differs from one of the same data without a title's characters.
    let mut other = input(&samples, None);
    other.bucket = "another-bucket";
    assert_ne!(render_png(&other).unwrap(), png);
}

#[test]
fn an_empty_window_and_a_huge_one_both_render() {
    assert_eq!(png_size(&render_png(&input(&[], Some(5))).unwrap()), (1000, 600));
    let many: Vec<(i64, u64)> =
        (0..200_000).map(|i| (1_795_688_420_000 + i / 20, (i % 1_000) as u64)).collect();
    assert_eq!(png_size(&render_png(&input(&many, Some(5))).unwrap()), (1000, 600));
}

#[test]
fn max_labels_use_human_units() {
    assert_eq!(human_bytes(27), "27 B");
    assert_eq!(human_bytes(5 * 1024 * 1024), "5 MiB");
}

/// The rows of the image that hold `color`.
fn rows_with(png: &[u8], color: [u8; 3]) -> usize {
    let width = png_size(png).0 as usize;
    pixels(png).chunks(width).filter(|row| row.contains(&color)).count()
}

/// The driver's changes on a bucket of 21.5 MiB: 18, 27, 0 and 2 bytes above it.
const BASE: u64 = 22_544_384;
const DRIVER: [(i64, u64); 4] = [
    (1_795_688_421_000, BASE + 18),
    (1_795_688_423_000, BASE + 27),
    (1_795_688_425_000, BASE),
    (1_795_688_427_000, BASE + 2),
];

/// Changes of a few bytes on a large bucket are steps a person sees: the size line climbs and falls over
/// most of the plotting area's height, not along one row at the height of 21.5 MiB.
#[test]
fn a_few_bytes_on_a_large_bucket_are_visible_steps() {
    let fitted =
        render_png(&PlotInput { carry_in: Some(BASE), max: Some(BASE + 27), ..input(&DRIVER, None) })
            .unwrap();
    let rows = rows_with(&fitted, SIZE_BLUE);
    assert!(rows > 250, "the size line spans {rows} rows of 600");

    // From zero, the same changes are a flat line: the scale is the difference.
    let zero = PlotInput {
        carry_in: Some(BASE),
        max: Some(BASE + 27),
        shape: PlotShape { scale: Scale::Zero, ..PlotShape::default() },
        ..input(&DRIVER, None)
    };
    let zero_rows = rows_with(&render_png(&zero).unwrap(), SIZE_BLUE);
    assert!(zero_rows < 30, "from zero the line spans {zero_rows} rows");
}

/// A max above the window's sizes is named at the top edge, in red text, not drawn as a dashed line.
#[test]
fn a_max_above_the_fitted_range_is_named_at_the_top() {
    let high = PlotInput { carry_in: Some(BASE), max: Some(40 * 1024 * 1024), ..input(&DRIVER, None) };
    let png = render_png(&high).unwrap();
    let red = count(&png, MAX_RED);
    assert!(red > 0 && red < 500, "{red} red pixels: a label, no line");
    let width = png_size(&png).0 as usize;
    let first_red_row = pixels(&png).chunks(width).position(|row| row.contains(&MAX_RED)).unwrap();
    assert!(first_red_row < 80, "the label is at the top, row {first_red_row}");
}

#[test]
fn the_image_has_the_size_asked_for() {
    for (width, height) in [(320, 200), (360, 300), (1000, 600), (2000, 1200)] {
        let shape = PlotShape { width, height, ..PlotShape::default() };
        let png = render_png(&PlotInput { shape, ..input(&DRIVER, Some(BASE)) }).unwrap();
        assert_eq!(png_size(&png), (width, height));
        assert!(rows_with(&png, SIZE_BLUE) > height as usize / 4, "{width}x{height}: the steps show");
    }
}

/// A phone's image at 3 pixels per CSS pixel has its text three times as large as the same image at 1:
/// more dark ink, as large as the image's size in CSS pixels asks for.
#[test]
fn text_is_sized_for_the_image_as_it_is_seen() {
    let dark = |pixel_ratio| {
        let shape = PlotShape { width: 990, height: 594, pixel_ratio, ..PlotShape::default() };
        let png = render_png(&PlotInput { shape, ..input(&DRIVER, Some(BASE)) }).unwrap();
        pixels(&png).iter().filter(|p| p.iter().all(|c| *c < 90)).count()
    };
    let (one, three) = (dark(1), dark(3));
    assert!(three > one * 2, "{three} dark pixels at 3x, {one} at 1x");
}

/// A blank or mis-coloured PNG fails this: the steps are drawn in blue across the plotting area, and the
/// all-time max as a dashed red line only when there is one.
#[test]
fn the_size_steps_and_the_max_line_are_drawn() {
    let samples =
        [(1_795_688_421_000, 18), (1_795_688_423_000, 27), (1_795_688_425_000, 0), (1_795_688_427_000, 2)];
    let with_max = render_png(&input(&samples, None)).unwrap();
    // ~870 px of plotting width, 2 px wide, plus the vertical steps and the markers.
    let blue = count(&with_max, SIZE_BLUE);
    assert!(blue > 1_700, "{blue} blue pixels");
    // Dashes of 10 px every 16 px over the width, 2 px thick.
    let red = count(&with_max, MAX_RED);
    assert!(red > 900, "{red} red pixels");

    let mut no_max = input(&samples, None);
    no_max.max = None;
    assert_eq!(count(&render_png(&no_max).unwrap(), MAX_RED), 0, "no max, no red line");
}
