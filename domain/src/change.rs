use crate::{BucketName, ObjectKey, Sample, Sequencer, Totals};

/// What happened to one object, as one S3 event record tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectChange {
    pub bucket: BucketName,
    pub key: ObjectKey,
    pub sequencer: Sequencer,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Put, post, copy or multipart completion: the object now has this size.
    Created { size: u64 },
    /// Deleted, or hidden by a delete marker.
    Removed,
}

/// What applying a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The change moved the totals (or confirmed them) and was recorded as this sample.
    Applied(Sample),
    /// The change was already known or superseded; the bucket's totals are unchanged.
    Skipped { reason: SkipReason, totals: Totals },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The same sequencer was applied before: S3 delivered the event again.
    Duplicate,
    /// A later event of the same key was applied first.
    Stale,
}
