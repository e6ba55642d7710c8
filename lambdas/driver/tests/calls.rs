//! The driver function makes exactly the AWS calls `contract/functions.json` grants it: no call it would
//! be refused, and no grant it never uses.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use domain::BucketName;
use driver::{LambdaEnv, S3};
use testkit::calls::CallRecorder;
use testkit::contract::FunctionContract;

#[tokio::test]
async fn every_call_is_granted_and_every_grant_is_used() {
    let sdk = testkit::moto_sdk_config().await;
    let bucket = BucketName::parse(testkit::unique_name("driver-calls")).unwrap();
    let plain_s3 = startup::s3_client(&sdk);
    plain_s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();

    // A real api (over an empty history) for the driver to ask for the plot.
    let dir = tempfile::tempdir().unwrap();
    let history = Arc::new(store_sqlite::SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap());
    let app = api::Application::build(history, plain_s3, bucket.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://{}/", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));

    let recorder = CallRecorder::default();
    let s3 = S3::with_client(recorder.s3(&sdk), "moto");
    let env = LambdaEnv { bucket: Some(bucket.to_string()), api_url: Some(api_url) };
    let event = serde_json::json!({"sleep_ms": 0});
    let summary =
        tokio::time::timeout(Duration::from_secs(60), driver::lambda::handle(&s3, &env, event, None))
            .await
            .expect("the run ends")
            .unwrap();
    assert_eq!(summary.steps.len(), 4);
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    let granted: BTreeSet<String> = FunctionContract::load("driver").calls.into_iter().collect();
    assert_eq!(recorder.calls(), granted, "calls made (left) and granted in contract/functions.json (right)");
}
