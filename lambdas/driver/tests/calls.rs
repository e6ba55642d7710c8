//! The driver function makes exactly the AWS calls `contract/functions.json` grants it: no call it would
//! be refused, and no grant it never uses. It runs against an open api, then behind API Gateway's key
//! check (`apiAuth=apiKey`) and its IAM check (`apiAuth=iam`, where the signed requests are the call).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use domain::BucketName;
use driver::{AuthContext, LambdaEnv, S3};
use testkit::api_gateway::{Gate, GatedApi, new_api_key};
use testkit::calls::CallRecorder;
use testkit::contract::FunctionContract;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_granted_and_every_grant_is_used() {
    let sdk = testkit::moto_sdk_config().await;
    let bucket = BucketName::parse(testkit::unique_name("driver-calls")).unwrap();
    let plain_s3 = startup::s3_client(&sdk);
    plain_s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();

    // A real api (over an empty history) for the driver to ask for the plot.
    let dir = tempfile::tempdir().unwrap();
    let history = Arc::new(store_sqlite::SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap());
    let router = api::Application::build(history, plain_s3, bucket.clone()).router();
    let (key_id, key_value) = new_api_key(&sdk).await;
    let open = GatedApi::start(Gate::Open, router.clone()).await;
    let keyed = GatedApi::start(Gate::ApiKey(key_value), router.clone()).await;
    let iam = Gate::iam_of_test_key(testkit::TEST_SECRET_ACCESS_KEY);
    let signed = GatedApi::start(iam, router).await;

    let recorder = CallRecorder::default();
    let s3 = S3::with_client(recorder.s3(&sdk), "moto");
    let auth = AuthContext::new(&sdk).with_apigateway(recorder.apigateway(&sdk));
    for (gated, api_auth, api_key_id) in
        [(&open, None, None), (&keyed, Some("api-key"), Some(key_id)), (&signed, Some("iam"), None)]
    {
        let env = LambdaEnv {
            bucket: Some(bucket.to_string()),
            api_url: Some(gated.url.clone()),
            api_auth: api_auth.map(Into::into),
            api_key_id,
        };
        let event = serde_json::json!({"sleep_ms": 0});
        let summary = tokio::time::timeout(
            Duration::from_secs(60),
            driver::lambda::handle(&s3, &auth, &env, event, None),
        )
        .await
        .expect("the run ends")
        .unwrap_or_else(|error| panic!("{api_auth:?}: {error}"));
        assert_eq!(summary.steps.len(), 4);
    }
    // What API Gateway authorizes with execute-api:Invoke: the requests it let in on their signature.
    if signed.seen().iter().any(|seen| seen.let_in) {
        recorder.record("execute-api:Invoke");
    }

    let granted: BTreeSet<String> = FunctionContract::load("driver").calls.into_iter().collect();
    assert_eq!(recorder.calls(), granted, "calls made (left) and granted in contract/functions.json (right)");
}
