//! A window's samples as `/window` answers them: all of them up to `max_points`; past that, one point per
//! interval (the window cut into `max_points` equal intervals from its start) holding any sample: the
//! interval's last sample, with its smallest and largest size. The answer's size is then bounded by
//! `max_points`, whatever the number of samples.

use domain::Sample;

use crate::views::PointView;

/// The points of `samples` (oldest first, all within `from ..= to`), and the interval length when they
/// were reduced.
pub fn points(samples: &[Sample], from: i64, to: i64, max_points: usize) -> (Vec<PointView>, Option<i64>) {
    if samples.len() <= max_points || max_points == 0 {
        return (samples.iter().map(PointView::from).collect(), None);
    }
    let span = (to - from).max(1);
    let interval = (span + max_points as i64 - 1) / max_points as i64;
    let interval_of = |sample: &Sample| ((sample.ts_ms - from).max(0) / interval).min(max_points as i64 - 1);
    let mut points: Vec<PointView> = Vec::with_capacity(max_points);
    let mut current: Option<i64> = None;
    for sample in samples {
        let index = interval_of(sample);
        match (current, points.last_mut()) {
            (Some(open), Some(point)) if open == index => {
                point.ts = sample.ts_ms;
                point.size_bytes = sample.size_bytes;
                point.object_count = sample.object_count;
                point.min_size_bytes = point.min_size_bytes.min(Some(sample.size_bytes));
                point.max_size_bytes = point.max_size_bytes.max(Some(sample.size_bytes));
            }
            _ => {
                current = Some(index);
                points.push(PointView {
                    min_size_bytes: Some(sample.size_bytes),
                    max_size_bytes: Some(sample.size_bytes),
                    ..PointView::from(sample)
                });
            }
        }
    }
    (points, Some(interval))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::BucketName;

    fn samples(sizes: &[(i64, u64)]) -> Vec<Sample> {
        let bucket = BucketName::parse("b-1").unwrap();
        sizes
            .iter()
            .map(|&(ts_ms, size_bytes)| Sample {
                bucket: bucket.clone(),
                ts_ms,
                size_bytes,
                object_count: size_bytes / 10,
            })
            .collect()
    }

    #[test]
    fn up_to_max_points_every_sample_is_kept_as_it_is() {
        let window = samples(&[(1, 18), (2, 27), (3, 0), (4, 2)]);
        let (points, interval) = points(&window, 0, 10, 4);
        assert_eq!(interval, None);
        assert_eq!(points, window.iter().map(PointView::from).collect::<Vec<_>>());
    }

    #[test]
    fn past_max_points_each_interval_keeps_its_last_sample_and_its_extremes() {
        // 10 000 samples over 0..10 000 ms, cut into 100 intervals of 100 ms.
        let window: Vec<Sample> =
            samples(&(0..10_000).map(|i| (i, (i as u64 * 7919) % 1_000)).collect::<Vec<_>>());
        let (points, interval) = points(&window, 0, 10_000, 100);
        assert_eq!(interval, Some(100));
        assert_eq!(points.len(), 100);
        for (index, point) in points.iter().enumerate() {
            let inside: Vec<&Sample> = window.iter().filter(|s| s.ts_ms / 100 == index as i64).collect();
            let last = inside.last().unwrap();
            assert_eq!(
                (point.ts, point.size_bytes, point.object_count),
                (last.ts_ms, last.size_bytes, last.object_count)
            );
            assert_eq!(point.min_size_bytes, inside.iter().map(|s| s.size_bytes).min());
            assert_eq!(point.max_size_bytes, inside.iter().map(|s| s.size_bytes).max());
        }
    }

    #[test]
    fn empty_intervals_give_no_point_and_the_end_of_the_window_is_in_the_last() {
        let window = samples(&[(0, 1), (1, 2), (2, 3), (9_999, 4), (10_000, 5)]);
        let (points, interval) = points(&window, 0, 10_000, 2);
        assert_eq!(interval, Some(5_000));
        let kept: Vec<(i64, u64, Option<u64>, Option<u64>)> =
            points.iter().map(|p| (p.ts, p.size_bytes, p.min_size_bytes, p.max_size_bytes)).collect();
        assert_eq!(kept, vec![(2, 3, Some(1), Some(3)), (10_000, 5, Some(4), Some(5))]);
    }
}
