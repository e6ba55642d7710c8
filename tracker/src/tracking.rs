use std::sync::Arc;

use domain::{ApplyOutcome, ChangeKind, Ledger, ObjectChange, StoreError};

use crate::TrackingRules;
use crate::current::CurrentObjects;
use crate::event::{Notification, Record};
use crate::report::{RecordReport, SkipReason};

/// Why a notification could not be applied; it is safe to deliver it again.
#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the current state of s3://{bucket}/{key} failed: {}", domain::ErrorChain(.source.as_ref()))]
    CurrentObject {
        bucket: domain::BucketName,
        key: domain::ObjectKey,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Applies notifications to the ledger.
#[derive(Clone)]
pub struct Tracker {
    ledger: Arc<dyn Ledger>,
    rules: TrackingRules,
    current: Option<Arc<dyn CurrentObjects>>,
}

impl Tracker {
    pub fn new(ledger: Arc<dyn Ledger>, rules: TrackingRules) -> Self {
        Self { ledger, rules, current: None }
    }

    /// Settles ties between changes that carry no sequencer of their sender ([`Record::TimeOrdered`]) by
    /// reading the object from `current`. S3 always sends sequencers, so the Lambda function needs none;
    /// without it, such a tie is kept as a duplicate (and logged), which is exact only if both changes
    /// left the object the same.
    pub fn with_current_objects(mut self, current: Arc<dyn CurrentObjects>) -> Self {
        self.current = Some(current);
        self
    }

    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    pub fn rules(&self) -> &TrackingRules {
        &self.rules
    }

    /// Applies every record in order. Stops at the first store failure: the caller retries the whole
    /// notification, which is safe because applying a record twice skips it the second time.
    pub async fn handle(&self, notification: &Notification) -> Result<Vec<RecordReport>, TrackError> {
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

    async fn handle_record(&self, record: &Record) -> Result<RecordReport, TrackError> {
        let (change, time_ordered) = match record {
            Record::NotAChange { bucket, key, event_name } => {
                tracing::debug!(%bucket, %key, event_name, "not a size change");
                return Ok(RecordReport::skipped(SkipReason::NotAChange, Some(bucket), Some(key)));
            }
            Record::Change(change) => (change, false),
            Record::TimeOrdered(change) => (change, true),
        };
        let (bucket, key) = (&change.bucket, &change.key);
        if !self.rules.tracks(bucket) {
            return Ok(RecordReport::skipped(SkipReason::UntrackedBucket, Some(bucket), Some(key)));
        }
        if self.rules.is_reserved(key) {
            return Ok(RecordReport::skipped(SkipReason::ReservedPrefix, Some(bucket), Some(key)));
        }
        let mut outcome = self.ledger.apply(change).await?;
        if time_ordered
            && matches!(outcome, ApplyOutcome::Skipped { reason: domain::SkipReason::Duplicate, .. })
        {
            outcome = self.settle_tie(change, outcome).await?;
        }
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

impl Tracker {
    /// A time-ordered change tied with the key's stored change: it is a redelivery, or another change in
    /// the same instant, and only the object itself can say which state is the last. Its current state is
    /// applied one step after the tie, so a redelivery of either change is then stale, and any later
    /// change still orders after it.
    async fn settle_tie(
        &self,
        change: &ObjectChange,
        tied: ApplyOutcome,
    ) -> Result<ApplyOutcome, TrackError> {
        let Some(current) = &self.current else {
            tracing::warn!(
                bucket = %change.bucket,
                key = %change.key,
                sequencer = %change.sequencer,
                "a change with no sender sequencer tied with the stored one; kept as a duplicate"
            );
            return Ok(tied);
        };
        let size = current.size_of(&change.bucket, &change.key).await.map_err(|source| {
            TrackError::CurrentObject { bucket: change.bucket.clone(), key: change.key.clone(), source }
        })?;
        let settled = ObjectChange {
            sequencer: change.sequencer.successor(),
            kind: size.map_or(ChangeKind::Removed, |size| ChangeKind::Created { size }),
            ..change.clone()
        };
        tracing::debug!(bucket = %change.bucket, key = %change.key, ?size, "a same-instant tie settled from S3");
        Ok(self.ledger.apply(&settled).await?)
    }
}
