//! What an invocation did, as CloudWatch metrics: one Embedded Metric Format line on standard output,
//! which CloudWatch Logs turns into metrics with no API call.

use serde_json::json;

/// The namespace of the tracker's metrics.
pub const NAMESPACE: &str = "s3-size-micro/tracker";

/// Counts of one invocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records that moved a key.
    pub applied: usize,
    /// Records that changed nothing (duplicates, stale, untracked, reserved, not a change).
    pub skipped: usize,
    /// Records too old to apply safely, parked until reconcile settles their keys.
    pub parked: usize,
    /// SQS messages reported as failed (malformed, or not applied now).
    pub failed_messages: usize,
}

impl Counts {
    pub(crate) fn add(&mut self, reports: &[crate::RecordReport]) {
        for report in reports {
            match (report.outcome, report.reason) {
                (crate::Outcome::Applied, _) => self.applied += 1,
                (_, Some(crate::SkipReason::Parked)) => self.parked += 1,
                _ => self.skipped += 1,
            }
        }
    }

    /// The EMF line for these counts at `timestamp_ms`.
    pub fn emf_line(&self, timestamp_ms: i64) -> String {
        let metric = |name: &str| json!({ "Name": name, "Unit": "Count" });
        json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [[]],
                    "Metrics": [metric("RecordsApplied"), metric("RecordsSkipped"), metric("RecordsParked"), metric("MessagesFailed")],
                }],
            },
            "RecordsApplied": self.applied,
            "RecordsSkipped": self.skipped,
            "RecordsParked": self.parked,
            "MessagesFailed": self.failed_messages,
        })
        .to_string()
    }
}

/// The EMF line of a finished reconcile walk of one bucket (dimension `Bucket`): how far the ledger was
/// off (`KeysCorrected` is the drift alarm's metric; `DriftBytes` and `DriftObjects` are listed minus
/// tracked), and the bucket's tracked totals, so that a bucket with no events still reports them.
pub fn reconcile_emf_line(report: &crate::reconcile::ReconcileReport, timestamp_ms: i64) -> String {
    let metric = |name: &str, unit: &str| json!({ "Name": name, "Unit": unit });
    let progress = &report.progress;
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Bucket"]],
                "Metrics": [
                    metric("KeysCorrected", "Count"),
                    metric("DriftBytes", "Bytes"),
                    metric("DriftObjects", "Count"),
                    metric("TrackedSizeBytes", "Bytes"),
                    metric("TrackedObjectCount", "Count"),
                ],
            }],
        },
        "Bucket": report.bucket,
        "KeysCorrected": progress.corrected(),
        "DriftBytes": progress.drift_bytes,
        "DriftObjects": progress.drift_objects,
        "TrackedSizeBytes": report.size_bytes,
        "TrackedObjectCount": report.object_count,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_declares_each_metric_and_carries_its_value() {
        let counts = Counts { applied: 3, skipped: 1, parked: 2, failed_messages: 0 };
        let line: serde_json::Value = serde_json::from_str(&counts.emf_line(1_700_000_000_000)).unwrap();
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], NAMESPACE);
        let names: Vec<&str> =
            declared["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap()).collect();
        assert_eq!(names, ["RecordsApplied", "RecordsSkipped", "RecordsParked", "MessagesFailed"]);
        for (name, value) in names.iter().zip([3, 1, 2, 0]) {
            assert_eq!(line[*name], value, "{name}");
        }
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
            progress,
            settled: 0,
            size_bytes: 900,
            object_count: 9,
        };
        let line: serde_json::Value = serde_json::from_str(&reconcile_emf_line(&report, 5)).unwrap();
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Dimensions"], json!([["Bucket"]]));
        assert_eq!(line["Bucket"], "b-1");
        let names: Vec<&str> =
            declared["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap()).collect();
        for (name, value) in names.iter().zip([json!(7), json!(-70), json!(1), json!(900), json!(9)]) {
            assert_eq!(line[*name], value, "{name}");
        }
    }
}
