//! Applying a batch of changes: per key, only the change with the highest sequencer can move the
//! ledger, so a batch is first reduced to those (the rest are skipped, against that one), and the
//! adapters read and write only the keys that remain. Both adapters use this, so they cannot disagree.

use std::collections::HashMap;
use std::sync::Arc;

use crate::{ApplyOutcome, BucketName, ChangeResult, ObjectChange, ObjectKey, SkipReason, StoreError};

/// A batch reduced to one change per key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coalesced {
    /// The index of each key's deciding change (its highest sequencer; the first of equals), in the order
    /// the keys first appear.
    pub deciding: Vec<usize>,
    /// For every other change: its index, the index of the change that decides its key, and why it
    /// changes nothing beside that one.
    pub superseded: Vec<Superseded>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Superseded {
    pub index: usize,
    pub decided_by: usize,
    pub reason: SkipReason,
}

/// Reduces `changes` to one change per (bucket, key).
pub fn coalesce(changes: &[ObjectChange]) -> Coalesced {
    let mut slot_of: HashMap<(&BucketName, &ObjectKey), usize> = HashMap::with_capacity(changes.len());
    let mut deciding: Vec<usize> = Vec::new();
    for (index, change) in changes.iter().enumerate() {
        match slot_of.get(&(&change.bucket, &change.key)) {
            None => {
                slot_of.insert((&change.bucket, &change.key), deciding.len());
                deciding.push(index);
            }
            Some(&slot) => {
                if change.sequencer > changes[deciding[slot]].sequencer {
                    deciding[slot] = index;
                }
            }
        }
    }
    let superseded = changes
        .iter()
        .enumerate()
        .filter_map(|(index, change)| {
            let decided_by = deciding[slot_of[&(&change.bucket, &change.key)]];
            (decided_by != index).then(|| {
                let reason = if change.sequencer == changes[decided_by].sequencer {
                    SkipReason::Duplicate
                } else {
                    SkipReason::Stale
                };
                Superseded { index, decided_by, reason }
            })
        })
        .collect();
    Coalesced { deciding, superseded }
}

impl Coalesced {
    /// Every change's result, given those of the deciding changes (in the order of `deciding`). A
    /// superseded change shares its deciding change's fate: skipped beside it when that one was applied or
    /// skipped, failed with it when it failed (so that it is delivered again with it).
    pub fn results(&self, deciding_results: Vec<ChangeResult>) -> Vec<ChangeResult> {
        let total = self.deciding.len() + self.superseded.len();
        let mut results: Vec<Option<ChangeResult>> = (0..total).map(|_| None).collect();
        for (&index, result) in self.deciding.iter().zip(deciding_results) {
            results[index] = Some(result);
        }
        for superseded in &self.superseded {
            let result = match &results[superseded.decided_by] {
                Some(Ok(outcome)) => {
                    Ok(ApplyOutcome::Skipped { reason: superseded.reason, totals: outcome.totals() })
                }
                Some(Err(error)) => Err(Arc::clone(error)),
                None => Err(Arc::new(StoreError::Corrupt {
                    backend: "batch",
                    message: "a deciding change has no result".into(),
                })),
            };
            results[superseded.index] = Some(result);
        }
        results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(Arc::new(StoreError::Corrupt {
                        backend: "batch",
                        message: "a change has no result".into(),
                    }))
                })
            })
            .collect()
    }
}

impl ApplyOutcome {
    /// The bucket's totals as this outcome saw them.
    pub fn totals(&self) -> crate::Totals {
        match self {
            Self::Applied(sample) => sample.totals(),
            Self::Skipped { totals, .. } => *totals,
        }
    }
}

/// The single result of a batch of one, its error unshared.
pub fn only_result(mut results: Vec<ChangeResult>) -> Result<ApplyOutcome, StoreError> {
    match results.pop() {
        Some(Ok(outcome)) if results.is_empty() => Ok(outcome),
        Some(Err(error)) if results.is_empty() => {
            Err(Arc::try_unwrap(error).unwrap_or_else(StoreError::Shared))
        }
        _ => {
            Err(StoreError::Corrupt { backend: "batch", message: "a batch of one answered otherwise".into() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChangeKind, Sample, Sequencer, Totals};

    fn change(key: &str, sequencer: &str) -> ObjectChange {
        ObjectChange {
            bucket: BucketName::parse("b-1").unwrap(),
            key: ObjectKey::parse(key).unwrap(),
            sequencer: Sequencer::parse(sequencer).unwrap(),
            kind: ChangeKind::Removed,
        }
    }

    #[test]
    fn the_highest_sequencer_decides_each_key_and_the_rest_are_stale_or_duplicates() {
        let changes =
            [change("a", "2"), change("b", "1"), change("a", "3"), change("a", "03"), change("a", "1")];
        let coalesced = coalesce(&changes);
        assert_eq!(coalesced.deciding, vec![2, 1]);
        assert_eq!(
            coalesced.superseded,
            vec![
                Superseded { index: 0, decided_by: 2, reason: SkipReason::Stale },
                Superseded { index: 3, decided_by: 2, reason: SkipReason::Duplicate },
                Superseded { index: 4, decided_by: 2, reason: SkipReason::Stale },
            ]
        );
    }

    #[test]
    fn keys_of_other_buckets_are_other_keys() {
        let mut other = change("a", "1");
        other.bucket = BucketName::parse("b-2").unwrap();
        assert_eq!(coalesce(&[change("a", "1"), other]).deciding, vec![0, 1]);
    }

    #[test]
    fn superseded_changes_share_the_fate_of_their_deciding_change() {
        let changes = [change("a", "1"), change("a", "2"), change("b", "1"), change("b", "1")];
        let coalesced = coalesce(&changes);
        let sample = Sample { bucket: changes[0].bucket.clone(), ts_ms: 5, size_bytes: 7, object_count: 1 };
        let failure = Arc::new(StoreError::Contention { bucket: "b-1".into(), attempts: 3 });
        let results = coalesced.results(vec![Ok(ApplyOutcome::Applied(sample)), Err(Arc::clone(&failure))]);
        assert_eq!(results.len(), 4);
        assert!(matches!(
            &results[0],
            Ok(ApplyOutcome::Skipped { reason: SkipReason::Stale, totals }) if *totals == Totals { size_bytes: 7, object_count: 1 }
        ));
        assert!(matches!(&results[1], Ok(ApplyOutcome::Applied(_))));
        assert!(matches!(&results[2], Err(e) if Arc::ptr_eq(e, &failure)));
        assert!(matches!(&results[3], Err(e) if Arc::ptr_eq(e, &failure)));
    }
}
