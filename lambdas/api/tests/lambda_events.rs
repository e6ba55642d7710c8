//! API Gateway REST events through `lambda_http`, as the native mode serves them. `lambda_http` reads
//! `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` (which the stack sets) while it converts events, so the checks
//! run in a child process of their own that starts with it set: nothing changes the environment of a
//! running process.

use std::process::Command;
use std::sync::Arc;

use api::Application;
use domain::{BucketName, ChangeKind, Ledger, ObjectChange, ObjectKey, Sequencer};
use lambda_http::IntoResponse as _;
use store_sqlite::SqliteStore;

const REST_EVENT: &str = include_str!("apigw-rest-get-plot.json");
const CHILD: &str = "API_LAMBDA_EVENTS_CHILD";

#[test]
fn rest_events_reach_the_routes_with_the_stage_dropped() {
    if std::env::var_os(CHILD).is_none() {
        let status = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "rest_events_reach_the_routes_with_the_stage_dropped", "--nocapture"])
            .env(CHILD, "1")
            .env("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true")
            .env("MOTO_ENDPOINT", testkit::moto_endpoint())
            .status()
            .unwrap();
        assert!(status.success(), "the checks failed in the child process: {status}");
        return;
    }
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (app, _dir) = app_with_classic_scenario().await;
        a_rest_event_reaches_the_plot_route(&app).await;
        an_image_answer_goes_back_as_binary(&app).await;
    });
}

/// An api over a fresh SQLite history holding the classic scenario (18, 27, 0, 2 bytes) and a bucket on moto.
async fn app_with_classic_scenario() -> (Application, tempfile::TempDir) {
    let sdk = testkit::moto_sdk_config().await;
    let s3 = startup::s3_client(&sdk);
    let bucket = BucketName::parse(testkit::unique_name("lambda-events")).unwrap();
    s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("history.sqlite3")).await.unwrap());
    let steps = [
        ChangeKind::Created { size: 18 },
        ChangeKind::Created { size: 27 },
        ChangeKind::Removed,
        ChangeKind::Created { size: 2 },
    ];
    for (i, kind) in steps.into_iter().enumerate() {
        let key = if i < 3 { "assignment1.txt" } else { "assignment2.txt" };
        let change = ObjectChange {
            bucket: bucket.clone(),
            key: ObjectKey::parse(key).unwrap(),
            sequencer: Sequencer::parse(format!("{:X}", i + 1)).unwrap(),
            kind,
        };
        store.apply(&change).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    (Application::build(store, s3, bucket), dir)
}

/// `GET /dev/plot?window=10` reaches `/plot`.
async fn a_rest_event_reaches_the_plot_route(app: &Application) {
    let request = lambda_http::request::from_str(REST_EVENT).unwrap();
    assert_eq!(request.uri().path(), "/plot");
    let response = tower::ServiceExt::oneshot(app.router(), request).await.unwrap();
    assert_eq!(response.status(), 200);
    let response = response.into_response().await;
    let lambda_http::Body::Text(text) = response.body() else { panic!("a JSON body is text") };
    let body: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(body["window_seconds"], 10);
    assert_eq!(body["samples"].as_array().unwrap().len(), 4);
}

/// A PNG answer becomes a binary body, which lambda_http sends base64-encoded with `isBase64Encoded`.
async fn an_image_answer_goes_back_as_binary(app: &Application) {
    let event = REST_EVENT.replace("\"Accept\": \"application/json\"", "\"Accept\": \"image/png\"").replace(
        "\"Accept\": [\n      \"application/json\"\n    ]",
        "\"Accept\": [\n      \"image/png\"\n    ]",
    );
    let request = lambda_http::request::from_str(&event).unwrap();
    let response = tower::ServiceExt::oneshot(app.router(), request).await.unwrap();
    assert_eq!(response.headers()["content-type"], "image/png");
    let response = response.into_response().await;
    assert!(matches!(response.body(), lambda_http::Body::Binary(bytes) if bytes.starts_with(b"\x89PNG")));
}
