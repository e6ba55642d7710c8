//! Reading a window of the history in about as many items as it has points to show, whatever the number of
//! samples: the history is rolled up per interval at a few levels (1 s … 1 h), and a window is read as its
//! finished intervals at the level that fits it, plus raw samples only at its ragged start and in the
//! interval that is still filling.
//!
//! A rollup is materialized by the reader, once, the first time a window needs it: an interval
//! `[start, start + level)` is finished when the bucket's latest sample is at or after its end, as sample
//! timestamps strictly rise per bucket (the store's rule, [`crate::transition::next_sample_ts`]), so no
//! sample can ever join it; its rollup is then a function of samples that never change, and storing it
//! twice stores the same item. The tracker never touches rollups, so no item is written on every change
//! (that would be one hot item per bucket again), and history recorded before rollups existed is covered
//! the same way, with no backfill.

use futures::{StreamExt, TryStreamExt};

use crate::{BucketName, History, Sample, StoreError};

/// The rollup levels, finest first; each divides the next, so an interval of one level is made of whole
/// intervals of every finer one.
pub const LEVELS_MS: [i64; 7] = [1_000, 5_000, 15_000, 60_000, 300_000, 900_000, 3_600_000];

/// While rollups are made, the missing intervals are read in chunks of at most a day of history, a few
/// chunks at once, each page by page: memory stays at a few pages, and a stretch with no samples costs one
/// read per chunk.
const MATERIALIZE_CHUNK_MS: i64 = 24 * 3_600_000;
const MATERIALIZE_IN_FLIGHT: usize = 4;
const MATERIALIZE_PAGE: usize = 1_000;

/// Consecutive samples reduced: how many, their smallest and largest size, the first and the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub count: u64,
    pub min_size_bytes: u64,
    pub max_size_bytes: u64,
    pub first: Sample,
    pub last: Sample,
}

impl Span {
    pub fn of(sample: &Sample) -> Self {
        Self {
            count: 1,
            min_size_bytes: sample.size_bytes,
            max_size_bytes: sample.size_bytes,
            first: sample.clone(),
            last: sample.clone(),
        }
    }

    /// Extends the span with the spans that follow it.
    pub fn merge(&mut self, later: &Span) {
        self.count += later.count;
        self.min_size_bytes = self.min_size_bytes.min(later.min_size_bytes);
        self.max_size_bytes = self.max_size_bytes.max(later.max_size_bytes);
        self.last = later.last.clone();
    }

    /// Whether the span is one sample, exactly as recorded.
    pub fn is_single(&self) -> bool {
        self.count == 1
    }
}

/// One finished interval of a level, reduced: its span, or none when no sample fell in it (an empty
/// interval is stored too, so that reading it again costs no read of samples).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub level_ms: i64,
    pub start_ms: i64,
    pub span: Option<Span>,
}

/// A window read in spans, oldest first: single samples where it was read raw, rollups elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReducedWindow {
    /// The last sample before the window: the size it opens with.
    pub carry_in: Option<Sample>,
    /// Oldest first, apart, each within the window; each lies within one interval of `level_ms`.
    pub spans: Vec<Span>,
    /// The rollup level read, or `None` when the window was read as raw samples.
    pub level_ms: Option<i64>,
}

impl ReducedWindow {
    /// How many samples the window holds.
    pub fn sample_count(&self) -> u64 {
        self.spans.iter().map(|span| span.count).sum()
    }
}

/// The level for a window of `window_ms` shown in `points` points: none (raw samples) when one point is
/// finer than the finest level, else the finest level that reads at most two items per point (the
/// coarsest if none does).
pub fn level_for(window_ms: i64, points: usize) -> Option<i64> {
    let points = points.max(1) as i64;
    if window_ms <= points.saturating_mul(LEVELS_MS[0]) {
        return None;
    }
    let most = points.saturating_mul(2);
    Some(LEVELS_MS.into_iter().find(|level| window_ms / level <= most).unwrap_or(LEVELS_MS[6]))
}

/// A part of a window's read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// Samples with `from <= ts < to`.
    Raw { from: i64, to: i64 },
    /// The finished interval of `level` starting at `start`.
    Rollup { level: i64, start: i64 },
}

/// The pieces of `[from, to)` in time order: the finished part `[.., finished_end)` as whole intervals of
/// the coarsest level up to `level` that fits at each point (finer ones only at its edges), the rest raw.
fn cover(from: i64, to: i64, finished_end: i64, level: i64) -> Vec<Piece> {
    let finest = LEVELS_MS[0];
    let start = from.div_euclid(finest) * finest + if from.rem_euclid(finest) == 0 { 0 } else { finest };
    let end = finished_end.min(to).div_euclid(finest) * finest;
    if start >= end {
        return vec![Piece::Raw { from, to }];
    }
    let mut pieces = Vec::new();
    if from < start {
        pieces.push(Piece::Raw { from, to: start });
    }
    let mut at = start;
    while at < end {
        let fits = LEVELS_MS
            .into_iter()
            .rev()
            .find(|&l| l <= level && at % l == 0 && at + l <= end)
            .unwrap_or(finest);
        pieces.push(Piece::Rollup { level: fits, start: at });
        at += fits;
    }
    if end < to {
        pieces.push(Piece::Raw { from: end, to });
    }
    pieces
}

/// Rolls up adjacent intervals `(level, start)` (in time order) from their samples, fed oldest first.
struct Roller<'a> {
    intervals: &'a [(i64, i64)],
    done: Vec<Rollup>,
    open: Option<Span>,
}

impl<'a> Roller<'a> {
    fn new(intervals: &'a [(i64, i64)]) -> Self {
        Self { intervals, done: Vec::with_capacity(intervals.len()), open: None }
    }

    fn add(&mut self, sample: &Sample) {
        while let Some(&(level, start)) = self.intervals.get(self.done.len()) {
            if sample.ts_ms < start {
                return;
            }
            if sample.ts_ms < start + level {
                match &mut self.open {
                    Some(span) => span.merge(&Span::of(sample)),
                    None => self.open = Some(Span::of(sample)),
                }
                return;
            }
            self.close();
        }
    }

    fn close(&mut self) {
        if let Some(&(level_ms, start_ms)) = self.intervals.get(self.done.len()) {
            self.done.push(Rollup { level_ms, start_ms, span: self.open.take() });
        }
    }

    fn finish(mut self) -> Vec<Rollup> {
        while self.done.len() < self.intervals.len() {
            self.close();
        }
        self.done
    }
}

/// The window `from ..= to` of `bucket`, for `points` points: see the module's description.
pub async fn reduced_window<H: History + ?Sized>(
    history: &H,
    bucket: &BucketName,
    from: i64,
    to: i64,
    points: usize,
) -> Result<ReducedWindow, StoreError> {
    let end = to.saturating_add(1);
    let level = level_for(end - from, points);
    let (carry_in, latest) = futures::try_join!(history.carry_in(bucket, from), history.latest(bucket))?;
    let finished_end = match (level, &latest) {
        (Some(_), Some(latest)) => latest.ts_ms.saturating_add(1),
        _ => from,
    };
    let pieces = cover(from, end, finished_end, level.unwrap_or(LEVELS_MS[0]));
    let rollups = stored_or_made(history, bucket, &pieces).await?;

    let mut spans = Vec::new();
    let mut rollups = rollups.into_iter();
    for piece in &pieces {
        match *piece {
            Piece::Raw { from, to } => {
                let samples = history.samples(bucket, from, to - 1).await?;
                spans.extend(samples.iter().map(Span::of));
            }
            Piece::Rollup { .. } => spans.extend(rollups.next().and_then(|rollup| rollup.span)),
        }
    }
    Ok(ReducedWindow { carry_in, spans, level_ms: level })
}

/// The rollups of the pieces' intervals, in their order: those stored, and the others made from the
/// samples and stored.
async fn stored_or_made<H: History + ?Sized>(
    history: &H,
    bucket: &BucketName,
    pieces: &[Piece],
) -> Result<Vec<Rollup>, StoreError> {
    let intervals: Vec<(i64, i64)> = pieces
        .iter()
        .filter_map(|piece| match *piece {
            Piece::Rollup { level, start } => Some((level, start)),
            Piece::Raw { .. } => None,
        })
        .collect();
    // Each level's stored rollups, one read per run of adjacent intervals of it (a level is read in at most
    // two: the window's rising and falling edges, or its body), never those between the runs.
    let mut runs: Vec<(i64, i64, i64)> = Vec::new();
    for level in LEVELS_MS {
        let mut starts = intervals.iter().filter(|i| i.0 == level).map(|i| i.1);
        let Some(first) = starts.next() else { continue };
        let (mut run_first, mut run_last) = (first, first);
        for start in starts {
            if start != run_last + level {
                runs.push((level, run_first, run_last));
                run_first = start;
            }
            run_last = start;
        }
        runs.push((level, run_first, run_last));
    }
    let stored: Vec<Vec<Rollup>> = futures::future::try_join_all(
        runs.iter().map(|&(level, first, last)| history.rollups(bucket, level, first, last)),
    )
    .await?;
    let mut known: std::collections::HashMap<(i64, i64), Rollup> =
        stored.into_iter().flatten().map(|r| ((r.level_ms, r.start_ms), r)).collect();

    // The missing ones, in chunks of adjacent intervals, each read from the samples and stored.
    let missing: Vec<(i64, i64)> = intervals.iter().copied().filter(|i| !known.contains_key(i)).collect();
    let mut making = Vec::new();
    for chunk in chunks(&missing) {
        making.push(made_and_stored(history, bucket, chunk));
    }
    let made: Vec<Vec<Rollup>> =
        futures::stream::iter(making).buffered(MATERIALIZE_IN_FLIGHT).try_collect().await?;
    known.extend(made.into_iter().flatten().map(|r| ((r.level_ms, r.start_ms), r)));

    intervals
        .iter()
        .map(|key| {
            known.remove(key).ok_or_else(|| StoreError::Corrupt {
                backend: "rollups",
                message: format!("the rollup of level {} ms at {} was neither stored nor made", key.0, key.1),
            })
        })
        .collect()
}

/// The rollups of adjacent intervals, made from their samples (read page by page) and stored.
async fn made_and_stored<H: History + ?Sized>(
    history: &H,
    bucket: &BucketName,
    chunk: &[(i64, i64)],
) -> Result<Vec<Rollup>, StoreError> {
    let (Some(&(_, from)), Some(&(level, start))) = (chunk.first(), chunk.last()) else {
        return Ok(Vec::new());
    };
    let to = start + level - 1;
    let mut roller = Roller::new(chunk);
    let mut at = from;
    loop {
        let page = history.samples_from(bucket, at, to, MATERIALIZE_PAGE).await?;
        page.iter().for_each(|sample| roller.add(sample));
        match page.last() {
            Some(last) if page.len() >= MATERIALIZE_PAGE => at = last.ts_ms + 1,
            _ => break,
        }
    }
    let rollups = roller.finish();
    history.put_rollups(bucket, &rollups).await?;
    Ok(rollups)
}

/// Runs of adjacent intervals, each covering at most [`MATERIALIZE_CHUNK_MS`] of history.
fn chunks(intervals: &[(i64, i64)]) -> Vec<&[(i64, i64)]> {
    let mut chunks = Vec::new();
    let mut begin = 0;
    for index in 1..=intervals.len() {
        let split = index == intervals.len() || {
            let (level, start) = intervals[index - 1];
            let next = intervals[index].1;
            next != start + level
                || intervals[index].1 + intervals[index].0 - intervals[begin].1 > MATERIALIZE_CHUNK_MS
        };
        if split {
            chunks.push(&intervals[begin..index]);
            begin = index;
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_interval_rolls_up_exactly_its_samples_and_empty_ones_are_kept() {
        let bucket = BucketName::parse("b-1").unwrap();
        let sample = |ts_ms: i64, size_bytes: u64| Sample {
            bucket: bucket.clone(),
            ts_ms,
            size_bytes,
            object_count: 1,
        };
        let intervals = [(1_000, 0), (1_000, 1_000), (5_000, 5_000)];
        let mut roller = Roller::new(&intervals);
        for s in [sample(10, 5), sample(999, 3), sample(6_000, 9), sample(9_999, 1)] {
            roller.add(&s);
        }
        let rollups = roller.finish();
        type Seen = Option<(u64, u64, u64, i64, i64)>;
        let spans: Vec<Seen> = rollups
            .iter()
            .map(|r| {
                r.span
                    .as_ref()
                    .map(|s| (s.count, s.min_size_bytes, s.max_size_bytes, s.first.ts_ms, s.last.ts_ms))
            })
            .collect();
        assert_eq!(spans, vec![Some((2, 3, 5, 10, 999)), None, Some((2, 1, 9, 6_000, 9_999))]);
        assert_eq!(rollups.iter().map(|r| (r.level_ms, r.start_ms)).collect::<Vec<_>>(), intervals);
    }

    #[test]
    fn levels_divide_each_other() {
        assert!(LEVELS_MS.windows(2).all(|w| w[1] % w[0] == 0));
    }

    #[test]
    fn a_window_reads_at_most_two_items_per_point_past_the_finest_level() {
        for (window_s, points, expected) in [
            (10, 900, None),
            (900, 900, None),
            (3_600, 900, Some(5_000)),
            (86_400, 900, Some(60_000)),
            (31 * 86_400, 900, Some(3_600_000)),
            (31 * 86_400, 10_000, Some(300_000)),
            (31 * 86_400, 1, Some(3_600_000)),
        ] {
            let level = level_for(window_s * 1000, points);
            assert_eq!(level, expected, "{window_s} s in {points} points");
            if let Some(level) = level.filter(|&l| l < 3_600_000) {
                assert!(window_s * 1000 / level <= 2 * points as i64);
            }
        }
    }

    fn pieces_are_contiguous(pieces: &[Piece], from: i64, to: i64) {
        let mut at = from;
        for piece in pieces {
            let (start, end) = match *piece {
                Piece::Raw { from, to } => (from, to),
                Piece::Rollup { level, start } => {
                    assert_eq!(start % level, 0, "{piece:?} is aligned");
                    (start, start + level)
                }
            };
            assert_eq!(start, at, "{piece:?} starts where the one before ended");
            at = end;
        }
        assert_eq!(at, to);
    }

    #[test]
    fn the_cover_is_whole_intervals_between_raw_edges() {
        let (from, to) = (1_234_567, 1_234_567 + 86_400_000);
        let finished = to - 12_345;
        let pieces = cover(from, to, finished, 60_000);
        pieces_are_contiguous(&pieces, from, to);
        let rollups = pieces.iter().filter(|p| matches!(p, Piece::Rollup { .. })).count();
        assert!(rollups <= 1_440 + 2 * (4 + 2 + 3), "{rollups} rollups");
        assert!(matches!(pieces[0], Piece::Raw { to: 1_235_000, .. }));
        assert!(matches!(pieces.last(), Some(Piece::Raw { to: t, .. }) if *t == to));
        // Nothing unfinished is rolled up.
        assert!(
            pieces.iter().all(|p| !matches!(p, Piece::Rollup { level, start } if start + level > finished))
        );
    }

    #[test]
    fn a_window_with_nothing_finished_is_raw() {
        assert_eq!(cover(1_500, 2_400, 9_000, 1_000), vec![Piece::Raw { from: 1_500, to: 2_400 }]);
        assert_eq!(cover(0, 60_000, 0, 1_000), vec![Piece::Raw { from: 0, to: 60_000 }]);
    }

    #[test]
    fn chunks_split_at_gaps_and_at_the_chunk_length() {
        let hour = 3_600_000;
        let mut intervals: Vec<(i64, i64)> = (0..30).map(|h| (hour, h * hour)).collect();
        intervals.extend([(1_000, 40 * hour), (1_000, 40 * hour + 1_000)]);
        let split = chunks(&intervals);
        assert_eq!(split, vec![&intervals[0..24], &intervals[24..30], &intervals[30..32]]);
    }
}
