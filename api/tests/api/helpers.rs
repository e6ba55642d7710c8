use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::{BucketName, ChangeKind, Ledger, ObjectChange, ObjectKey, Sequencer};
use http_body_util::BodyExt;
use store_sqlite::SqliteStore;
use tower::ServiceExt;

/// A world of its own: a bucket on moto, a SQLite history, and the app over both.
pub struct World {
    pub app: Router,
    pub store: Arc<SqliteStore>,
    pub s3: aws_sdk_s3::Client,
    pub bucket: BucketName,
    _dir: tempfile::TempDir,
}

pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

pub async fn spawn() -> World {
    let (s3, bucket) = moto_bucket("plots").await;
    spawn_with(s3, bucket).await
}

/// A world for routes that never reach AWS (the docs, the dashboard, the spec): its S3 client points at a
/// closed port, so a test that reached S3 after all would see a 503, and none of them needs moto.
pub async fn spawn_without_aws() -> World {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version_latest()
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:1")
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new("none", "none", None, None, "offline"))
        .build();
    spawn_with(aws_sdk_s3::Client::from_conf(config), BucketName::parse("no-aws-bucket").unwrap()).await
}

pub async fn spawn_with(s3: aws_sdk_s3::Client, bucket: BucketName) -> World {
    spawn_tracking(s3, bucket, |config| config).await
}

/// A world on moto whose configuration `configure` amends (e.g. with the buckets it tracks).
pub async fn spawn_tracking(
    s3: aws_sdk_s3::Client,
    bucket: BucketName,
    configure: impl FnOnce(api::ApiConfig) -> api::ApiConfig,
) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("history.sqlite3")).await.unwrap());
    let config = configure(api::ApiConfig::new(bucket.clone()));
    let app =
        api::Application::build_with(store.clone(), s3.clone(), config, domain::system_clock()).router();
    World { app, store, s3, bucket, _dir: dir }
}

/// A bucket created on moto, named after `stem`.
pub async fn moto_bucket(stem: &str) -> (aws_sdk_s3::Client, BucketName) {
    let s3 = startup::s3_client(&testkit::moto_sdk_config().await);
    let bucket = BucketName::parse(testkit::unique_name(stem)).unwrap();
    s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
    (s3, bucket)
}

impl World {
    pub async fn get(&self, uri: &str) -> Answer {
        self.request(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn request(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
                .map(String::from)
        };
        let content_type = header(axum::http::header::CONTENT_TYPE).unwrap_or_default();
        let location = header(axum::http::header::LOCATION);
        let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        Answer { status, content_type, location, body }
    }

    /// Records the classic scenario's changes: sizes 18, 27, 0, 2.
    pub async fn record_classic_scenario(&self) {
        let steps = [
            ("assignment1.txt", ChangeKind::Created { size: 18 }),
            ("assignment1.txt", ChangeKind::Created { size: 27 }),
            ("assignment1.txt", ChangeKind::Removed),
            ("assignment2.txt", ChangeKind::Created { size: 2 }),
        ];
        for (i, (key, kind)) in steps.into_iter().enumerate() {
            let change = ObjectChange {
                bucket: self.bucket.clone(),
                key: ObjectKey::parse(key).unwrap(),
                sequencer: Sequencer::parse(format!("{:X}", i + 1)).unwrap(),
                kind,
            };
            self.store.apply(&change).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
}

/// Width and height of a PNG, decoding it whole.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut pixels).expect("a whole PNG frame");
    (info.width, info.height)
}
