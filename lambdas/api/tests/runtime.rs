//! The api function's binary in its native mode (`lambda_http`, no Web Adapter), against a stand-in of
//! the Lambda Runtime API and the stores on moto: an API Gateway REST event for `GET /dev/plot` reaches
//! `/plot` (the stack sets `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`), JSON comes back as text, and the PNG
//! as a base64 body with `isBase64Encoded`, as API Gateway needs it.

use std::time::Duration;

use domain::{BucketName, ChangeKind, Ledger, ObjectChange, ObjectKey, Sequencer};
use store_dynamodb::DynamoStore;
use testkit::runtime_api::RuntimeApi;

const REST_EVENT: &str = include_str!("apigw-rest-get-plot.json");

/// The environment the stack gives the function in its native mode, over fresh tables and a bucket on
/// moto holding one change of 18 bytes.
async fn native_environment() -> Vec<(&'static str, String)> {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let bucket = BucketName::parse(testkit::unique_name("native-api")).unwrap();
    startup::s3_client(&sdk).create_bucket().bucket(bucket.as_str()).send().await.unwrap();
    let change = ObjectChange {
        bucket: bucket.clone(),
        key: ObjectKey::parse("a.txt").unwrap(),
        sequencer: Sequencer::parse("1").unwrap(),
        kind: ChangeKind::Created { size: 18 },
    };
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &tables).apply(&change).await.unwrap();
    vec![
        ("AWS_ENDPOINT_URL", testkit::moto_endpoint()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("BUCKET_NAME", bucket.to_string()),
        ("HISTORY_TABLE", tables.history),
        ("HISTORY_GSI", tables.history_gsi),
        ("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true".into()),
    ]
}

async fn invoke(event: &str, environment: &[(&str, String)]) -> serde_json::Value {
    let event: serde_json::Value = serde_json::from_str(event).unwrap();
    let mut runtime = RuntimeApi::start(event, Duration::from_secs(29)).await;
    let _function = runtime.launch(env!("CARGO_BIN_EXE_api-lambda"), environment);
    let answer = runtime.answer(Duration::from_secs(60)).await;
    assert_eq!(answer.kind, "response", "{:?}", answer.body);
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_events_are_answered_as_api_gateway_needs_them() {
    let environment = native_environment().await;

    let json = invoke(REST_EVENT, &environment).await;
    assert_eq!(json["statusCode"], 200, "{json}");
    assert_eq!(json["isBase64Encoded"], false);
    let body: serde_json::Value = serde_json::from_str(json["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["window_seconds"], 10, "the stage was dropped: /dev/plot reached /plot");
    assert!(body["key"].as_str().unwrap().starts_with("plots/renders/"), "{body}");

    let png_event = REST_EVENT.replace("\"application/json\"", "\"image/png\"");
    let png = invoke(&png_event, &environment).await;
    assert_eq!(png["statusCode"], 200, "{png}");
    assert_eq!(png["isBase64Encoded"], true);
    // A REST API response carries its headers as multi-value headers.
    assert_eq!(png["multiValueHeaders"]["content-type"], serde_json::json!(["image/png"]));
    // "\x89PNG\r\n\x1a\n", base64-encoded.
    assert!(png["body"].as_str().unwrap().starts_with("iVBORw0KGgo"), "{}", &png["body"].to_string()[..40]);
}
