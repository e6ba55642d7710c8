use serde::Serialize;
use store::{ApplyOutcome, Totals};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    Skipped,
}

/// What happened to one record, with the bucket's totals after it (where known): one JSON line of the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordReport {
    pub outcome: Outcome,
    /// Why a record was skipped: `duplicate`, `stale`, `reserved_prefix`, `untracked_bucket`,
    /// `not_a_change` or `test_event`.
    pub reason: Option<&'static str>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub size_bytes: Option<u64>,
    pub object_count: Option<u64>,
    /// The timestamp (epoch ms) of the sample the record produced.
    pub ts: Option<i64>,
}

impl RecordReport {
    pub(crate) fn skipped(reason: &'static str, bucket: Option<&str>, key: Option<&str>) -> Self {
        Self {
            outcome: Outcome::Skipped,
            reason: Some(reason),
            bucket: bucket.map(str::to_owned),
            key: key.map(str::to_owned),
            size_bytes: None,
            object_count: None,
            ts: None,
        }
    }

    pub(crate) fn from_outcome(bucket: &str, key: &str, outcome: &ApplyOutcome) -> Self {
        match outcome {
            ApplyOutcome::Applied(sample) => Self {
                outcome: Outcome::Applied,
                reason: None,
                bucket: Some(bucket.to_owned()),
                key: Some(key.to_owned()),
                size_bytes: Some(sample.size_bytes),
                object_count: Some(sample.object_count),
                ts: Some(sample.ts_ms),
            },
            ApplyOutcome::Skipped { reason, totals } => {
                Self::skipped(reason.as_str(), Some(bucket), Some(key)).with_totals(*totals)
            }
        }
    }

    pub fn with_totals(mut self, totals: Totals) -> Self {
        self.size_bytes = Some(totals.size_bytes);
        self.object_count = Some(totals.object_count);
        self
    }
}
