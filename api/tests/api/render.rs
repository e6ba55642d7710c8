use api::plot::{PlotInput, human_bytes, render_png};

use crate::helpers::png_size;

fn input<'a>(samples: &'a [(i64, u64)], carry_in: Option<u64>) -> PlotInput<'a> {
    PlotInput {
        bucket: "size-tracking-local",
        window_seconds: 10,
        from_ms: 1_795_688_420_000,
        to_ms: 1_795_688_430_000,
        carry_in,
        samples,
        max: Some(27),
    }
}

/// Fonts are compiled into the binary (no font directory is ever read), and text is drawn with them.
#[test]
fn renders_text_with_the_compiled_in_font() {
    let samples =
        [(1_795_688_421_000, 18), (1_795_688_423_000, 27), (1_795_688_425_000, 0), (1_795_688_427_000, 2)];
    let png = render_png(&input(&samples, None)).unwrap();
    assert_eq!(png_size(&png), (1000, 600));
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
