//! The api function makes exactly the AWS calls `contract/functions.json` grants it: no call it would be
//! refused, and no grant it never uses.

use std::collections::BTreeSet;

use api_lambda::{ApiLambdaConfig, Mode};
use domain::{BucketName, ChangeKind, Ledger, ObjectChange, ObjectKey, Sequencer};
use http::{Request, StatusCode};
use store_dynamodb::DynamoStore;
use testkit::calls::CallRecorder;
use testkit::contract::FunctionContract;

#[tokio::test]
async fn every_call_is_granted_and_every_grant_is_used() {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let bucket = BucketName::parse(testkit::unique_name("api-calls")).unwrap();
    startup::s3_client(&sdk).create_bucket().bucket(bucket.as_str()).send().await.unwrap();
    let ledger = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &tables);
    let change = ObjectChange {
        bucket: bucket.clone(),
        key: ObjectKey::parse("a.txt").unwrap(),
        sequencer: Sequencer::parse("1").unwrap(),
        kind: ChangeKind::Created { size: 18 },
    };
    ledger.apply(&change).await.unwrap();

    let recorder = CallRecorder::default();
    let tracked = vec![bucket.clone(), domain::BucketName::parse("existing-bucket").unwrap()];
    let config = ApiLambdaConfig { bucket, tracked, tables: tables.history(), mode: Mode::Native };
    let app = api_lambda::application(config, recorder.dynamodb(&sdk), recorder.s3(&sdk)).await;
    // Every route that reaches AWS, and a presign of a plot that does not exist.
    for (uri, status) in [
        ("/plot?window=60", StatusCode::OK),
        ("/window?window=60", StatusCode::OK),
        // A day is read in rollups: those of its finished intervals are made and stored.
        ("/window?window=86400", StatusCode::OK),
        ("/max", StatusCode::OK),
        ("/buckets", StatusCode::OK),
        ("/window?window=60&bucket=existing-bucket", StatusCode::OK),
        ("/presign", StatusCode::OK),
        ("/presign?key=plots/missing.png", StatusCode::NOT_FOUND),
    ] {
        let request = Request::get(uri).body(axum::body::Body::empty()).unwrap();
        let response = tower::ServiceExt::oneshot(app.router(), request).await.unwrap();
        assert_eq!(response.status(), status, "{uri}");
    }
    let granted: BTreeSet<String> = FunctionContract::load("api").calls.into_iter().collect();
    assert_eq!(recorder.calls(), granted, "calls made (left) and granted in contract/functions.json (right)");
}
