//! The EMF lines the tracker and the reconcile function print are exactly the lines
//! `contract/metrics.json` lists (namespace, dimension set, metric names), which the infra's alarms and
//! dashboard read.

use std::collections::{BTreeMap, BTreeSet};

use domain::checkpoint::Progress;
use domain::{BucketName, Totals};
use serde_json::Value;
use tracker::SkipReason;
use tracker::metrics::{Counts, reconcile_emf_line, tracked_totals_emf_line};
use tracker::reconcile::ReconcileReport;

/// A line's dimension set and metric names.
type Shape = (Vec<String>, Vec<String>);

fn strings(value: &Value) -> Vec<String> {
    value.as_array().expect("an array").iter().map(|v| v.as_str().expect("a string").to_owned()).collect()
}

fn shape_of(line: &str, namespace: &str) -> Shape {
    let line: Value = serde_json::from_str(line).unwrap();
    let [directive] = line["_aws"]["CloudWatchMetrics"].as_array().unwrap().as_slice() else {
        panic!("one directive a line: {line}")
    };
    assert_eq!(directive["Namespace"], namespace);
    let [dimensions] = directive["Dimensions"].as_array().unwrap().as_slice() else {
        panic!("one dimension set a line: {line}")
    };
    let metrics =
        directive["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap().to_owned());
    (strings(dimensions), metrics.collect())
}

#[test]
fn every_line_printed_is_a_line_of_the_contract_and_every_line_of_the_contract_is_printed() {
    let contract = testkit::contract::load("metrics.json");
    let namespace = contract["namespace"].as_str().unwrap();
    assert_eq!(namespace, tracker::metrics::NAMESPACE);
    let listed: BTreeMap<String, Shape> = contract["lines"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, line)| (name.clone(), (strings(&line["dimensions"]), strings(&line["metrics"]))))
        .collect();

    // An invocation that did everything: applied with a lag, skipped, moved a bucket.
    let bucket = BucketName::parse("b-1").unwrap();
    let counts = Counts {
        applied: 2,
        skipped: BTreeMap::from([(SkipReason::Duplicate, 1)]),
        messages: 3,
        lags_ms: vec![5, 9],
        buckets: BTreeMap::from([(bucket.clone(), (1, Totals { size_bytes: 4, object_count: 1 }))]),
        ..Counts::default()
    };
    let report = ReconcileReport {
        bucket: bucket.to_string(),
        series: domain::Series::Current,
        progress: Progress::default(),
        settled: 0,
        size_bytes: 4,
        object_count: 1,
    };
    let mut printed: Vec<String> = counts.emf_lines(1);
    printed.push(reconcile_emf_line(&report, 1));
    printed.push(tracked_totals_emf_line(&bucket, Totals { size_bytes: 4, object_count: 1 }, 1));
    let versions = Totals { size_bytes: 9, object_count: 3 };
    printed.push(tracked_totals_emf_line(&bucket.all_versions(), versions, 1));
    printed.push(reconcile_emf_line(&ReconcileReport { series: domain::Series::AllVersions, ..report }, 1));
    let printed: BTreeSet<Shape> = printed.iter().map(|line| shape_of(line, namespace)).collect();
    let listed_shapes: BTreeSet<Shape> = listed.values().cloned().collect();
    assert_eq!(printed, listed_shapes, "lines printed (left) and in contract/metrics.json (right)");
}
