//! Keeps render time flat as data grows: at most a few points per pixel column.

/// For windows with more samples than `columns`, keeps per column the samples holding the column's smallest
/// and largest size and its last sample (so the step after the column starts at the right height), in
/// time order. Smaller windows are returned whole.
pub fn per_column(samples: &[(i64, u64)], from: i64, to: i64, columns: usize) -> Vec<(i64, u64)> {
    if samples.len() <= columns || columns == 0 {
        return samples.to_vec();
    }
    let span = (to - from).max(1) as i128;
    let column_of = |ts: i64| -> usize {
        let offset = (ts.clamp(from, to) - from) as i128;
        ((offset * columns as i128 / span) as usize).min(columns - 1)
    };
    let mut kept = Vec::with_capacity(columns * 3);
    let mut start = 0;
    while start < samples.len() {
        let column = column_of(samples[start].0);
        let mut end = start + 1;
        while end < samples.len() && column_of(samples[end].0) == column {
            end += 1;
        }
        let group = &samples[start..end];
        let lowest = group.iter().enumerate().min_by_key(|(_, s)| s.1).map_or(0, |(i, _)| i);
        let highest = group.iter().enumerate().max_by_key(|(_, s)| s.1).map_or(0, |(i, _)| i);
        let mut picks = [lowest, highest, group.len() - 1];
        picks.sort_unstable();
        let mut last_pick = None;
        for pick in picks {
            if last_pick != Some(pick) {
                kept.push(group[pick]);
                last_pick = Some(pick);
            }
        }
        start = end;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_windows_are_untouched() {
        let samples = vec![(1, 5), (2, 6)];
        assert_eq!(per_column(&samples, 0, 10, 100), samples);
    }

    #[test]
    fn each_column_keeps_its_extremes_and_last_value() {
        // 10 000 samples over 100 columns of 100 ms: column c holds the samples with ts / 100 == c.
        let samples: Vec<(i64, u64)> = (0..10_000).map(|i| (i, ((i * 7_919) % 1_009) as u64)).collect();
        let kept = per_column(&samples, 0, 10_000, 100);
        assert!(kept.windows(2).all(|w| w[0].0 < w[1].0), "time order is kept");
        for column in 0..100 {
            let input: Vec<&(i64, u64)> = samples.iter().filter(|s| s.0 / 100 == column).collect();
            let output: Vec<(i64, u64)> = kept.iter().copied().filter(|s| s.0 / 100 == column).collect();
            let lowest = input.iter().map(|s| s.1).min().unwrap();
            let highest = input.iter().map(|s| s.1).max().unwrap();
            assert!(output.len() <= 3, "column {column} keeps {} points", output.len());
            assert!(output.iter().any(|s| s.1 == lowest), "column {column} lost its smallest size {lowest}");
            assert!(output.iter().any(|s| s.1 == highest), "column {column} lost its largest size {highest}");
            assert_eq!(output.last(), input.last().copied(), "column {column} lost its last sample");
        }
    }
}
