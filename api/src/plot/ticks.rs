//! Where the axes' ticks go and what they say: sizes at round steps of one binary unit, times at round
//! steps of the clock. Pure functions of the range and of how many ticks fit.

use chrono::{DateTime, Utc};

const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
const KIB: u128 = 1024;

/// One tick of the size axis: its value and its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeTick {
    pub bytes: u64,
    pub label: String,
}

/// The size axis: its range, whose ends are ticks, and its ticks from the lowest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeAxis {
    pub low: u64,
    pub high: u64,
    pub ticks: Vec<SizeTick>,
}

/// A step between size ticks: `bytes`, labelled in `UNITS[unit]`.
#[derive(Debug, Clone, Copy)]
struct SizeStep {
    bytes: u128,
    unit: usize,
}

/// Every step from 1 B up, ascending: 1-2-5 of each unit, and a quarter and a half of the next one
/// (256 KiB labels as 0.25 MiB).
fn size_steps() -> impl Iterator<Item = SizeStep> {
    (0..UNITS.len()).flat_map(|unit| {
        let base = KIB.pow(unit as u32);
        let ones = [1, 2, 5, 10, 20, 50, 100, 200].map(|m| SizeStep { bytes: m * base, unit });
        let next = (unit + 1 < UNITS.len()).then_some(unit + 1);
        let parts =
            next.into_iter().flat_map(move |up| [256, 512].map(|m| SizeStep { bytes: m * base, unit: up }));
        ones.into_iter().chain(parts)
    })
}

/// Labels past this many digits before the point are hard to read: the axis labels offsets instead.
const MAX_LABEL_DIGITS: usize = 4;

/// The ticks for sizes from `low` to `high` (bytes, `low < high`), at most `intervals` steps apart from
/// bottom to top (so `intervals + 1` ticks, or one more where whole steps do not fit the range), expanded
/// to whole steps.
///
/// Ticks are labelled in the step's unit (`0 MiB`, `5 MiB`, … or `20 MiB`, `20.5 MiB`, …). When those
/// labels would be long numbers (a few bytes' change on a 21.5 MiB bucket), one round tick is labelled
/// with its size and the others with their distance from it (`21.5 MiB`, `+10 B`, `+20 B`).
pub fn size_axis(low: u64, high: u64, intervals: usize) -> SizeAxis {
    let (low, high) = (u128::from(low), u128::from(high.max(low.saturating_add(1))));
    let intervals = intervals.max(1) as u128;
    let step = size_steps()
        .find(|step| (high - low).div_ceil(step.bytes) <= intervals)
        .unwrap_or(SizeStep { bytes: KIB.pow(6), unit: 6 });
    let (bottom, top) = (low / step.bytes * step.bytes, high.div_ceil(step.bytes) * step.bytes);
    let unit = KIB.pow(step.unit as u32);
    if top / unit < 10u128.pow(MAX_LABEL_DIGITS as u32) || bottom == 0 {
        let ticks = (0..=(top - bottom) / step.bytes)
            .map(|i| bottom + i * step.bytes)
            .map(|bytes| SizeTick { bytes: clamp(bytes), label: exact(bytes, step.unit) })
            .collect();
        return SizeAxis { low: clamp(bottom), high: clamp(top), ticks };
    }
    // The coarsest round size in the range, as the one tick labelled with its size.
    let anchor = size_steps()
        .filter(|g| g.bytes >= step.bytes)
        .map(|g| low.div_ceil(g.bytes) * g.bytes)
        .filter(|&multiple| multiple <= high)
        .last()
        .unwrap_or(bottom);
    let below = (anchor - low).div_ceil(step.bytes);
    let above = (high - anchor).div_ceil(step.bytes);
    let bottom = anchor - below * step.bytes;
    let ticks = (0..=below + above)
        .map(|i| bottom + i * step.bytes)
        .map(|bytes| {
            let label = match bytes.cmp(&anchor) {
                std::cmp::Ordering::Equal => exact(anchor, best_unit(anchor)),
                std::cmp::Ordering::Greater => format!("+{}", exact(bytes - anchor, step.unit)),
                std::cmp::Ordering::Less => format!("\u{2212}{}", exact(anchor - bytes, step.unit)),
            };
            SizeTick { bytes: clamp(bytes), label }
        })
        .collect();
    SizeAxis { low: clamp(bottom), high: clamp(anchor + above * step.bytes), ticks }
}

fn clamp(bytes: u128) -> u64 {
    u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// The largest unit that states `bytes` exactly in at most three decimals.
fn best_unit(bytes: u128) -> usize {
    (0..UNITS.len())
        .rev()
        .find(|&unit| {
            let base = KIB.pow(unit as u32);
            bytes >= base && (bytes * 1000).is_multiple_of(base)
        })
        .unwrap_or(0)
}

/// `bytes` in `UNITS[unit]`, with as many decimals as it needs (at most three).
fn exact(bytes: u128, unit: usize) -> String {
    let base = KIB.pow(unit as u32);
    let (whole, part) = (bytes / base, bytes % base);
    let thousandths = (part * 1000 + base / 2) / base;
    if thousandths == 0 {
        return format!("{whole} {}", UNITS[unit]);
    }
    let (whole, thousandths) = if thousandths == 1000 { (whole + 1, 0) } else { (whole, thousandths) };
    let decimals = format!("{thousandths:03}");
    let decimals = decimals.trim_end_matches('0');
    if decimals.is_empty() {
        format!("{whole} {}", UNITS[unit])
    } else {
        format!("{whole}.{decimals} {}", UNITS[unit])
    }
}

/// One tick of the time axis: epoch milliseconds, the clock time, and the date under the first tick and
/// under each tick on a new day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeTick {
    pub ms: i64,
    pub label: String,
    pub date: Option<String>,
}

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Round steps of the clock, ascending.
const TIME_STEPS: [i64; 24] = [
    100,
    200,
    500,
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
];
/// Weeks start on Monday: the epoch was a Thursday.
const MONDAY_MS: i64 = 4 * DAY;

/// The ticks from `from` to `to` (epoch ms, UTC): the round times of the smallest clock step that puts at
/// most `most` ticks in the range (at least one).
pub fn time_ticks(from: i64, to: i64, most: usize) -> Vec<TimeTick> {
    let to = to.max(from);
    let origin = |step: i64| if step >= 7 * DAY { MONDAY_MS } else { 0 };
    let first = |step: i64| from - origin(step) + (origin(step) - from).rem_euclid(step);
    let count = |step: i64| {
        let start = first(step) + origin(step);
        if start > to { 0 } else { ((to - start) / step + 1) as usize }
    };
    let step = TIME_STEPS
        .iter()
        .copied()
        .find(|&step| count(step) <= most.max(1))
        .unwrap_or(TIME_STEPS[TIME_STEPS.len() - 1]);
    let start = first(step) + origin(step);
    let mut ticks = Vec::new();
    let mut last_date = None;
    let mut ms = start;
    while ms <= to {
        let Some(time) = DateTime::<Utc>::from_timestamp_millis(ms) else { break };
        let date = time.format("%m-%d").to_string();
        let label = if step >= DAY {
            date.clone()
        } else if step >= MINUTE {
            time.format("%H:%M").to_string()
        } else if step >= SECOND {
            time.format("%H:%M:%S").to_string()
        } else {
            format!("{}.{}", time.format("%H:%M:%S"), ms.rem_euclid(SECOND) / 100)
        };
        let new_day = last_date.as_ref() != Some(&date);
        ticks.push(TimeTick { ms, label, date: (new_day && step < DAY).then(|| date.clone()) });
        last_date = Some(date);
        ms += step;
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn labels(axis: &SizeAxis) -> Vec<&str> {
        axis.ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn sizes_from_zero_tick_at_round_mebibytes() {
        let axis = size_axis(0, 21 * MIB + MIB / 2, 6);
        assert_eq!(labels(&axis), ["0 MiB", "5 MiB", "10 MiB", "15 MiB", "20 MiB", "25 MiB"]);
        assert_eq!((axis.low, axis.high), (0, 25 * MIB));
    }

    #[test]
    fn quarter_and_half_units_label_in_the_larger_unit() {
        let axis = size_axis(20 * MIB + 100, 23 * MIB - 100, 6);
        assert_eq!(
            labels(&axis),
            ["20 MiB", "20.5 MiB", "21 MiB", "21.5 MiB", "22 MiB", "22.5 MiB", "23 MiB"]
        );
        let small = size_axis(0, 1000 * 1024, 4);
        assert_eq!(labels(&small), ["0 MiB", "0.25 MiB", "0.5 MiB", "0.75 MiB", "1 MiB"]);
    }

    #[test]
    fn small_sizes_tick_in_bytes() {
        let axis = size_axis(0, 27, 6);
        assert_eq!(labels(&axis), ["0 B", "5 B", "10 B", "15 B", "20 B", "25 B", "30 B"]);
    }

    #[test]
    fn bytes_on_a_large_bucket_are_labelled_from_a_round_size() {
        let base = 21 * MIB + MIB / 2;
        let axis = size_axis(base - 2, base + 29, 8);
        assert_eq!(
            labels(&axis),
            ["\u{2212}5 B", "21.5 MiB", "+5 B", "+10 B", "+15 B", "+20 B", "+25 B", "+30 B"]
        );
        assert_eq!((axis.low, axis.high), (base - 5, base + 30));
        assert!(axis.ticks.windows(2).all(|w| w[1].bytes - w[0].bytes == 5));
    }

    #[test]
    fn every_axis_covers_its_range_with_few_ticks() {
        for (low, high) in
            [(0, 1), (5, 6), (1000, 1003), (123_456_789, 123_999_999), (0, u64::MAX / 2), (7, 7)]
        {
            for intervals in [2, 4, 8] {
                let axis = size_axis(low, high, intervals);
                assert!(axis.low <= low && axis.high >= high, "{low}..{high}: {axis:?}");
                assert!(
                    axis.ticks.len() <= intervals + 3,
                    "{low}..{high} in {intervals}: {:?}",
                    labels(&axis)
                );
                assert_eq!(axis.ticks.first().map(|t| t.bytes), Some(axis.low));
                assert_eq!(axis.ticks.last().map(|t| t.bytes), Some(axis.high));
            }
        }
    }

    #[test]
    fn exact_sizes_say_no_more_decimals_than_they_need() {
        assert_eq!(exact(22_544_384, best_unit(22_544_384)), "21.5 MiB");
        assert_eq!(exact(1536, 1), "1.5 KiB");
        assert_eq!(exact(27, 0), "27 B");
        assert_eq!(best_unit(22_544_380), 0);
    }

    /// 2025-12-01 06:00:00 UTC.
    const MORNING: i64 = 1_764_568_800_000;

    fn time_labels(ticks: &[TimeTick]) -> Vec<String> {
        ticks
            .iter()
            .map(|t| match &t.date {
                Some(date) => format!("{} {date}", t.label),
                None => t.label.clone(),
            })
            .collect()
    }

    #[test]
    fn a_ten_second_window_ticks_every_two_seconds() {
        let ticks = time_ticks(MORNING + 300, MORNING + 10_300, 7);
        assert_eq!(time_labels(&ticks), ["06:00:02 12-01", "06:00:04", "06:00:06", "06:00:08", "06:00:10"]);
    }

    #[test]
    fn a_day_shows_the_date_at_the_start_and_at_midnight() {
        let ticks = time_ticks(MORNING + 1, MORNING + DAY + 1, 9);
        assert_eq!(
            time_labels(&ticks),
            ["09:00 12-01", "12:00", "15:00", "18:00", "21:00", "00:00 12-02", "03:00", "06:00"]
        );
    }

    #[test]
    fn a_month_ticks_on_mondays() {
        let ticks = time_ticks(MORNING, MORNING + 31 * DAY, 6);
        // 2025-12-01 was a Monday.
        assert_eq!(time_labels(&ticks), ["12-08", "12-15", "12-22", "12-29"]);
    }

    #[test]
    fn steps_are_round_for_every_span() {
        for span in [1_000, 60_000, 3_600_000, 86_400_000, 2_678_400_000] {
            for most in [3, 5, 8] {
                let ticks = time_ticks(MORNING + 123, MORNING + 123 + span, most);
                assert!(!ticks.is_empty() && ticks.len() <= most, "{span} ms in {most}: {ticks:?}");
                let step = ticks.get(1).map_or(TIME_STEPS[0], |t| t.ms - ticks[0].ms);
                assert!(TIME_STEPS.contains(&step), "{span} ms: step {step}");
            }
        }
    }
}
