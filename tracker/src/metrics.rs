//! What an invocation did, as CloudWatch metrics: Embedded Metric Format lines on standard output, which
//! CloudWatch Logs turns into metrics with no API call. `contract/metrics.json` lists the same lines, for
//! the infra's alarms and dashboard (`tracker/tests/metrics_contract.rs` holds this code to it).
//!
//! Namespace [`NAMESPACE`]. Per invocation (no dimension): `RecordsApplied`, `RecordsSkipped`,
//! `RecordsParked`, `MessagesFailed`, `BatchSize` (messages, or 1 for a direct notification),
//! `MessagesRedelivered` (SQS messages received before), `DeliveryLag` (ms from a record's event time to
//! the sample that applied it). Per skip reason (dimension `Reason`): `RecordsSkipped`. Per bucket the
//! invocation moved (dimension `Bucket`): `TrackedSizeBytes`, `TrackedObjectCount`; the scheduled reconcile
//! reports the same two for every bucket at every tick ([`tracked_totals_emf_line`]), and with its drift
//! when a walk finishes ([`reconcile_emf_line`]), and the bucket's all-versions series as
//! `TrackedAllVersionsSizeBytes`, `TrackedVersionCount` (the figures S3's daily `BucketSizeBytes` and
//! `NumberOfObjects` count, noncurrent versions included).

use std::collections::BTreeMap;

use domain::{BucketName, Series, Totals};
use serde_json::{Value, json};

use crate::{Outcome, RecordReport, SkipReason};

/// The namespace of the tracker's metrics.
pub const NAMESPACE: &str = "s3-size-micro/tracker";

/// EMF takes at most this many values for one metric in one line.
const MAX_VALUES: usize = 100;

/// What one invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records that moved a key.
    pub applied: usize,
    /// Records that changed nothing, by why (duplicates, stale, untracked, reserved, not a change, test
    /// events); parked ones are counted apart.
    pub skipped: BTreeMap<SkipReason, usize>,
    /// Records too old to apply safely, parked until reconcile settles their keys.
    pub parked: usize,
    /// SQS messages reported as failed (malformed, or not applied now).
    pub failed_messages: usize,
    /// The messages of the invocation (1 for a notification invoked directly).
    pub messages: usize,
    /// SQS messages received before (their `ApproximateReceiveCount` is over 1): retries of failed ones.
    pub redelivered: usize,
    /// Per applied record, how long after its event the sample that applied it was taken (ms).
    pub lags_ms: Vec<i64>,
    /// Each bucket's totals after the invocation, as its last sample showed them.
    pub buckets: BTreeMap<BucketName, (i64, Totals)>,
}

impl Counts {
    pub(crate) fn add(&mut self, reports: &[RecordReport]) {
        for report in reports {
            match (report.outcome, report.reason) {
                (Outcome::Applied, _) => self.applied += 1,
                (_, Some(SkipReason::Parked)) => self.parked += 1,
                (_, reason) => {
                    *self.skipped.entry(reason.unwrap_or(SkipReason::NotAChange)).or_default() += 1
                }
            }
            let (Outcome::Applied, Some(ts)) = (report.outcome, report.ts) else { continue };
            if let Some(event_ms) = report.event_time_ms {
                self.lags_ms.push((ts - event_ms).max(0));
            }
            if let (Some(bucket), Some(size_bytes), Some(object_count)) =
                (&report.bucket, report.size_bytes, report.object_count)
            {
                let latest = self.buckets.entry(bucket.clone()).or_insert((ts, Totals::default()));
                if ts >= latest.0 {
                    *latest = (ts, Totals { size_bytes, object_count });
                }
            }
        }
    }

    /// Records skipped, whatever the reason (parked ones aside).
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }

    /// The EMF lines for these counts at `timestamp_ms`: the invocation's, one per skip reason seen, one
    /// per bucket moved.
    pub fn emf_lines(&self, timestamp_ms: i64) -> Vec<String> {
        let mut invocation = vec![
            ("RecordsApplied", "Count", json!(self.applied)),
            ("RecordsSkipped", "Count", json!(self.skipped_total())),
            ("RecordsParked", "Count", json!(self.parked)),
            ("MessagesFailed", "Count", json!(self.failed_messages)),
            ("BatchSize", "Count", json!(self.messages)),
            ("MessagesRedelivered", "Count", json!(self.redelivered)),
        ];
        if !self.lags_ms.is_empty() {
            invocation.push(("DeliveryLag", "Milliseconds", json!(at_most_values(&self.lags_ms))));
        }
        let mut lines = vec![emf_line(timestamp_ms, &[], &[], &invocation)];
        for (reason, count) in &self.skipped {
            let metric = [("RecordsSkipped", "Count", json!(count))];
            lines.push(emf_line(timestamp_ms, &["Reason"], &[json!(reason.as_str())], &metric));
        }
        for (bucket, (_, totals)) in &self.buckets {
            lines.push(tracked_totals_emf_line(bucket, *totals, timestamp_ms));
        }
        lines
    }
}

/// At most [`MAX_VALUES`] of `values`: each the largest of its share of them, so their maximum, the
/// figure an alarm on lag watches, stays exact.
fn at_most_values(values: &[i64]) -> Vec<i64> {
    let per_value = values.len().div_ceil(MAX_VALUES);
    values.chunks(per_value).filter_map(|chunk| chunk.iter().copied().max()).collect()
}

/// One EMF line: the `metrics` (name, unit, value), under one dimension set of `dimensions` with these
/// `values`.
fn emf_line(
    timestamp_ms: i64,
    dimensions: &[&str],
    values: &[Value],
    metrics: &[(&str, &str, Value)],
) -> String {
    let declared: Vec<Value> =
        metrics.iter().map(|(name, unit, _)| json!({ "Name": name, "Unit": unit })).collect();
    let mut line = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{ "Namespace": NAMESPACE, "Dimensions": [dimensions], "Metrics": declared }],
        },
    });
    for (dimension, value) in dimensions.iter().zip(values) {
        line[*dimension] = value.clone();
    }
    for (name, _, value) in metrics {
        line[*name] = value.clone();
    }
    line.to_string()
}

/// The names a series' tracked totals are reported under: its size, then its count.
fn totals_metric_names(series: Series) -> (&'static str, &'static str) {
    match series {
        Series::Current => ("TrackedSizeBytes", "TrackedObjectCount"),
        Series::AllVersions => ("TrackedAllVersionsSizeBytes", "TrackedVersionCount"),
    }
}

/// The tracked totals of `bucket`'s `series` (dimension `Bucket`), with `more` metrics beside them.
fn bucket_totals_line(
    timestamp_ms: i64,
    bucket: &str,
    series: Series,
    totals: Totals,
    more: &[(&str, &str, Value)],
) -> String {
    let (size, count) = totals_metric_names(series);
    let mut metrics = more.to_vec();
    metrics.push((size, "Bytes", json!(totals.size_bytes)));
    metrics.push((count, "Count", json!(totals.object_count)));
    emf_line(timestamp_ms, &["Bucket"], &[json!(bucket)], &metrics)
}

/// The EMF line of the tracked totals of `name` (a bucket, or its all-versions series) alone (dimension
/// `Bucket`, the bucket's name): what the scheduled reconcile reports at every tick of a series whose walk
/// did not finish in it.
pub fn tracked_totals_emf_line(name: &BucketName, totals: Totals, timestamp_ms: i64) -> String {
    let (bucket, series) = Series::split(name);
    bucket_totals_line(timestamp_ms, bucket.as_str(), series, totals, &[])
}

/// The EMF line of a finished reconcile walk of one bucket's series (dimension `Bucket`): for the current
/// series how far the ledger was off (`KeysCorrected` is the drift alarm's metric; `DriftBytes` and
/// `DriftObjects` are listed minus tracked), and the series' tracked totals, so that a bucket with no
/// events still reports them. The all-versions series reports its totals alone: its walk's corrections
/// are not what the drift alarm watches.
pub fn reconcile_emf_line(report: &crate::reconcile::ReconcileReport, timestamp_ms: i64) -> String {
    let progress = &report.progress;
    let drift = match report.series {
        Series::Current => vec![
            ("KeysCorrected", "Count", json!(progress.corrected())),
            ("DriftBytes", "Bytes", json!(progress.drift_bytes)),
            ("DriftObjects", "Count", json!(progress.drift_objects)),
        ],
        Series::AllVersions => Vec::new(),
    };
    let totals = Totals { size_bytes: report.size_bytes, object_count: report.object_count };
    bucket_totals_line(timestamp_ms, &report.bucket, report.series, totals, &drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks a line against the Embedded Metric Format's specification: a JSON object whose `_aws` has
    /// an integer `Timestamp` and `CloudWatchMetrics` directives, each with a `Namespace` (1 to 1 024
    /// characters), `Dimensions` (sets of at most 30 names, each a string member of the line) and
    /// `Metrics` (at most 100, each `Name` a number, or an array of at most 100 numbers, of the line,
    /// with a `Unit` CloudWatch knows). Answers the line.
    fn checked(line: &str) -> Value {
        const UNITS: [&str; 4] = ["Count", "Bytes", "Milliseconds", "None"];
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {e}: {line}"));
        let aws = &value["_aws"];
        assert!(aws["Timestamp"].is_i64(), "Timestamp: {line}");
        let directives = aws["CloudWatchMetrics"].as_array().expect("CloudWatchMetrics");
        assert!(!directives.is_empty());
        for directive in directives {
            let namespace = directive["Namespace"].as_str().expect("Namespace");
            assert!((1..=1024).contains(&namespace.len()));
            for set in directive["Dimensions"].as_array().expect("Dimensions") {
                let set = set.as_array().expect("a dimension set");
                assert!(set.len() <= 30);
                for name in set {
                    let name = name.as_str().expect("a dimension name");
                    assert!(value[name].is_string(), "dimension {name} is a string member: {line}");
                }
            }
            let metrics = directive["Metrics"].as_array().expect("Metrics");
            assert!(!metrics.is_empty() && metrics.len() <= 100);
            for metric in metrics {
                let name = metric["Name"].as_str().expect("Name");
                assert!(UNITS.contains(&metric["Unit"].as_str().expect("Unit")), "{line}");
                match &value[name] {
                    Value::Number(_) => {}
                    Value::Array(values) => {
                        assert!(values.len() <= 100 && values.iter().all(Value::is_number), "{name}: {line}")
                    }
                    other => panic!("metric {name} has no number: {other:?} in {line}"),
                }
            }
        }
        value
    }

    fn report(
        outcome: Outcome,
        reason: Option<SkipReason>,
        bucket: &str,
        ts: i64,
        event_ms: i64,
    ) -> RecordReport {
        RecordReport {
            outcome,
            reason,
            bucket: Some(BucketName::parse(bucket).unwrap()),
            key: None,
            size_bytes: Some(ts as u64),
            object_count: Some(1),
            ts: (outcome == Outcome::Applied).then_some(ts),
            event_time_ms: Some(event_ms),
        }
    }

    #[test]
    fn an_invocation_reports_its_records_by_outcome_its_batch_its_lag_and_each_buckets_totals() {
        let mut counts = Counts { messages: 4, redelivered: 1, failed_messages: 1, ..Counts::default() };
        counts.add(&[
            report(Outcome::Applied, None, "b-1", 1_000, 400),
            report(Outcome::Applied, None, "b-1", 1_001, 1_000),
            report(Outcome::Applied, None, "b-2", 900, 850),
            report(Outcome::Skipped, Some(SkipReason::Duplicate), "b-1", 0, 0),
            report(Outcome::Skipped, Some(SkipReason::Duplicate), "b-2", 0, 0),
            report(Outcome::Skipped, Some(SkipReason::ReservedPrefix), "b-1", 0, 0),
            report(Outcome::Skipped, Some(SkipReason::Parked), "b-1", 0, 0),
        ]);
        let lines: Vec<Value> = counts.emf_lines(7).iter().map(|line| checked(line)).collect();
        let [invocation, duplicate, reserved, first, second] = lines.as_slice() else { panic!("{lines:?}") };
        for (name, value) in [
            ("RecordsApplied", json!(3)),
            ("RecordsSkipped", json!(3)),
            ("RecordsParked", json!(1)),
            ("MessagesFailed", json!(1)),
            ("BatchSize", json!(4)),
            ("MessagesRedelivered", json!(1)),
            ("DeliveryLag", json!([600, 1, 50])),
        ] {
            assert_eq!(invocation[name], value, "{name}");
        }
        assert_eq!(invocation["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([[]]));
        assert_eq!(
            (duplicate["Reason"].as_str(), duplicate["RecordsSkipped"].as_i64()),
            (Some("duplicate"), Some(2))
        );
        assert_eq!(
            (reserved["Reason"].as_str(), reserved["RecordsSkipped"].as_i64()),
            (Some("reserved_prefix"), Some(1))
        );
        // The last sample of each bucket: b-1's at 1 001, b-2's at 900.
        assert_eq!(
            (first["Bucket"].as_str(), first["TrackedSizeBytes"].as_i64()),
            (Some("b-1"), Some(1_001))
        );
        assert_eq!(
            (second["Bucket"].as_str(), second["TrackedSizeBytes"].as_i64()),
            (Some("b-2"), Some(900))
        );
        assert_eq!(first["_aws"]["Timestamp"], 7);
    }

    #[test]
    fn an_invocation_that_applied_nothing_declares_no_lag_and_no_bucket() {
        let counts = Counts { messages: 1, ..Counts::default() };
        let lines = counts.emf_lines(1);
        assert_eq!(lines.len(), 1);
        let line = checked(&lines[0]);
        assert!(line.get("DeliveryLag").is_none());
        assert_eq!(line["BatchSize"], 1);
    }

    #[test]
    fn a_lag_of_many_records_keeps_at_most_a_hundred_values_and_the_largest() {
        let lags: Vec<i64> = (0..1_000).map(|i| (i * 7919) % 1_000).collect();
        let kept = at_most_values(&lags);
        assert_eq!(kept.len(), 100);
        assert_eq!(kept.iter().max(), lags.iter().max());
        assert_eq!(at_most_values(&[5, 3]), [5, 3]);
    }

    #[test]
    fn a_finished_walk_reports_its_drift_and_the_buckets_totals_per_bucket() {
        let progress = domain::checkpoint::Progress {
            listed: 10,
            added: 2,
            removed: 1,
            resized: 4,
            raced: 3,
            drift_bytes: -70,
            drift_objects: 1,
        };
        let report = crate::reconcile::ReconcileReport {
            bucket: "b-1".into(),
            series: domain::Series::Current,
            progress,
            settled: 0,
            size_bytes: 900,
            object_count: 9,
        };
        let bucket = BucketName::parse("b-1").unwrap();
        let totals =
            checked(&tracked_totals_emf_line(&bucket, Totals { size_bytes: 900, object_count: 9 }, 5));
        let declared = &totals["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Dimensions"], json!([["Bucket"]]));
        assert_eq!((&totals["TrackedSizeBytes"], &totals["TrackedObjectCount"]), (&json!(900), &json!(9)));
        assert_eq!(declared["Metrics"].as_array().unwrap().len(), 2);

        let line = checked(&reconcile_emf_line(&report, 5));
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Dimensions"], json!([["Bucket"]]));
        assert_eq!(line["Bucket"], "b-1");
        let names: Vec<&str> =
            declared["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            ["KeysCorrected", "DriftBytes", "DriftObjects", "TrackedSizeBytes", "TrackedObjectCount"]
        );
        for (name, value) in names.iter().zip([json!(7), json!(-70), json!(1), json!(900), json!(9)]) {
            assert_eq!(line[*name], value, "{name}");
        }
    }

    #[test]
    fn the_all_versions_series_reports_its_totals_under_its_own_names_per_bucket() {
        let bucket = BucketName::parse("b-1").unwrap();
        let versions = Totals { size_bytes: 33, object_count: 4 };
        let line = checked(&tracked_totals_emf_line(&bucket.all_versions(), versions, 5));
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Dimensions"], json!([["Bucket"]]));
        assert_eq!(line["Bucket"], "b-1", "the bucket's own name: {line}");
        assert_eq!(
            (&line["TrackedAllVersionsSizeBytes"], &line["TrackedVersionCount"]),
            (&json!(33), &json!(4))
        );
        assert!(line.get("TrackedSizeBytes").is_none(), "{line}");

        let report = crate::reconcile::ReconcileReport {
            bucket: "b-1".into(),
            series: Series::AllVersions,
            progress: domain::checkpoint::Progress {
                listed: 4,
                added: 4,
                drift_objects: 4,
                ..Default::default()
            },
            settled: 0,
            size_bytes: 33,
            object_count: 4,
        };
        let finished = checked(&reconcile_emf_line(&report, 5));
        let names: Vec<&str> = finished["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["TrackedAllVersionsSizeBytes", "TrackedVersionCount"], "no drift: {finished}");
        assert_eq!(finished["Bucket"], "b-1");
    }
}
