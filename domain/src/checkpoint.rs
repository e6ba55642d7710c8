//! Where a scheduled reconcile of a bucket stands, kept between invocations: a walk of the bucket
//! that outlasts one invocation resumes from its cursor, and one invocation at a time walks a bucket
//! (the holder of the lease).

use crate::ObjectKey;
use crate::correction::{Correction, CorrectionKind};
use crate::transition::Transition;

/// How far a walk of a bucket has come, and what it corrected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Objects listed so far (reserved prefixes excluded).
    pub listed: u64,
    /// Keys the listing has and the ledger had not (never seen, or removed), now added.
    pub added: u64,
    /// Keys the ledger had and the listing has not, now removed.
    pub removed: u64,
    /// Keys whose size the ledger had wrong, now corrected.
    pub resized: u64,
    /// Corrections left undone because an event moved their key after reconcile read it: the event's
    /// state stands.
    pub raced: u64,
    /// How far the ledger was off, as the corrections moved the totals: listed minus tracked.
    pub drift_bytes: i64,
    pub drift_objects: i64,
}

impl Progress {
    /// Counts what each correction did (`transitions` answers `corrections`, in order).
    pub fn count(&mut self, corrections: &[Correction], transitions: &[Transition]) {
        for (correction, transition) in corrections.iter().zip(transitions) {
            let Transition::Apply { delta, .. } = transition else {
                if matches!(transition, Transition::Skip(crate::SkipReason::Stale)) {
                    self.raced += 1;
                }
                continue;
            };
            match correction.kind() {
                CorrectionKind::Added => self.added += 1,
                CorrectionKind::Removed => self.removed += 1,
                CorrectionKind::Resized => self.resized += 1,
            }
            self.drift_bytes += i64::try_from(delta.size_bytes).unwrap_or(i64::MAX);
            self.drift_objects += delta.object_count;
        }
    }

    /// Keys whose row the walk corrected.
    pub fn corrected(&self) -> u64 {
        self.added + self.removed + self.resized
    }
}

/// A bucket's reconcile walk as last recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// When the walk began (epoch ms).
    pub started_ms: i64,
    /// Every key up to this one is reconciled (`None`: none yet).
    pub after: Option<ObjectKey>,
    pub progress: Progress,
    /// When the walk ended (epoch ms); `None` while it is under way.
    pub finished_ms: Option<i64>,
    /// Until when (epoch ms) an invocation walks the bucket and no other may; 0 when none does.
    pub leased_until_ms: i64,
}

impl Checkpoint {
    /// A walk beginning at `now_ms`, from the first key.
    pub fn begin(now_ms: i64) -> Self {
        Self {
            started_ms: now_ms,
            after: None,
            progress: Progress::default(),
            finished_ms: None,
            leased_until_ms: 0,
        }
    }
}

/// A stored value and the revision it was read at: storing over it succeeds only while the revision is
/// still the stored one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revised<T> {
    pub value: T,
    pub revision: u64,
}
