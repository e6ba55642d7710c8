//! The tracker function makes exactly the AWS calls `contract/functions.json` grants it: no call it
//! would be refused, and no grant it never uses.

use std::collections::BTreeSet;

use store_dynamodb::LedgerTables;
use testkit::calls::CallRecorder;
use testkit::contract::FunctionContract;
use tracker::TrackingRules;
use tracker_lambda::TrackerLambdaConfig;

fn notification(name: &str) -> serde_json::Value {
    let path = testkit::workspace_root().join("tracker/tests/fixtures").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

#[tokio::test]
async fn every_call_is_granted_and_every_grant_is_used() {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let recorder = CallRecorder::default();
    let config = TrackerLambdaConfig {
        tables: LedgerTables { history: tables.history.clone(), index: tables.index.clone() },
        rules: TrackingRules::default(),
    };
    // The clock between the fixtures' events (2026-11-24 and 2026-12-01), so that they apply.
    let tracker = tracker_lambda::tracker(config, recorder.dynamodb(&sdk), recorder.s3(&sdk))
        .await
        .with_clock(std::sync::Arc::new(|| 1_796_040_000_000));
    // A creation, an overwrite, a removal, a redelivery and a plot write: every path a record takes.
    // And a version removed for good, which reads the bucket (the fixtures' bucket, on moto).
    startup::s3_client(&sdk).create_bucket().bucket("size-tracking-local").send().await.ok();
    for name in [
        "s3-put.json",
        "s3-overwrite.json",
        "s3-delete.json",
        "s3-delete.json",
        "s3-plot-write.json",
        "s3-versioned-delete-version.json",
    ] {
        tracker::lambda::handle(&tracker, notification(name)).await.unwrap();
    }
    // And an event from long before: parked.
    let mut old = notification("s3-put.json");
    old["Records"][0]["eventTime"] = "2026-01-01T00:00:00.000Z".into();
    tracker::lambda::handle(&tracker, old).await.unwrap();
    let granted: BTreeSet<String> = FunctionContract::load("tracker").calls.into_iter().collect();
    assert_eq!(recorder.calls(), granted, "calls made (left) and granted in contract/functions.json (right)");
}
