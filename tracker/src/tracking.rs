use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::{ApplyOutcome, BucketName, Clock, Ledger, ObjectChange, ObjectKey, StoreError, system_clock};
use futures::stream::{self, StreamExt};

use crate::TrackingRules;
use crate::current::{CurrentObjectError, CurrentObjects};
use crate::event::{Notification, Record};
use crate::report::{Outcome, RecordReport, SkipReason};

/// Why a notification could not be applied; it is safe to deliver it again.
#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    CurrentObject(#[from] CurrentObjectError),
    #[error(
        "a version of s3://{bucket}/{key} was removed, and this tracker reads no bucket to learn which is current now"
    )]
    NoBucketReader { bucket: BucketName, key: ObjectKey },
}

/// How many objects are read from the bucket at once for one batch.
const READS_IN_FLIGHT: usize = 16;

/// Applies notifications to the ledger.
#[derive(Clone)]
pub struct Tracker {
    ledger: Arc<dyn Ledger>,
    rules: TrackingRules,
    current: Option<Arc<dyn CurrentObjects>>,
    clock: Clock,
}

impl Tracker {
    pub fn new(ledger: Arc<dyn Ledger>, rules: TrackingRules) -> Self {
        Self { ledger, rules, current: None, clock: system_clock() }
    }

    /// The clock that decides which events are too old to apply (see [`Ledger::tombstone_lifetime`]).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Reads objects from `current` where a record alone cannot say what the key is now: a version
    /// removed for good ([`Record::VersionRemoved`]: the current version may be another one now), and a
    /// tie between changes that carry no sequencer of their sender ([`Record::TimeOrdered`]). Without
    /// it, a removed version fails its notification, and a tie is kept as a duplicate (and logged),
    /// which is exact only if both changes left the object the same.
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

    /// Applies one notification's records as one batch. A store failure fails the notification: the
    /// caller retries all of it, which is safe because applying a record twice skips it the second time.
    pub async fn handle(&self, notification: &Notification) -> Result<Vec<RecordReport>, TrackError> {
        self.handle_batch(&[notification]).await.pop().unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Applies the records of several notifications (an SQS batch) as one batch of the ledger, whatever
    /// their buckets and keys. Answers per notification, in order: its records' reports, or the error that
    /// failed one of its records (the notification is then to be delivered again, whole).
    pub async fn handle_batch(
        &self,
        notifications: &[&Notification],
    ) -> Vec<Result<Vec<RecordReport>, TrackError>> {
        let mut sorted = self.sort(notifications);
        let mut failed: Vec<Option<TrackError>> = notifications.iter().map(|_| None).collect();
        self.read_removed_versions(&mut sorted, &mut failed).await;
        let Sorted { mut reports, mut changes, origins, to_park, versions } = sorted;
        if !to_park.is_empty() {
            let parked: Vec<ObjectChange> = to_park.iter().map(|(_, change)| change.clone()).collect();
            if let Err(error) = self.ledger.park(&parked).await {
                let error = Arc::new(error);
                for (message, _) in &to_park {
                    failed[*message]
                        .get_or_insert_with(|| TrackError::Store(StoreError::Shared(Arc::clone(&error))));
                }
            }
        }
        // The versions' changes go with the keys' in one batch; they fail their notification, and
        // are reported by nothing else.
        let key_changes = changes.len();
        changes.extend(versions.iter().map(|(_, version)| version.clone()));
        let mut results =
            if changes.is_empty() { Vec::new() } else { self.ledger.apply_batch(&changes).await };
        let version_results = results.split_off(key_changes.min(results.len()));
        changes.truncate(key_changes);
        for ((message, _), result) in versions.iter().zip(version_results) {
            if let Err(error) = result {
                failed[*message].get_or_insert(TrackError::Store(StoreError::Shared(error)));
            }
        }
        for ((change, origin), result) in changes.iter().zip(origins).zip(results) {
            let outcome = match result {
                Ok(tied @ ApplyOutcome::Skipped { reason: domain::SkipReason::Duplicate, .. })
                    if origin.resolution == Resolution::TimeOrdered =>
                {
                    self.settle_tie(change, tied).await
                }
                Ok(outcome) => Ok(outcome),
                Err(error) => Err(TrackError::Store(StoreError::Shared(error))),
            };
            match outcome {
                Ok(outcome) => {
                    let report = self.report(change, &outcome).with_event_time(origin.event_time_ms);
                    reports[origin.message][origin.record] = Some(report);
                }
                Err(error) => {
                    failed[origin.message].get_or_insert(error);
                }
            }
        }
        reports
            .into_iter()
            .zip(failed)
            .map(|(reports, failed)| match failed {
                Some(error) => Err(error),
                None => Ok(reports.into_iter().flatten().collect()),
            })
            .collect()
    }

    /// Sorts the records of a batch: those skipped here (reported at once), those too old to apply (to
    /// park), and the changes for the ledger, each with where it came from.
    fn sort(&self, notifications: &[&Notification]) -> Sorted {
        let mut sorted = Sorted::default();
        let now = DateTime::from_timestamp_millis((self.clock)()).unwrap_or_else(Utc::now);
        let lifetime = self.ledger.tombstone_lifetime();
        for (message, notification) in notifications.iter().enumerate() {
            let records = match notification {
                Notification::Test => {
                    sorted.reports.push(vec![Some(RecordReport::skipped(SkipReason::TestEvent, None, None))]);
                    continue;
                }
                Notification::Records(records) => records,
            };
            let mut mine = Vec::with_capacity(records.len());
            for (record, entry) in records.iter().enumerate() {
                let (change, time, version, resolution) = match entry {
                    Record::NotAChange { bucket, key, event_name } => {
                        tracing::debug!(%bucket, %key, event_name, "not a size change");
                        mine.push(Some(RecordReport::skipped(
                            SkipReason::NotAChange,
                            Some(bucket),
                            Some(key),
                        )));
                        continue;
                    }
                    Record::Change(change, time, version) => (change, *time, version, Resolution::AsSent),
                    Record::TimeOrdered(change, time, version) => {
                        (change, *time, version, Resolution::TimeOrdered)
                    }
                    Record::VersionRemoved(change, time, version) => {
                        (change, *time, version, Resolution::FromBucket)
                    }
                };
                let skip = if !self.rules.tracks(&change.bucket) {
                    Some(SkipReason::UntrackedBucket)
                } else if self.rules.is_reserved(&change.bucket, &change.key) {
                    Some(SkipReason::ReservedPrefix)
                } else if time.is_some_and(|time| older_than(lifetime, time, now)) {
                    tracing::warn!(
                        bucket = %change.bucket,
                        key = %change.key,
                        sequencer = %change.sequencer,
                        event_time = ?time,
                        "an event older than the tombstone lifetime is parked until reconcile settles its key"
                    );
                    sorted.to_park.push((message, change.clone()));
                    Some(SkipReason::Parked)
                } else {
                    None
                };
                if let Some(reason) = skip {
                    tracing::info!(
                        bucket = %change.bucket,
                        key = %change.key,
                        sequencer = %change.sequencer,
                        outcome = Outcome::Skipped.as_str(),
                        reason = reason.as_str(),
                        "record handled"
                    );
                    mine.push(Some(RecordReport::skipped(reason, Some(&change.bucket), Some(&change.key))));
                    continue;
                }
                mine.push(None);
                sorted.changes.push(change.clone());
                let event_time_ms = time.map(|time| time.timestamp_millis());
                sorted.origins.push(Origin { message, record, resolution, event_time_ms });
                if let Some(version) = version {
                    sorted.versions.push((message, version.clone()));
                }
            }
            sorted.reports.push(mine);
        }
        sorted
    }

    fn report(&self, change: &ObjectChange, outcome: &ApplyOutcome) -> RecordReport {
        let (bucket, key) = (&change.bucket, &change.key);
        let report = RecordReport::from_outcome(bucket, key, outcome);
        tracing::info!(
            %bucket,
            %key,
            sequencer = %change.sequencer,
            outcome = report.outcome.as_str(),
            reason = report.reason.map(SkipReason::as_str),
            size_bytes = report.size_bytes,
            object_count = report.object_count,
            "record handled"
        );
        report
    }
}

impl Tracker {
    /// Replaces each change that removed a version ([`Resolution::FromBucket`]) with its key as the bucket
    /// holds it now, under the change's own sequencer: the version now current, or none. A read that
    /// fails fails its notification, and its change leaves the batch.
    async fn read_removed_versions(&self, sorted: &mut Sorted, failed: &mut [Option<TrackError>]) {
        let wanted: Vec<usize> = (0..sorted.changes.len())
            .filter(|&index| sorted.origins[index].resolution == Resolution::FromBucket)
            .collect();
        if wanted.is_empty() {
            return;
        }
        let reads: Vec<(usize, Result<ObjectChange, TrackError>)> = stream::iter(wanted)
            .map(|index| {
                let change = &sorted.changes[index];
                async move {
                    let now = match &self.current {
                        Some(current) => current
                            .as_it_is_now(change, change.sequencer.clone())
                            .await
                            .map_err(TrackError::from),
                        None => Err(TrackError::NoBucketReader {
                            bucket: change.bucket.clone(),
                            key: change.key.clone(),
                        }),
                    };
                    (index, now)
                }
            })
            .buffer_unordered(READS_IN_FLIGHT)
            .collect()
            .await;
        let mut unread = Vec::new();
        for (index, read) in reads {
            match read {
                Ok(now) => sorted.changes[index] = now,
                Err(error) => {
                    failed[sorted.origins[index].message].get_or_insert(error);
                    unread.push(index);
                }
            }
        }
        unread.sort_unstable();
        for index in unread.into_iter().rev() {
            sorted.changes.remove(index);
            sorted.origins.remove(index);
        }
    }

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
        let settled = current.as_it_is_now(change, change.sequencer.successor()).await?;
        tracing::debug!(bucket = %change.bucket, key = %change.key, kind = ?settled.kind, "a same-instant tie settled from S3");
        Ok(self.ledger.apply(&settled).await?)
    }
}

/// A batch's records, sorted (see [`Tracker::sort`]).
#[derive(Default)]
struct Sorted {
    /// Per notification, per record: its report if it is already known.
    reports: Vec<Vec<Option<RecordReport>>>,
    /// The changes for the ledger, and where each came from.
    changes: Vec<ObjectChange>,
    origins: Vec<Origin>,
    /// The changes to park, with their notification. A parked change's version is settled by the next
    /// reconcile of the all-versions series, which lists the bucket's versions.
    to_park: Vec<(usize, ObjectChange)>,
    /// The changes of the all-versions series, with their notification.
    versions: Vec<(usize, ObjectChange)>,
}

struct Origin {
    message: usize,
    record: usize,
    resolution: Resolution,
    event_time_ms: Option<i64>,
}

/// What decides the state a record's change applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    /// The record, ordered by its sender's sequencer.
    AsSent,
    /// The record, ordered by its time; a tie is settled from the bucket.
    TimeOrdered,
    /// The bucket: a version was removed, and the key is applied as it is now.
    FromBucket,
}

/// Whether an event of `time` may be older than the tombstones that would refuse it (kept for
/// `lifetime`, or for good).
fn older_than(lifetime: Option<std::time::Duration>, time: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let Some(lifetime) = lifetime else { return false };
    now.signed_duration_since(time).to_std().is_ok_and(|age| age > lifetime)
}
