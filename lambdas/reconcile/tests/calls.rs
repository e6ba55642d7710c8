//! The reconcile function makes exactly the AWS calls `contract/functions.json` grants it: no call it
//! would be refused, and no grant it never uses.

use std::collections::BTreeSet;

use aws_sdk_s3::primitives::ByteStream;
use domain::{BucketName, ChangeKind, Ledger, ObjectChange, ObjectKey, Sequencer};
use reconcile_lambda::{ReconcileLambdaConfig, Reconciler};
use store_dynamodb::{DynamoLedger, LedgerTables};
use testkit::calls::CallRecorder;
use testkit::contract::FunctionContract;
use tracker::reconcile::TickOutcome;

#[tokio::test]
async fn every_call_is_granted_and_every_grant_is_used() {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let bucket = BucketName::parse(testkit::unique_name("reconcile-calls")).unwrap();
    let plain_s3 = startup::s3_client(&sdk);
    plain_s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
    for key in ["a", "b"] {
        plain_s3
            .put_object()
            .bucket(bucket.as_str())
            .key(key)
            .body(ByteStream::from_static(b"xyz"))
            .send()
            .await
            .unwrap();
    }
    let recorder = CallRecorder::default();
    let config_tables = LedgerTables { history: tables.history.clone(), index: tables.index.clone() };
    let config = ReconcileLambdaConfig {
        tables: config_tables.clone(),
        buckets: vec![bucket.clone()],
        reserved: vec![tracker::ReservedPrefix::everywhere("plots/")],
        every: ReconcileLambdaConfig::DEFAULT_EVERY,
    };
    let reconciler = Reconciler::new(config, recorder.dynamodb(&sdk), recorder.s3(&sdk));
    // Every path a walk takes: a key to add, one to resize, one to remove, and a parked event to settle.
    let change = |key: &str, sequencer: &str, size: u64| ObjectChange {
        bucket: bucket.clone(),
        key: ObjectKey::parse(key).unwrap(),
        sequencer: Sequencer::parse(sequencer).unwrap(),
        kind: ChangeKind::Created { size },
    };
    // Told through a ledger of its own, so that only the function's calls are recorded.
    let told = DynamoLedger::new(aws_sdk_dynamodb::Client::new(&sdk), config_tables);
    for result in told.apply_batch(&[change("b", "1", 9), change("c", "2", 4)]).await {
        result.unwrap();
    }
    told.park(&[change("a", "0", 3)]).await.unwrap();

    let ticks = reconciler.handle(i64::MAX, &Default::default()).await.unwrap();
    let [tick, versions] = ticks.as_slice() else { panic!("one bucket, two series: {ticks:?}") };
    assert!(matches!(versions.outcome, TickOutcome::Finished(_)), "its versions listed: {versions:?}");
    let TickOutcome::Finished(report) = &tick.outcome else { panic!("finished: {tick:?}") };
    assert_eq!(
        (report.progress.added, report.progress.resized, report.progress.removed, report.settled),
        (1, 1, 1, 1)
    );

    let made: BTreeSet<String> = recorder.calls();
    let granted: BTreeSet<String> = FunctionContract::load("reconcile").calls.into_iter().collect();
    assert_eq!(made, granted, "calls made (left) and granted in contract/functions.json (right)");
}
