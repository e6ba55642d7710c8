//! The per-key rule both adapters apply inside their transaction, kept here so they cannot disagree.

use crate::{ChangeKind, ObjectChange, Sequencer, SkipReason, Totals};

/// What the ledger remembers of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    pub sequencer: Sequencer,
    /// False for a tombstone: the key was removed, and the row stays to refuse older events.
    pub present: bool,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Skip(SkipReason),
    Apply { next: KeyState, delta: Delta },
}

/// How the bucket's totals move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    pub size_bytes: i128,
    pub object_count: i64,
}

/// Decides what `change` does to a key whose ledger row is `current`.
pub fn transition(current: Option<&KeyState>, change: &ObjectChange) -> Transition {
    if let Some(current) = current {
        if change.sequencer == current.sequencer {
            return Transition::Skip(SkipReason::Duplicate);
        }
        if change.sequencer < current.sequencer {
            return Transition::Skip(SkipReason::Stale);
        }
    }
    let next = match change.kind {
        ChangeKind::Created { size } => KeyState { sequencer: change.sequencer.clone(), present: true, size },
        ChangeKind::Removed => KeyState { sequencer: change.sequencer.clone(), present: false, size: 0 },
    };
    let delta = Delta::between(current, &next);
    Transition::Apply { next, delta }
}

impl Delta {
    pub fn between(before: Option<&KeyState>, after: &KeyState) -> Self {
        let (size_before, count_before) = before.filter(|s| s.present).map_or((0, 0), |s| (s.size, 1));
        let (size_after, count_after) = if after.present { (after.size, 1) } else { (0, 0) };
        Self {
            size_bytes: i128::from(size_after) - i128::from(size_before),
            object_count: count_after - count_before,
        }
    }

    pub fn plus(self, other: Self) -> Self {
        Self {
            size_bytes: self.size_bytes + other.size_bytes,
            object_count: self.object_count + other.object_count,
        }
    }
}

impl Totals {
    /// The totals moved by `delta`. They never go below zero: a negative result can only come from rows
    /// written outside the ledger, and is logged.
    pub fn shifted(self, delta: Delta) -> Self {
        let size = i128::from(self.size_bytes) + delta.size_bytes;
        let count = i128::from(self.object_count) + i128::from(delta.object_count);
        if size < 0 || count < 0 {
            tracing::warn!(?self, ?delta, "totals would go negative; clamping at zero");
        }
        Self {
            size_bytes: u64::try_from(size.max(0)).unwrap_or(u64::MAX),
            object_count: u64::try_from(count.max(0)).unwrap_or(u64::MAX),
        }
    }
}

/// The timestamp of the next sample: now, or the first free millisecond after the last sample.
pub fn next_sample_ts(now_ms: i64, last_ts_ms: Option<i64>) -> i64 {
    match last_ts_ms {
        Some(last) if last >= now_ms => last + 1,
        _ => now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BucketName, ObjectKey};

    fn change(seq: &str, kind: ChangeKind) -> ObjectChange {
        ObjectChange {
            bucket: BucketName::parse("b-1").unwrap(),
            key: ObjectKey::parse("k").unwrap(),
            sequencer: Sequencer::parse(seq).unwrap(),
            kind,
        }
    }

    fn state(seq: &str, present: bool, size: u64) -> KeyState {
        KeyState { sequencer: Sequencer::parse(seq).unwrap(), present, size }
    }

    #[test]
    fn overwrite_moves_size_not_count() {
        let t = transition(Some(&state("1", true, 18)), &change("2", ChangeKind::Created { size: 27 }));
        assert_eq!(
            t,
            Transition::Apply { next: state("2", true, 27), delta: Delta { size_bytes: 9, object_count: 0 } }
        );
    }

    #[test]
    fn removal_of_a_tombstone_moves_nothing() {
        let t = transition(Some(&state("1", false, 0)), &change("2", ChangeKind::Removed));
        assert_eq!(t, Transition::Apply { next: state("2", false, 0), delta: Delta::default() });
    }

    #[test]
    fn same_or_older_sequencer_is_skipped() {
        let current = state("0A", true, 5);
        assert_eq!(
            transition(Some(&current), &change("a", ChangeKind::Removed)),
            Transition::Skip(SkipReason::Duplicate)
        );
        assert_eq!(
            transition(Some(&current), &change("9", ChangeKind::Removed)),
            Transition::Skip(SkipReason::Stale)
        );
    }

    #[test]
    fn sample_timestamps_never_repeat() {
        assert_eq!(next_sample_ts(100, None), 100);
        assert_eq!(next_sample_ts(100, Some(99)), 100);
        assert_eq!(next_sample_ts(100, Some(100)), 101);
        assert_eq!(next_sample_ts(100, Some(250)), 251);
    }
}
