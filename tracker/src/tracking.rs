use std::sync::Arc;

use store::{BucketName, Ledger, Settings, StoreError};

use crate::event::{Notification, Record};
use crate::report::RecordReport;

/// Applies notifications to the ledger.
#[derive(Clone)]
pub struct Tracker {
    ledger: Arc<dyn Ledger>,
    reserved_prefixes: Vec<String>,
    /// `None` tracks every bucket that notifies.
    tracked_buckets: Option<Vec<BucketName>>,
}

impl Tracker {
    pub fn new(ledger: Arc<dyn Ledger>, reserved_prefixes: Vec<String>) -> Self {
        Self { ledger, reserved_prefixes, tracked_buckets: None }
    }

    /// The tracker the settings describe, on the configured store.
    pub async fn connect(settings: &Settings, sdk: &aws_config::SdkConfig) -> Result<Self, StoreError> {
        let ledger: Arc<dyn Ledger> = store::open(&settings.backend, sdk).await?;
        let tracker = Self::new(ledger, settings.reserved_prefixes.clone());
        Ok(match &settings.tracked_buckets {
            Some(buckets) => tracker.only_buckets(buckets.clone()),
            None => tracker,
        })
    }

    /// Restricts tracking to these buckets; records of others are skipped.
    pub fn only_buckets(mut self, buckets: Vec<BucketName>) -> Self {
        self.tracked_buckets = Some(buckets);
        self
    }

    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    pub fn reserved_prefixes(&self) -> &[String] {
        &self.reserved_prefixes
    }

    /// Applies every record in order. Stops at the first store failure: the caller retries the whole
    /// notification, which is safe because applying a record twice skips it the second time.
    pub async fn handle(&self, notification: &Notification) -> Result<Vec<RecordReport>, StoreError> {
        let records = match notification {
            Notification::Test => return Ok(vec![RecordReport::skipped("test_event", None, None)]),
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
                return Ok(RecordReport::skipped("not_a_change", Some(bucket.as_str()), Some(key.as_str())));
            }
            Record::Change(change) => change,
        };
        let (bucket, key) = (change.bucket.as_str(), change.key.as_str());
        if self.tracked_buckets.as_ref().is_some_and(|tracked| !tracked.contains(&change.bucket)) {
            return Ok(RecordReport::skipped("untracked_bucket", Some(bucket), Some(key)));
        }
        if change.key.is_under_any(&self.reserved_prefixes) {
            return Ok(RecordReport::skipped("reserved_prefix", Some(bucket), Some(key)));
        }
        let outcome = self.ledger.apply(change).await?;
        let report = RecordReport::from_outcome(bucket, key, &outcome);
        tracing::info!(
            bucket,
            key,
            sequencer = %change.sequencer,
            outcome = ?report.outcome,
            reason = report.reason,
            size_bytes = report.size_bytes,
            object_count = report.object_count,
            "record handled"
        );
        Ok(report)
    }
}
