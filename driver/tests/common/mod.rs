//! What the driver's tests share: buckets on moto, and a small real HTTP server standing in for the Plot
//! API (answering its JSON contract from the bucket's actual listing, or 503).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::primitives::ByteStream;
use axum::Json;
use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use driver::plot_api::ApiSample;
use serde_json::json;

/// The sleep between steps in tests.
pub const SHORT_SLEEP: Duration = Duration::from_millis(10);

/// A raw S3 client on moto, for setting buckets up and looking at them.
pub async fn moto_client() -> aws_sdk_s3::Client {
    startup::s3_client(&testkit::moto_sdk_config().await)
}

/// The driver's S3 handle on moto.
pub async fn moto_s3() -> driver::S3 {
    driver::S3::new(&testkit::moto_sdk_config().await)
}

pub async fn new_bucket(client: &aws_sdk_s3::Client) -> String {
    let bucket = testkit::unique_name("driver");
    client.create_bucket().bucket(&bucket).send().await.expect("create a bucket on moto");
    bucket
}

pub async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &str) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .expect("put an object on moto");
}

/// Every object of the bucket: key → size.
pub async fn listing(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, u64)> {
    let mut objects = Vec::new();
    let mut pages = client.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        for object in page.expect("list the bucket").contents() {
            objects.push((object.key().unwrap_or_default().to_owned(), object.size().unwrap_or(0) as u64));
        }
    }
    objects
}

pub async fn body(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let object = client.get_object().bucket(bucket).key(key).send().await.expect("get an object");
    String::from_utf8(object.body.collect().await.expect("read the body").to_vec()).expect("utf-8")
}

/// The bucket's totals, as the tracker would count them (keys under `plots/` left out).
pub async fn tracked_totals(client: &aws_sdk_s3::Client, bucket: &str) -> driver::Totals {
    let objects = listing(client, bucket).await;
    let tracked = objects.iter().filter(|(key, _)| !key.starts_with("plots/"));
    driver::Totals {
        size_bytes: tracked.clone().map(|(_, size)| size).sum(),
        object_count: tracked.count() as u64,
    }
}

pub async fn delete_bucket(client: &aws_sdk_s3::Client, bucket: &str) {
    for (key, _) in listing(client, bucket).await {
        let _ = client.delete_object().bucket(bucket).key(key).send().await;
    }
    let _ = client.delete_bucket().bucket(bucket).send().await;
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// How the stand-in api answers `GET /plot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// The contract's 200 answer; stores `plots/plot.png` like the real api.
    Plot,
    /// 503 `{"error": "store unavailable", "detail": …}`.
    Unavailable,
}

#[derive(Clone)]
struct ApiState {
    s3: aws_sdk_s3::Client,
    behaviour: Behaviour,
    requests: Arc<Mutex<Vec<String>>>,
    samples: Arc<Mutex<Vec<ApiSample>>>,
}

/// A running stand-in for the Plot API.
pub struct FakeApi {
    /// The base URL to give the driver (with the mount path, no trailing slash).
    pub base: String,
    /// Each request's path and query, as received.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Samples recorded by the test; when there are none, `/window` answers one sample from the listing.
    pub samples: Arc<Mutex<Vec<ApiSample>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeApi {
    /// Serves on 127.0.0.1 (a free port), under `mount` (`""`, or a stage such as `"/dev"`).
    pub async fn start(s3: aws_sdk_s3::Client, behaviour: Behaviour, mount: &str) -> Self {
        let state = ApiState { s3, behaviour, requests: Arc::default(), samples: Arc::default() };
        let routes = axum::Router::new()
            .route("/plot", get(plot))
            .route("/window", get(window))
            .route("/healthz", get(|| async { "ok" }))
            .with_state(state.clone());
        let app = if mount.is_empty() { routes } else { axum::Router::new().nest(mount, routes) };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve the stand-in api");
        });
        Self {
            base: format!("http://{address}{mount}"),
            requests: state.requests,
            samples: state.samples,
            server,
        }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// What both routes read: the request logged, the stand-in's failure if it plays one, the bucket, the
/// window and the samples.
async fn read(
    state: &ApiState,
    uri: &axum::http::Uri,
    query: &HashMap<String, String>,
) -> Result<(String, u64, Vec<ApiSample>), Response> {
    state.requests.lock().unwrap().push(uri.to_string());
    if state.behaviour == Behaviour::Unavailable {
        let body = json!({"error": "store unavailable", "detail": "the history store did not answer"});
        return Err((StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response());
    }
    let Some(bucket) = query.get("bucket").cloned() else {
        let body = json!({"error": "bad request", "detail": "this stand-in wants ?bucket="});
        return Err((StatusCode::BAD_REQUEST, Json(body)).into_response());
    };
    let window: u64 = query.get("window").and_then(|w| w.parse().ok()).unwrap_or(10);
    let mut samples = state.samples.lock().unwrap().clone();
    if samples.is_empty() {
        let totals = tracked_totals(&state.s3, &bucket).await;
        samples.push(ApiSample {
            ts: now_ms(),
            size_bytes: totals.size_bytes,
            object_count: totals.object_count,
        });
    }
    Ok((bucket, window, samples))
}

async fn plot(
    State(state): State<ApiState>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (bucket, window, samples) = match read(&state, &uri, &query).await {
        Ok(read) => read,
        Err(refusal) => return refusal,
    };
    let max = samples.iter().max_by_key(|sample| sample.size_bytes).copied();
    put(&state.s3, &bucket, "plots/plot.png", "not really a png").await;
    let url = format!("http://s3.invalid/{bucket}/plots/plot.png?X-Amz-Expires=300");
    Json(json!({
        "bucket": bucket,
        "window_seconds": window,
        "carry_in": null,
        "summary": {"sample_count": samples.len()},
        "max": max,
        "key": "plots/plot.png",
        "url": url,
        "expires_in": 300,
    }))
    .into_response()
}

async fn window(
    State(state): State<ApiState>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (bucket, window, samples) = match read(&state, &uri, &query).await {
        Ok(read) => read,
        Err(refusal) => return refusal,
    };
    Json(json!({
        "bucket": bucket,
        "window_seconds": window,
        "carry_in": null,
        "sample_count": samples.len(),
        "downsampled": false,
        "interval_ms": null,
        "samples": samples,
    }))
    .into_response()
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Options for a run against `bucket` and `api`, with short sleeps.
pub fn options(bucket: &str, api: &str, scenario: driver::Scenario) -> driver::Options {
    driver::Options {
        api_url: api.parse().unwrap(),
        api_auth: driver::ApiAuthChoice::None,
        bucket: domain::BucketName::parse(bucket).unwrap(),
        sleep: SHORT_SLEEP,
        window: 10,
        scenario,
    }
}
