//! A window as `/window` answers it: every sample, when it holds at most `max_points` and was read raw;
//! otherwise one point per interval holding any sample — the interval's last sample, with its smallest and
//! largest size. The intervals are `interval_ms` long, aligned on multiples of it (epoch ms), and a multiple
//! of the rollup level the window was read at, so each span read lies within one interval and the reduction
//! is exact. The answer's size is bounded by `max_points`, whatever the number of samples.

use domain::rollup::{ReducedWindow, Span};

use crate::views::PointView;

/// The points of `window` (read for `from ..= to`), and the interval length when it was reduced.
pub fn points(
    window: &ReducedWindow,
    from: i64,
    to: i64,
    max_points: usize,
) -> (Vec<PointView>, Option<i64>) {
    let spans = &window.spans;
    if spans.len() <= max_points && spans.iter().all(Span::is_single) {
        return (spans.iter().map(|span| PointView::from(&span.last)).collect(), None);
    }
    let interval = interval_for(from, to, window.level_ms.unwrap_or(1), max_points);
    let mut reduced: Vec<(i64, Span)> = Vec::with_capacity(max_points);
    for span in spans {
        let index = span.last.ts_ms.div_euclid(interval);
        match reduced.last_mut() {
            Some((open, merged)) if *open == index => merged.merge(span),
            _ => reduced.push((index, span.clone())),
        }
    }
    let points = reduced
        .iter()
        .map(|(_, span)| PointView {
            min_size_bytes: Some(span.min_size_bytes),
            max_size_bytes: Some(span.max_size_bytes),
            ..PointView::from(&span.last)
        })
        .collect();
    (points, Some(interval))
}

/// The shortest multiple of `unit` whose aligned intervals cut `from ..= to` into at most `max_points`.
fn interval_for(from: i64, to: i64, unit: i64, max_points: usize) -> i64 {
    let points = max_points.max(1) as i64;
    let unit = unit.max(1);
    let width = (to - from).max(0) + 1;
    // Aligned intervals of length `i` touch at most `width / i + 2` of them.
    let per_interval = (width + unit * (points - 2).max(1) - 1) / (unit * (points - 2).max(1));
    let mut interval = unit * per_interval.max(1);
    while to.div_euclid(interval) - from.div_euclid(interval) + 1 > points {
        interval = interval.saturating_mul(2);
    }
    interval
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{BucketName, Sample};

    fn sample(ts_ms: i64, size_bytes: u64) -> Sample {
        Sample { bucket: BucketName::parse("b-1").unwrap(), ts_ms, size_bytes, object_count: size_bytes / 10 }
    }

    fn raw(sizes: &[(i64, u64)]) -> ReducedWindow {
        let spans = sizes.iter().map(|&(ts, size)| Span::of(&sample(ts, size))).collect();
        ReducedWindow { carry_in: None, spans, level_ms: None }
    }

    #[test]
    fn up_to_max_points_every_sample_is_kept_as_it_is() {
        let window = raw(&[(1, 18), (2, 27), (3, 0), (4, 2)]);
        let (points, interval) = points(&window, 0, 10, 4);
        assert_eq!(interval, None);
        let expected: Vec<PointView> = window.spans.iter().map(|s| PointView::from(&s.last)).collect();
        assert_eq!(points, expected);
    }

    #[test]
    fn past_max_points_each_interval_keeps_its_last_sample_and_its_extremes() {
        // 10 000 samples over 0..10 000 ms: at most 100 points, in aligned intervals.
        let sizes: Vec<(i64, u64)> = (0..10_000).map(|i| (i, (i as u64 * 7919) % 1_000)).collect();
        let window = raw(&sizes);
        let (points, interval) = points(&window, 0, 9_999, 100);
        let interval = interval.expect("reduced");
        assert!(points.len() <= 100);
        for point in &points {
            let index = point.ts.div_euclid(interval);
            let inside: Vec<&(i64, u64)> =
                sizes.iter().filter(|s| s.0.div_euclid(interval) == index).collect();
            let last = inside.last().unwrap();
            assert_eq!((point.ts, point.size_bytes), (last.0, last.1));
            assert_eq!(point.min_size_bytes, inside.iter().map(|s| s.1).min());
            assert_eq!(point.max_size_bytes, inside.iter().map(|s| s.1).max());
        }
    }

    #[test]
    fn rolled_up_spans_are_reduced_even_when_few() {
        let mut span = Span::of(&sample(1_000, 5));
        span.merge(&Span::of(&sample(1_500, 9)));
        let window = ReducedWindow { carry_in: None, spans: vec![span], level_ms: Some(1_000) };
        let (points, interval) = points(&window, 0, 3_599_999, 1_000);
        assert_eq!(interval, Some(4_000));
        assert_eq!(points.len(), 1);
        assert_eq!(
            (points[0].ts, points[0].min_size_bytes, points[0].max_size_bytes),
            (1_500, Some(5), Some(9))
        );
    }

    #[test]
    fn intervals_are_multiples_of_the_level_and_never_too_many() {
        for (from, to, unit, most) in [
            (123_456, 123_456 + 3_600_000, 5_000, 1_000),
            (7, 7 + 86_400_000, 60_000, 900),
            (0, 2_678_400_000, 3_600_000, 1),
            (999, 2_678_400_999, 3_600_000, 2),
            (5, 10_005, 1, 3),
        ] {
            let interval = interval_for(from, to, unit, most);
            assert_eq!(interval % unit, 0);
            assert!(to.div_euclid(interval) - from.div_euclid(interval) < most as i64 + 1);
        }
    }
}
