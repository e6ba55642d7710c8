use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::BucketName;

use crate::helpers::{spawn, spawn_with, spawn_without_aws};

async fn expect_error(uri: &str, status: StatusCode, code: &str, mentions: &str) {
    let world = spawn().await;
    let answer = world.get(uri).await;
    assert_eq!(answer.status, status, "{uri}: {}", String::from_utf8_lossy(&answer.body));
    assert!(answer.content_type.starts_with("application/json"), "{uri}");
    let body = answer.json();
    assert_eq!(body["error"], code, "{uri}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(mentions), "{uri}: {detail:?} should mention {mentions:?}");
}

#[tokio::test]
async fn bad_windows_are_refused_naming_the_parameter() {
    for window in ["0", "-1", "abc", "2678401", "1.5", ""] {
        expect_error(
            &format!("/plot?window={window}"),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "window",
        )
        .await;
    }
    expect_error("/window?window=0", StatusCode::BAD_REQUEST, "invalid_parameter", "window").await;
    // The former name is still understood, and refused by its own name.
    expect_error("/window?seconds=0", StatusCode::BAD_REQUEST, "invalid_parameter", "seconds").await;
    expect_error(
        "/window?seconds=99999999999999999999",
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
        "seconds",
    )
    .await;
}

#[tokio::test]
async fn plot_shapes_out_of_bounds_are_refused_naming_the_parameter() {
    for (query, name) in [
        ("width=319", "width"),
        ("width=2001", "width"),
        ("width=wide", "width"),
        ("width=", "width"),
        ("height=199", "height"),
        ("height=1201", "height"),
        ("height=-5", "height"),
        ("dpr=0", "dpr"),
        ("dpr=5", "dpr"),
        ("dpr=1.5", "dpr"),
        ("scale=log", "scale"),
        ("scale=", "scale"),
    ] {
        let uri = format!("/plot?{query}");
        expect_error(&uri, StatusCode::BAD_REQUEST, "invalid_parameter", &format!("{name}:")).await;
    }
}

#[tokio::test]
async fn plot_refuses_an_accept_header_that_admits_neither_json_nor_png() {
    let world = spawn().await;
    for accept in ["text/html", "text/*", "image/webp", "application/json;q=0, image/png;q=0"] {
        let request = Request::get("/plot").header("accept", accept).body(Body::empty()).unwrap();
        let answer = world.request(request).await;
        assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE, "{accept}");
        assert!(answer.content_type.starts_with("application/json"), "{accept}");
        assert_eq!(answer.json()["error"], "not_acceptable", "{accept}");
        assert!(answer.json()["detail"].as_str().unwrap().contains("image/png"), "{accept}");
    }
    let stored = world.s3.list_objects_v2().bucket(world.bucket.as_str()).send().await.unwrap();
    assert_eq!(stored.key_count(), Some(0), "nothing was rendered: {:?}", stored.contents());
    for (accept, content_type) in [
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("image/*", "image/png"),
        ("text/html, image/png;q=0.5", "image/png"),
    ] {
        let request = Request::get("/plot").header("accept", accept).body(Body::empty()).unwrap();
        let answer = world.request(request).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept}");
        assert!(answer.content_type.starts_with(content_type), "{accept}: {}", answer.content_type);
    }
}

#[tokio::test]
async fn bad_buckets_and_keys_are_refused() {
    expect_error("/max?bucket=Not_A_Bucket", StatusCode::BAD_REQUEST, "invalid_parameter", "bucket").await;
    expect_error("/presign?key=secret.txt", StatusCode::FORBIDDEN, "forbidden", "plots/").await;
    expect_error("/presign?key=plots/../secret.txt", StatusCode::BAD_REQUEST, "invalid_parameter", "key")
        .await;
    expect_error("/presign?expires=0", StatusCode::BAD_REQUEST, "invalid_parameter", "expires").await;
    expect_error("/presign?expires=3601", StatusCode::BAD_REQUEST, "invalid_parameter", "expires").await;
    expect_error("/presign?key=plots/none.png", StatusCode::NOT_FOUND, "not_found", "plots/none.png").await;
}

#[tokio::test]
async fn nothing_recorded_is_a_404_for_max() {
    expect_error("/max", StatusCode::NOT_FOUND, "not_found", "no samples").await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    expect_error("/nope", StatusCode::NOT_FOUND, "not_found", "route").await;
    let world = spawn().await;
    let answer = world.request(Request::post("/plot").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["error"], "method_not_allowed");
}

#[tokio::test]
async fn an_unreachable_s3_is_a_503_that_leaks_nothing() {
    // Nothing listens on port 9 of the loopback.
    let sdk = testkit::sdk_config_for("http://127.0.0.1:9").await;
    let world = spawn_with(startup::s3_client(&sdk), BucketName::parse("unreachable").unwrap()).await;
    let answer = world.get("/plot").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = answer.json();
    assert_eq!(body["error"], "unavailable");
    let text = String::from_utf8_lossy(&answer.body);
    assert!(!text.contains("127.0.0.1") && !text.to_lowercase().contains("connect"), "{text}");
}

#[tokio::test]
async fn a_failing_store_is_a_503_that_leaks_nothing() {
    let sdk = testkit::moto_sdk_config().await;
    let missing = store_dynamodb::HistoryTables { history: "no-such-table".into(), gsi: "by-size".into() };
    let history =
        std::sync::Arc::new(store_dynamodb::DynamoHistory::new(aws_sdk_dynamodb::Client::new(&sdk), missing));
    let bucket = BucketName::parse("some-bucket").unwrap();
    let app = api::Application::build(history, startup::s3_client(&sdk), bucket);
    let response =
        tower::ServiceExt::oneshot(app.router(), Request::get("/max").body(Body::empty()).unwrap())
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body);
    assert!(!text.contains("no-such-table") && !text.contains("ResourceNotFound"), "{text}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_in_json() {
    let world = spawn_without_aws().await;
    let request = Request::get("/healthz")
        .header("content-length", "20480")
        .body(Body::from(vec![b'x'; 20 * 1024]))
        .unwrap();
    let answer = world.request(request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(answer.content_type.starts_with("application/json"), "{}", answer.content_type);
    assert_eq!(answer.json()["error"], "payload_too_large");
}

/// A history whose rows are all malformed: no retry mends that.
struct CorruptHistory;

#[async_trait::async_trait]
impl domain::History for CorruptHistory {
    async fn samples(
        &self,
        _: &BucketName,
        _: i64,
        _: i64,
    ) -> Result<Vec<domain::Sample>, domain::StoreError> {
        Err(corrupt())
    }
    async fn samples_from(
        &self,
        _: &BucketName,
        _: i64,
        _: i64,
        _: usize,
    ) -> Result<Vec<domain::Sample>, domain::StoreError> {
        Err(corrupt())
    }
    async fn carry_in(&self, _: &BucketName, _: i64) -> Result<Option<domain::Sample>, domain::StoreError> {
        Err(corrupt())
    }
    async fn max(&self, _: &BucketName) -> Result<Option<domain::Sample>, domain::StoreError> {
        Err(corrupt())
    }
    async fn latest(&self, _: &BucketName) -> Result<Option<domain::Sample>, domain::StoreError> {
        Err(corrupt())
    }
    async fn rollups(
        &self,
        _: &BucketName,
        _: i64,
        _: i64,
        _: i64,
    ) -> Result<Vec<domain::rollup::Rollup>, domain::StoreError> {
        Err(corrupt())
    }
    async fn put_rollups(
        &self,
        _: &BucketName,
        _: &[domain::rollup::Rollup],
    ) -> Result<(), domain::StoreError> {
        Err(corrupt())
    }
}

fn corrupt() -> domain::StoreError {
    domain::StoreError::Corrupt { backend: "test", message: "size_bytes is not a number: S(\"x\")".into() }
}

#[tokio::test]
async fn malformed_history_is_a_500_not_a_503_and_leaks_nothing() {
    let world = spawn_without_aws().await;
    let app =
        api::Application::build(std::sync::Arc::new(CorruptHistory), world.s3.clone(), world.bucket.clone());
    for uri in ["/max", "/window?seconds=60", "/plot?window=60"] {
        let response =
            tower::ServiceExt::oneshot(app.router(), Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
        let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "internal", "{uri}");
        assert!(!body["detail"].as_str().unwrap().contains("size_bytes"), "{uri}: {body}");
    }
}
