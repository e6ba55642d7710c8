//! Reconciling the ledger with a listing of the bucket: where the two disagree, the ledger's row is
//! corrected to what the listing shows, unless an event moved the row after it was read.
//!
//! Reconcile reads a range of the ledger's rows *before* it lists the same range of the bucket, and each
//! correction is written only if its key's row is still the one read. So a correction never undoes an
//! event: an event applied after the read moved the row (its sequencer, presence or size), and the
//! correction of that key is skipped; an event not yet applied carries a sequencer above the row's, and
//! the correction keeps the row's sequencer (the lowest for a key the ledger never saw), so the event
//! still wins when it arrives, whatever the correction wrote.

use crate::transition::{Delta, KeyState, Transition};
use crate::{ObjectKey, Sequencer, SkipReason};

/// One key where the ledger and the listing disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub key: ObjectKey,
    /// The key's row as reconcile read it, before listing: `None` when the ledger had no row.
    pub seen: Option<KeyState>,
    /// The object's size as listed, `None` when the listing does not have it.
    pub listed: Option<u64>,
}

/// What a correction does to the bucket, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionKind {
    /// Listed, but absent from the ledger (never seen, or a tombstone).
    Added,
    /// Present in the ledger, but not listed.
    Removed,
    /// Present in both, with another size.
    Resized,
}

/// The ledger's rows of one bucket over a range of keys, as [`crate::Ledger::key_rows`] answers them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRows {
    /// The rows (tombstones included) of the range, in key order.
    pub rows: Vec<(ObjectKey, KeyState)>,
    /// The range ends with this key, included: every row of a key up to it is in `rows`. `None`: the
    /// range runs to the last key.
    pub through: Option<ObjectKey>,
}

impl KeyRows {
    /// Whether the page holds nothing after `cursor`: it ends there or before.
    pub fn ends_by(&self, cursor: Option<&ObjectKey>) -> bool {
        match (&self.through, cursor) {
            (Some(through), Some(cursor)) => through <= cursor,
            _ => false,
        }
    }

    /// The rows up to `through` (all of them for `None`), and the rest of the page.
    pub fn split_through(self, through: Option<&ObjectKey>) -> (Vec<(ObjectKey, KeyState)>, KeyRows) {
        let KeyRows { mut rows, through: page_through } = self;
        let split = through.map_or(rows.len(), |through| rows.partition_point(|(key, _)| key <= through));
        let later = rows.split_off(split);
        (rows, KeyRows { rows: later, through: page_through })
    }
}

impl Correction {
    pub fn kind(&self) -> CorrectionKind {
        match (self.seen.as_ref().filter(|seen| seen.present), self.listed) {
            (None, _) => CorrectionKind::Added,
            (Some(_), None) => CorrectionKind::Removed,
            (Some(_), Some(_)) => CorrectionKind::Resized,
        }
    }

    /// The row the correction writes: the listed state under the seen row's sequencer.
    pub fn next(&self) -> KeyState {
        KeyState {
            sequencer: self.seen.as_ref().map_or_else(Sequencer::lowest, |seen| seen.sequencer.clone()),
            present: self.listed.is_some(),
            size: self.listed.unwrap_or(0),
        }
    }

    /// Decides what the correction does to a key whose row is now `current`: nothing (stale) if the row
    /// moved since it was read, or nothing (duplicate) if it already shows the listed state.
    pub fn transition(&self, current: Option<&KeyState>) -> Transition {
        if current != self.seen.as_ref() {
            return Transition::Skip(SkipReason::Stale);
        }
        let next = self.next();
        if current == Some(&next) || (current.is_none() && !next.present) {
            return Transition::Skip(SkipReason::Duplicate);
        }
        Transition::Apply { delta: Delta::between(current, &next), next }
    }
}

/// The corrections that make `rows` (the ledger's, in key order) agree with `listed` (the bucket's, in
/// key order), over one range of keys that both cover whole.
pub fn diff(rows: &[(ObjectKey, KeyState)], listed: &[(ObjectKey, u64)]) -> Vec<Correction> {
    let mut corrections = Vec::new();
    let (mut rows, mut listed) = (rows.iter().peekable(), listed.iter().peekable());
    loop {
        let order = match (rows.peek(), listed.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((row_key, _)), Some((listed_key, _))) => row_key.cmp(listed_key),
        };
        let (key, seen, size) = match order {
            std::cmp::Ordering::Less => {
                let (key, seen) = rows.next().expect("peeked");
                (key, Some(seen), None)
            }
            std::cmp::Ordering::Greater => {
                let (key, size) = listed.next().expect("peeked");
                (key, None, Some(*size))
            }
            std::cmp::Ordering::Equal => {
                let (key, seen) = rows.next().expect("peeked");
                let (_, size) = listed.next().expect("peeked");
                (key, Some(seen), Some(*size))
            }
        };
        let agrees = match (seen, size) {
            (Some(seen), Some(size)) => seen.present && seen.size == size,
            (Some(seen), None) => !seen.present,
            (None, _) => false,
        };
        if !agrees {
            corrections.push(Correction { key: key.clone(), seen: seen.cloned(), listed: size });
        }
    }
    corrections
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> ObjectKey {
        ObjectKey::parse(name).unwrap()
    }

    fn row(name: &str, sequencer: &str, present: bool, size: u64) -> (ObjectKey, KeyState) {
        (key(name), KeyState { sequencer: Sequencer::parse(sequencer).unwrap(), present, size })
    }

    #[test]
    fn the_diff_adds_removes_and_resizes_and_leaves_what_agrees() {
        let rows = [
            row("a", "1", true, 5),
            row("b", "2", true, 7),
            row("c", "3", false, 0),
            row("d", "4", true, 1),
            row("f", "5", false, 0),
        ];
        let listed = [(key("a"), 5), (key("b"), 8), (key("c"), 3), (key("e"), 9)];
        let corrections = diff(&rows, &listed);
        let found: Vec<(&str, CorrectionKind, Option<u64>)> =
            corrections.iter().map(|c| (c.key.as_str(), c.kind(), c.listed)).collect();
        assert_eq!(
            found,
            vec![
                ("b", CorrectionKind::Resized, Some(8)),
                ("c", CorrectionKind::Added, Some(3)),
                ("d", CorrectionKind::Removed, None),
                ("e", CorrectionKind::Added, Some(9)),
            ]
        );
    }

    #[test]
    fn a_correction_keeps_the_seen_sequencer_so_any_later_event_wins() {
        let (_, seen) = row("k", "0A", true, 7);
        let correction = Correction { key: key("k"), seen: Some(seen.clone()), listed: Some(9) };
        let Transition::Apply { next, delta } = correction.transition(Some(&seen)) else {
            panic!("the correction applies to the row it read")
        };
        assert_eq!(next.sequencer, seen.sequencer);
        assert_eq!(delta, Delta { size_bytes: 2, object_count: 0 });
        let later = crate::ObjectChange {
            bucket: crate::BucketName::parse("b-1").unwrap(),
            key: key("k"),
            sequencer: Sequencer::parse("0B").unwrap(),
            kind: crate::ChangeKind::Removed,
        };
        assert!(matches!(crate::transition::transition(Some(&next), &later), Transition::Apply { .. }));
    }

    #[test]
    fn a_row_moved_since_it_was_read_is_left_to_its_event() {
        let (_, seen) = row("k", "1", true, 7);
        let (_, moved) = row("k", "2", true, 7);
        let correction = Correction { key: key("k"), seen: Some(seen), listed: None };
        assert_eq!(correction.transition(Some(&moved)), Transition::Skip(SkipReason::Stale));
        assert_eq!(correction.transition(None), Transition::Skip(SkipReason::Stale));
        let unseen = Correction { key: key("k"), seen: None, listed: Some(3) };
        assert_eq!(unseen.transition(Some(&moved)), Transition::Skip(SkipReason::Stale));
        let Transition::Apply { next, .. } = unseen.transition(None) else { panic!("adds the unseen key") };
        assert_eq!(next.sequencer, Sequencer::lowest());
    }
}
