use std::sync::Arc;

use domain::{Ledger, StoreError};

use crate::TrackingRules;
use crate::event::{Notification, Record};
use crate::report::{RecordReport, SkipReason};

/// Applies notifications to the ledger.
#[derive(Clone)]
pub struct Tracker {
    ledger: Arc<dyn Ledger>,
    rules: TrackingRules,
}

impl Tracker {
    pub fn new(ledger: Arc<dyn Ledger>, rules: TrackingRules) -> Self {
        Self { ledger, rules }
    }

    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    pub fn rules(&self) -> &TrackingRules {
        &self.rules
    }

    /// Applies every record in order. Stops at the first store failure: the caller retries the whole
    /// notification, which is safe because applying a record twice skips it the second time.
    pub async fn handle(&self, notification: &Notification) -> Result<Vec<RecordReport>, StoreError> {
        let records = match notification {
            Notification::Test => return Ok(vec![RecordReport::skipped(SkipReason::TestEvent, None, None)]),
            Notification::Records(records) => records,
        };
        let mut reports = Vec::with_capacity(records.len());
        for record in records {
            reports.push(self.handle_record(record).await?);
        }
        Ok(reports)
    }

    async fn handle_record(&self, record: &Record) -> Result<RecordReport, StoreError> {
        let change = match record {
            Record::NotAChange { bucket, key, event_name } => {
                tracing::debug!(%bucket, %key, event_name, "not a size change");
                return Ok(RecordReport::skipped(SkipReason::NotAChange, Some(bucket), Some(key)));
            }
            Record::Change(change) => change,
        };
        let (bucket, key) = (&change.bucket, &change.key);
        if !self.rules.tracks(bucket) {
            return Ok(RecordReport::skipped(SkipReason::UntrackedBucket, Some(bucket), Some(key)));
        }
        if self.rules.is_reserved(key) {
            return Ok(RecordReport::skipped(SkipReason::ReservedPrefix, Some(bucket), Some(key)));
        }
        let outcome = self.ledger.apply(change).await?;
        let report = RecordReport::from_outcome(bucket, key, &outcome);
        tracing::info!(
            %bucket,
            %key,
            sequencer = %change.sequencer,
            outcome = ?report.outcome,
            reason = report.reason.map(SkipReason::as_str),
            size_bytes = report.size_bytes,
            object_count = report.object_count,
            "record handled"
        );
        Ok(report)
    }
}
