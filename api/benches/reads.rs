//! What a window costs to read, by its length, on a long and busy history: items read from the store, bytes
//! answered and time, for `/window` and `/plot`, the first time (when the window's rollups are made) and
//! after (when they are read). SQLite holds 2 000 000 samples over 31 days; DynamoDB on moto a smaller
//! history (moto's Query is slow on large partitions), whose item counts carry over (they depend on the
//! window, not on how many samples it holds). Prints a markdown table.
//!
//! `cargo bench -p api --bench reads` (`READS_SQLITE_SAMPLES`, `READS_DYNAMODB_SAMPLES`, `READS_REPEATS` to
//! change the sizes)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Body;
use domain::rollup::Rollup;
use domain::{BucketName, History, Sample, StoreError};
use http::Request;

const DAY_MS: i64 = 86_400_000;
const WINDOWS: [u64; 4] = [10, 3_600, 86_400, 31 * 86_400];

/// A history that counts the items (samples and rollups) each read returns.
struct Counting {
    inner: Arc<dyn History>,
    items: AtomicU64,
}

impl Counting {
    fn count(&self, items: usize) {
        self.items.fetch_add(items as u64, Ordering::Relaxed);
    }
}

#[async_trait]
impl History for Counting {
    async fn samples(&self, b: &BucketName, from: i64, to: i64) -> Result<Vec<Sample>, StoreError> {
        let samples = self.inner.samples(b, from, to).await?;
        self.count(samples.len());
        Ok(samples)
    }
    async fn samples_from(
        &self,
        b: &BucketName,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<Sample>, StoreError> {
        let samples = self.inner.samples_from(b, from, to, limit).await?;
        self.count(samples.len());
        Ok(samples)
    }
    async fn carry_in(&self, b: &BucketName, before: i64) -> Result<Option<Sample>, StoreError> {
        let sample = self.inner.carry_in(b, before).await?;
        self.count(sample.iter().len());
        Ok(sample)
    }
    async fn max(&self, b: &BucketName) -> Result<Option<Sample>, StoreError> {
        let sample = self.inner.max(b).await?;
        self.count(sample.iter().len());
        Ok(sample)
    }
    async fn latest(&self, b: &BucketName) -> Result<Option<Sample>, StoreError> {
        let sample = self.inner.latest(b).await?;
        self.count(sample.iter().len());
        Ok(sample)
    }
    async fn rollups(
        &self,
        b: &BucketName,
        level: i64,
        first: i64,
        last: i64,
    ) -> Result<Vec<Rollup>, StoreError> {
        let rollups = self.inner.rollups(b, level, first, last).await?;
        self.count(rollups.len());
        Ok(rollups)
    }
    async fn put_rollups(&self, b: &BucketName, rollups: &[Rollup]) -> Result<(), StoreError> {
        self.inner.put_rollups(b, rollups).await
    }
}

/// `count` samples evenly over the 31 days before `end`, their sizes a random walk.
fn history(bucket: &BucketName, count: usize, end: i64) -> Vec<Sample> {
    let span = 31 * DAY_MS;
    let mut size: u64 = 20 << 20;
    let mut rng = fastrand::Rng::with_seed(7);
    (0..count)
        .map(|i| {
            size = size.saturating_add_signed(rng.i64(-4_096..4_200));
            Sample {
                bucket: bucket.clone(),
                ts_ms: end - span + (i as i64 * span) / count as i64,
                size_bytes: size,
                object_count: size / 4_096,
            }
        })
        .collect()
}

struct Measure {
    items: u64,
    bytes: usize,
    time: Duration,
}

async fn request(app: &axum::Router, counting: &Counting, uri: &str, png: bool) -> Measure {
    counting.items.store(0, Ordering::Relaxed);
    let mut request = Request::get(uri);
    if png {
        request = request.header("accept", "image/png");
    }
    let started = Instant::now();
    let response =
        tower::ServiceExt::oneshot(app.clone(), request.body(Body::empty()).unwrap()).await.unwrap();
    assert!(response.status().is_success(), "{uri}: {}", response.status());
    let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    Measure { items: counting.items.load(Ordering::Relaxed), bytes: body.len(), time: started.elapsed() }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn human(bytes: usize) -> String {
    domain::human_bytes(bytes as u64)
}

async fn run(
    name: &str,
    store: Arc<dyn History>,
    s3: aws_sdk_s3::Client,
    bucket: BucketName,
    samples: usize,
) {
    let repeats: usize = std::env::var("READS_REPEATS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let counting = Arc::new(Counting { inner: store, items: AtomicU64::new(0) });
    let app = api::Application::build(counting.clone(), s3, bucket).router();
    println!("\n{name}, {samples} samples over 31 days ({repeats} repeats, median):\n");
    println!(
        "| route | window | samples in it | items read, first | items read, after | time, first | time, after | answer |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for seconds in WINDOWS {
        for (route, png) in [("window", false), ("plot", true)] {
            let uri = format!("/{route}?window={seconds}");
            let first = request(&app, &counting, &uri, png).await;
            let mut after = Vec::new();
            for _ in 0..repeats {
                after.push(request(&app, &counting, &uri, png).await);
            }
            let json = request(&app, &counting, &format!("/window?window={seconds}"), false).await;
            let held = {
                let response = tower::ServiceExt::oneshot(
                    app.clone(),
                    Request::get(format!("/window?window={seconds}&max_points=1"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
                let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
                serde_json::from_slice::<serde_json::Value>(&body).unwrap()["sample_count"].as_u64().unwrap()
            };
            let answer = if png {
                let plot = request(&app, &counting, &format!("/plot?window={seconds}"), false).await;
                format!("{} JSON, {} PNG", human(plot.bytes), human(after[0].bytes))
            } else {
                format!("{} JSON", human(json.bytes))
            };
            let items_after = after.iter().map(|m| m.items).max().unwrap_or(0);
            let time_after = median(after.iter().map(|m| m.time).collect());
            println!(
                "| `/{route}` | {} | {held} | {} | {items_after} | {:.1} ms | {:.1} ms | {answer} |",
                label(seconds),
                first.items,
                first.time.as_secs_f64() * 1e3,
                time_after.as_secs_f64() * 1e3,
            );
        }
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let sqlite_samples = env_count("READS_SQLITE_SAMPLES", 2_000_000);
        let dynamodb_samples = env_count("READS_DYNAMODB_SAMPLES", 20_000);
        let sdk = testkit::moto_sdk_config().await;
        let s3 = startup::s3_client(&sdk);
        let bucket = BucketName::parse(testkit::unique_name("reads")).unwrap();
        s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
        let end = chrono_now_ms();

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite3");
        let sqlite = store_sqlite::SqliteStore::open(&path).await.unwrap();
        write_sqlite(&path, &history(&bucket, sqlite_samples, end));
        run("SQLite", Arc::new(sqlite), s3.clone(), bucket.clone(), sqlite_samples).await;

        let tables = testkit::moto_tables(&sdk).await;
        let client = aws_sdk_dynamodb::Client::new(&sdk);
        write_dynamodb(&client, &tables.history, &history(&bucket, dynamodb_samples, chrono_now_ms())).await;
        let dynamodb = store_dynamodb::DynamoStore::new(client, &tables);
        run("DynamoDB on moto", Arc::new(dynamodb), s3, bucket, dynamodb_samples).await;
    });
}

fn label(seconds: u64) -> &'static str {
    match seconds {
        10 => "10 s",
        3_600 => "1 h",
        86_400 => "1 day",
        _ => "31 days",
    }
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn write_sqlite(path: &std::path::Path, samples: &[Sample]) {
    let mut connection = rusqlite::Connection::open(path).unwrap();
    let tx = connection.transaction().unwrap();
    {
        let mut insert = tx
            .prepare("INSERT INTO samples (bucket, ts, size_bytes, object_count) VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        for s in samples {
            insert
                .execute(rusqlite::params![
                    s.bucket.as_str(),
                    s.ts_ms,
                    s.size_bytes as i64,
                    s.object_count as i64
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

async fn write_dynamodb(client: &aws_sdk_dynamodb::Client, table: &str, samples: &[Sample]) {
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    for chunk in samples.chunks(25) {
        let requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|s| {
                let put = PutRequest::builder()
                    .item("bucket", AttributeValue::S(s.bucket.to_string()))
                    .item("ts", AttributeValue::N(s.ts_ms.to_string()))
                    .item("size_bytes", AttributeValue::N(s.size_bytes.to_string()))
                    .item("object_count", AttributeValue::N(s.object_count.to_string()))
                    .build()
                    .unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        client.batch_write_item().request_items(table, requests).send().await.unwrap();
    }
}
