use domain::{ApplyOutcome, BucketName, ObjectKey, Totals};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    Skipped,
}

impl Outcome {
    /// As it is serialized (and logged): `applied`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Skipped => "skipped",
        }
    }
}

/// Why a record changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The same sequencer was applied before: S3 delivered the event again.
    Duplicate,
    /// A later event of the same key was applied first.
    Stale,
    /// The key lies under a reserved prefix (where the api stores plots).
    ReservedPrefix,
    /// The bucket is not one of the tracked buckets.
    UntrackedBucket,
    /// The record names an object but changes no size (restore, tagging, ACL, replication…).
    NotAChange,
    /// The `s3:TestEvent` S3 sends when notifications are configured.
    TestEvent,
    /// The event is older than the tombstone lifetime: kept aside until reconcile settles its key.
    Parked,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::Stale => "stale",
            Self::ReservedPrefix => "reserved_prefix",
            Self::UntrackedBucket => "untracked_bucket",
            Self::NotAChange => "not_a_change",
            Self::TestEvent => "test_event",
            Self::Parked => "parked",
        }
    }
}

impl From<domain::SkipReason> for SkipReason {
    fn from(reason: domain::SkipReason) -> Self {
        match reason {
            domain::SkipReason::Duplicate => Self::Duplicate,
            domain::SkipReason::Stale => Self::Stale,
        }
    }
}

/// What happened to one record, with the bucket's totals after it (where known): one JSON line of the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordReport {
    pub outcome: Outcome,
    pub reason: Option<SkipReason>,
    pub bucket: Option<BucketName>,
    pub key: Option<ObjectKey>,
    pub size_bytes: Option<u64>,
    pub object_count: Option<u64>,
    /// The timestamp (epoch ms) of the sample the record produced.
    pub ts: Option<i64>,
    /// When the record's event happened (epoch ms), where it says: for the delivery lag metric.
    #[serde(skip)]
    pub event_time_ms: Option<i64>,
}

impl RecordReport {
    pub(crate) fn skipped(reason: SkipReason, bucket: Option<&BucketName>, key: Option<&ObjectKey>) -> Self {
        Self {
            outcome: Outcome::Skipped,
            reason: Some(reason),
            bucket: bucket.cloned(),
            key: key.cloned(),
            size_bytes: None,
            object_count: None,
            ts: None,
            event_time_ms: None,
        }
    }

    pub(crate) fn from_outcome(bucket: &BucketName, key: &ObjectKey, outcome: &ApplyOutcome) -> Self {
        match outcome {
            ApplyOutcome::Applied(sample) => Self {
                outcome: Outcome::Applied,
                reason: None,
                bucket: Some(bucket.clone()),
                key: Some(key.clone()),
                size_bytes: Some(sample.size_bytes),
                object_count: Some(sample.object_count),
                ts: Some(sample.ts_ms),
                event_time_ms: None,
            },
            ApplyOutcome::Skipped { reason, totals } => {
                Self::skipped((*reason).into(), Some(bucket), Some(key)).with_totals(*totals)
            }
        }
    }

    pub fn with_event_time(mut self, event_time_ms: Option<i64>) -> Self {
        self.event_time_ms = event_time_ms;
        self
    }

    pub fn with_totals(mut self, totals: Totals) -> Self {
        self.size_bytes = Some(totals.size_bytes);
        self.object_count = Some(totals.object_count);
        self
    }
}
