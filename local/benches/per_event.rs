//! What one S3 notification costs the tracker, by the number of objects in the bucket: flat, because the
//! tracker touches only the key's row and the bucket's totals. Beside it, the approach of listing the
//! whole bucket on every event, whose cost grows with the bucket.
//!
//! Both run against the local S3 endpoint (over files) and the SQLite history.
//!
//! `cargo bench -p local --bench per_event`

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use domain::correction::Correction;
use domain::{BucketName, Ledger, ObjectKey, StoreError, Totals};
use local::s3::{RunningS3, S3EndpointConfig};
use store_sqlite::SqliteStore;
use testkit::ledger::{Around, LedgerCall, Work, Wrapped};
use tracker::Tracker;
use tracker::event::compose::{OutgoingKind, OutgoingRecord, notification_json};
use tracker::event::notification_from_value;

const BUCKET: &str = "bench-bucket";
const SIZES: [usize; 4] = [10, 1_000, 10_000, 100_000];
/// Listing is measured up to here: past it one listing per event takes many seconds (the file-backed
/// endpoint walks the folder for every page), which is the point, but too slow to sample repeatedly.
const LARGEST_LISTED: usize = 10_000;

struct World {
    _dir: tempfile::TempDir,
    s3: RunningS3,
    client: aws_sdk_s3::Client,
    tracker: Tracker,
    store: Arc<SqliteStore>,
    objects: usize,
}

/// A bucket of `objects` files, known to the ledger, served by the local endpoint.
async fn world(objects: usize) -> World {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("s3").join(BUCKET).join("data");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..objects {
        std::fs::write(folder.join(format!("{i:06}")), [0u8; 16]).unwrap();
    }
    let store = Arc::new(SqliteStore::open(&dir.path().join("history.sqlite3")).await.unwrap());
    let bucket = BucketName::parse(BUCKET).unwrap();
    let listed: Vec<Correction> = (0..objects)
        .map(|i| Correction {
            key: ObjectKey::parse(format!("data/{i:06}")).unwrap(),
            seen: None,
            listed: Some(16),
        })
        .collect();
    store.correct(&bucket, &listed).await.unwrap();
    let tracker = Tracker::new(store.clone(), tracker::TrackingRules::default());
    let config = S3EndpointConfig {
        root: dir.path().join("s3"),
        outbox: dir.path().join("outbox"),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        bucket: bucket.clone(),
        chaos: false,
    };
    let s3 = local::s3::start(config, tracker.clone()).await.unwrap();
    let client = startup::s3_client(&startup::local::sdk_config(&s3.url()).await);
    World { _dir: dir, s3, client, tracker, store, objects }
}

fn overwrite_event(objects: usize, n: u64) -> serde_json::Value {
    notification_json(&[OutgoingRecord {
        bucket: BUCKET.into(),
        key: format!("data/{:06}", n as usize % objects),
        kind: OutgoingKind::Created { how: "Put", size: 16, etag: "e".into() },
        sequencer: format!("{:032X}", n + 1),
        time: Utc::now(),
    }])
}

/// Counts the ledger calls the tracker makes (in front of the ledger, as a [`Wrapped`] one).
#[derive(Default)]
struct Counting {
    calls: AtomicU64,
}

#[async_trait::async_trait]
impl Around for Counting {
    async fn around<'a, T: Send + 'a>(&'a self, _: LedgerCall, work: Work<'a, T>) -> Result<T, StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        work.await
    }
}

/// The approach this project replaces: on every event, list the whole bucket and sum it.
async fn list_whole_bucket(client: &aws_sdk_s3::Client) -> (Totals, u64) {
    let mut totals = Totals::default();
    let mut calls = 0;
    let mut pages = client.list_objects_v2().bucket(BUCKET).into_paginator().send();
    while let Some(page) = pages.next().await {
        calls += 1;
        for object in page.unwrap().contents() {
            totals.size_bytes += object.size().unwrap_or(0) as u64;
            totals.object_count += 1;
        }
    }
    (totals, calls)
}

fn per_event(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut group = c.benchmark_group("per_event");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    for objects in SIZES {
        let world = runtime.block_on(world(objects));
        let sequence = AtomicU64::new(0);

        let counting = Arc::new(Wrapped::new(world.store.clone(), Counting::default()));
        let counted = Tracker::new(counting.clone(), tracker::TrackingRules::default());
        runtime.block_on(async {
            let event = notification_from_value(overwrite_event(objects, u64::MAX / 2)).unwrap();
            counted.handle(&event).await.unwrap();
            let started = std::time::Instant::now();
            let (_, list_calls) = list_whole_bucket(&world.client).await;
            eprintln!(
                "objects={objects}: tracker store calls per event = {}, S3 calls = 0; \
                 listing baseline S3 calls per event = {list_calls}, one listing took {:?}",
                counting.around.calls.load(Ordering::Relaxed),
                started.elapsed()
            );
        });

        group.bench_with_input(BenchmarkId::new("tracker", objects), &world, |b, world| {
            b.to_async(&runtime).iter(|| async {
                let n = sequence.fetch_add(1, Ordering::Relaxed);
                let event = notification_from_value(overwrite_event(world.objects, n)).unwrap();
                world.tracker.handle(&event).await.unwrap()
            })
        });
        if objects <= LARGEST_LISTED {
            group.bench_with_input(BenchmarkId::new("list_whole_bucket", objects), &world, |b, world| {
                b.to_async(&runtime).iter(|| list_whole_bucket(&world.client))
            });
        }
        runtime.block_on(world.s3.shutdown());
    }
    group.finish();
}

criterion_group!(benches, per_event);
criterion_main!(benches);
