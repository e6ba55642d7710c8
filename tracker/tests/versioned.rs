//! A versioned bucket on moto, changed for real (puts, delete markers, deletions of one version,
//! suspended versioning), its records (S3's format, with the versions moto gave) delivered to the tracker
//! in every order: the tracked totals are always those of the current versions, as a listing shows them,
//! and those of the all-versions series always those of every version a listing of versions shows.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use store_sqlite::SqliteStore;
use tracker::event::{Notification, notification_from_value};
use tracker::{Tracker, TrackingRules};

/// A bucket on moto and the records of what was done to it.
struct Bucket {
    s3: aws_sdk_s3::Client,
    name: String,
    records: Vec<Value>,
    sequencer: u64,
}

impl Bucket {
    async fn new(sdk: &aws_config::SdkConfig, status: BucketVersioningStatus) -> Self {
        let s3 = startup::s3_client(sdk);
        let name = testkit::unique_name("versioned");
        s3.create_bucket().bucket(&name).send().await.unwrap();
        let bucket = Self { s3, name, records: Vec::new(), sequencer: 0x10 };
        bucket.set_versioning(status).await;
        bucket
    }

    async fn set_versioning(&self, status: BucketVersioningStatus) {
        let configuration = VersioningConfiguration::builder().status(status).build();
        self.s3
            .put_bucket_versioning()
            .bucket(&self.name)
            .versioning_configuration(configuration)
            .send()
            .await
            .unwrap();
    }

    fn record(&mut self, event_name: &str, key: &str, version: Option<&str>, size: Option<usize>) {
        self.sequencer += 1;
        let mut object = json!({ "key": key, "sequencer": format!("{:018X}", self.sequencer) });
        if let Some(version) = version {
            object["versionId"] = version.into();
        }
        if let Some(size) = size {
            object["size"] = size.into();
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.records.push(json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": now,
            "eventName": event_name,
            "s3": {
                "s3SchemaVersion": "1.0",
                "bucket": { "name": self.name, "arn": format!("arn:aws:s3:::{}", self.name) },
                "object": object,
            },
        }));
    }

    /// Puts a new version (or, with versioning suspended, replaces the `null` one); answers its id.
    async fn put(&mut self, key: &str, size: usize) -> Option<String> {
        let body = ByteStream::from(vec![b'v'; size]);
        let put = self.s3.put_object().bucket(&self.name).key(key).body(body).send().await.unwrap();
        let version = put.version_id().map(str::to_owned);
        self.record("ObjectCreated:Put", key, version.as_deref(), Some(size));
        version
    }

    /// A plain delete: a delete marker hides the key; answers the marker's version id. (moto creates
    /// none for a key with no version, where S3 would: then nothing happened, and nothing is recorded.)
    async fn hide(&mut self, key: &str) -> Option<String> {
        let deleted = self.s3.delete_object().bucket(&self.name).key(key).send().await.unwrap();
        let marker =
            deleted.version_id().map(str::to_owned).filter(|_| deleted.delete_marker() == Some(true))?;
        self.record("ObjectRemoved:DeleteMarkerCreated", key, Some(&marker), None);
        Some(marker)
    }

    /// Removes one version (or delete marker) for good, as `DELETE ?versionId=` or a lifecycle
    /// expiration of a noncurrent version does.
    async fn remove_version(&mut self, key: &str, version: &str, event_name: &str) {
        self.s3.delete_object().bucket(&self.name).key(key).version_id(version).send().await.unwrap();
        self.record(event_name, key, Some(version), None);
    }

    async fn listed(&self) -> Series {
        Series {
            current: testkit::listed_totals(&self.s3, &self.name).await,
            all_versions: testkit::listed_version_totals(&self.s3, &self.name).await,
        }
    }
}

/// A bucket's totals in both series: its current versions, and every version it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Series {
    current: domain::Totals,
    all_versions: domain::Totals,
}

/// Delivers `records` (one record a notification) in the order given by `order`, in batches of the given
/// sizes, to a fresh tracker on SQLite that reads the bucket from moto; answers its totals.
async fn deliver(bucket: &Bucket, order: &[usize], batches: &[usize]) -> Series {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("history.sqlite3")).await.unwrap());
    let tracker = Tracker::new(store.clone(), TrackingRules::default())
        .with_current_objects(Arc::new(bucket.s3.clone()));
    let notifications: Vec<Notification> = order
        .iter()
        .map(|&index| notification_from_value(json!({ "Records": [bucket.records[index].clone()] })).unwrap())
        .collect();
    let mut rest: &[Notification] = &notifications;
    let mut sizes = batches.iter().copied().cycle();
    while !rest.is_empty() {
        let size = sizes.next().unwrap_or(1).clamp(1, rest.len());
        let (batch, later) = rest.split_at(size);
        let batch: Vec<&Notification> = batch.iter().collect();
        for result in tracker.handle_batch(&batch).await {
            result.unwrap();
        }
        rest = later;
    }
    let bucket_name = domain::BucketName::parse(bucket.name.clone()).unwrap();
    Series {
        current: domain::Ledger::totals(store.as_ref(), &bucket_name).await.unwrap(),
        all_versions: domain::Ledger::totals(store.as_ref(), &bucket_name.all_versions()).await.unwrap(),
    }
}

/// Every order of the bucket's records (there are at most a few): each ends as the listings, of the
/// objects and of the versions.
async fn every_order_ends_as_listed(bucket: &Bucket) -> Series {
    let listed = bucket.listed().await;
    let mut orders = vec![Vec::new()];
    for index in 0..bucket.records.len() {
        orders = orders
            .into_iter()
            .flat_map(|order: Vec<usize>| {
                (0..=order.len()).map(move |at| {
                    let mut longer = order.clone();
                    longer.insert(at, index);
                    longer
                })
            })
            .collect();
    }
    for order in &orders {
        for batches in [&[1][..], &[bucket.records.len()][..]] {
            assert_eq!(
                deliver(bucket, order, batches).await,
                listed,
                "delivered in the order {order:?}, batches of {batches:?}"
            );
        }
    }
    listed
}

fn totals(size_bytes: u64, object_count: u64) -> domain::Totals {
    domain::Totals { size_bytes, object_count }
}

/// The same totals in both series: the bucket holds no noncurrent version.
fn only_current(size_bytes: u64, object_count: u64) -> Series {
    Series { current: totals(size_bytes, object_count), all_versions: totals(size_bytes, object_count) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_noncurrent_version_leaves_the_current_one() {
    let sdk = testkit::moto_sdk_config().await;
    let mut bucket = Bucket::new(&sdk, BucketVersioningStatus::Enabled).await;
    let v1 = bucket.put("doc.txt", 10).await.expect("a version id");
    bucket.put("doc.txt", 20).await;
    bucket.remove_version("doc.txt", &v1, "ObjectRemoved:Delete").await;
    assert_eq!(every_order_ends_as_listed(&bucket).await, only_current(20, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noncurrent_versions_and_delete_markers_count_in_the_all_versions_series_only() {
    let sdk = testkit::moto_sdk_config().await;
    let mut bucket = Bucket::new(&sdk, BucketVersioningStatus::Enabled).await;
    bucket.put("doc.txt", 10).await;
    bucket.put("doc.txt", 20).await;
    bucket.hide("doc.txt").await.expect("a delete marker");
    bucket.put("other.txt", 3).await;
    let ended = every_order_ends_as_listed(&bucket).await;
    assert_eq!(ended, Series { current: totals(3, 1), all_versions: totals(33, 4) });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_delete_marker_makes_the_previous_version_current_again() {
    let sdk = testkit::moto_sdk_config().await;
    let mut bucket = Bucket::new(&sdk, BucketVersioningStatus::Enabled).await;
    bucket.put("doc.txt", 20).await;
    let marker = bucket.hide("doc.txt").await.expect("a delete marker");
    bucket.remove_version("doc.txt", &marker, "ObjectRemoved:Delete").await;
    assert_eq!(every_order_ends_as_listed(&bucket).await, only_current(20, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_current_version_makes_the_one_before_current() {
    let sdk = testkit::moto_sdk_config().await;
    let mut bucket = Bucket::new(&sdk, BucketVersioningStatus::Enabled).await;
    bucket.put("doc.txt", 10).await;
    let v2 = bucket.put("doc.txt", 20).await.expect("a version id");
    bucket.remove_version("doc.txt", &v2, "ObjectRemoved:Delete").await;
    bucket.put("other.txt", 3).await;
    assert_eq!(every_order_ends_as_listed(&bucket).await, only_current(13, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_noncurrent_version_expired_by_lifecycle_leaves_the_current_one() {
    let sdk = testkit::moto_sdk_config().await;
    let mut bucket = Bucket::new(&sdk, BucketVersioningStatus::Enabled).await;
    let v1 = bucket.put("logs/app.log", 10).await.expect("a version id");
    bucket.put("logs/app.log", 20).await;
    // What S3 Lifecycle's NoncurrentVersionExpiration does, and the record it sends.
    bucket.remove_version("logs/app.log", &v1, "LifecycleExpiration:Delete").await;
    assert_eq!(every_order_ends_as_listed(&bucket).await, only_current(20, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_versioning_suspended_a_put_replaces_the_null_version_and_removing_it_removes_the_key() {
    // (moto drops a key's older versions when a put replaces its null version, where S3 keeps them: the
    // case of a bucket versioned, then suspended, is left to the records of the enabled bucket above.)
    let sdk = testkit::moto_sdk_config().await;
    let mut bucket = Bucket::new(&sdk, BucketVersioningStatus::Suspended).await;
    bucket.put("doc.txt", 20).await;
    bucket.put("doc.txt", 30).await;
    bucket.put("other.txt", 5).await;
    assert_eq!(bucket.listed().await, only_current(35, 2), "the null version was replaced");
    bucket.remove_version("doc.txt", "null", "ObjectRemoved:Delete").await;
    assert_eq!(every_order_ends_as_listed(&bucket).await, only_current(5, 1));
}

/// One thing done to the bucket in a random history.
#[derive(Debug, Clone)]
enum Step {
    Put {
        key: usize,
        size: usize,
    },
    Hide {
        key: usize,
    },
    /// Removes the `nth` (modulo how many) of the key's versions and markers still there.
    RemoveVersion {
        key: usize,
        nth: usize,
    },
}

const KEYS: [&str; 2] = ["a.txt", "dir/b.txt"];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..KEYS.len(), 1..40usize).prop_map(|(key, size)| Step::Put { key, size }),
        1 => (0..KEYS.len()).prop_map(|key| Step::Hide { key }),
        2 => (0..KEYS.len(), 0..8usize).prop_map(|(key, nth)| Step::RemoveVersion { key, nth }),
    ]
}

#[test]
fn any_versioned_history_delivered_in_any_order_and_batches_ends_as_listed() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sdk = runtime.block_on(testkit::moto_sdk_config());
    let cases = std::env::var("VERSIONED_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(24);
    let strategy =
        (proptest::collection::vec(step(), 1..10), any::<u64>(), proptest::collection::vec(1..4usize, 1..4));
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&strategy, |(steps, shuffle_seed, batches)| {
            runtime.block_on(async {
                let mut bucket = Bucket::new(&sdk, BucketVersioningStatus::Enabled).await;
                // Each key's versions and markers still in the bucket, oldest first.
                let mut versions: Vec<Vec<String>> = vec![Vec::new(); KEYS.len()];
                for step in &steps {
                    match *step {
                        Step::Put { key, size } => versions[key].extend(bucket.put(KEYS[key], size).await),
                        Step::Hide { key } => versions[key].extend(bucket.hide(KEYS[key]).await),
                        Step::RemoveVersion { key, nth } if !versions[key].is_empty() => {
                            let at = nth % versions[key].len();
                            let version = versions[key].remove(at);
                            bucket.remove_version(KEYS[key], &version, "ObjectRemoved:Delete").await;
                        }
                        Step::RemoveVersion { .. } => {}
                    }
                }
                let mut order: Vec<usize> = (0..bucket.records.len()).collect();
                let mut rng = fastrand::Rng::with_seed(shuffle_seed);
                rng.shuffle(&mut order);
                let listed = bucket.listed().await;
                let tracked = deliver(&bucket, &order, &batches).await;
                prop_assert_eq!(tracked, listed, "steps {:?}, delivered in the order {:?}", steps, order);
                Ok(())
            })
        })
        .unwrap();
}
