//! Reconcile of the all-versions series on moto: a versioned bucket whose versions and delete markers
//! predate tracking (or whose events were lost) is listed version by version, and the series ends with
//! every version the bucket holds, on SQLite and on DynamoDB, whatever the page size (a key with more
//! versions than a page included): nothing is left to correct after, and events arriving late change
//! nothing more.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use domain::versions::version_change;
use domain::{BucketName, ChangeKind, Ledger, ObjectChange, ObjectKey, Sequencer, Series, Totals};
use store_dynamodb::DynamoStore;
use store_sqlite::SqliteStore;
use tracker::reconcile::{Position, Progress, Walk, reconcile_in_pages};

/// A versioned bucket on moto, changed without events.
struct Bucket {
    s3: aws_sdk_s3::Client,
    name: BucketName,
}

impl Bucket {
    async fn new(sdk: &aws_config::SdkConfig) -> Self {
        let s3 = startup::s3_client(sdk);
        let name = BucketName::parse(testkit::unique_name("versions")).unwrap();
        s3.create_bucket().bucket(name.as_str()).send().await.unwrap();
        let enabled = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
        s3.put_bucket_versioning()
            .bucket(name.as_str())
            .versioning_configuration(enabled)
            .send()
            .await
            .unwrap();
        Self { s3, name }
    }

    async fn put(&self, key: &str, size: usize) -> String {
        let body = ByteStream::from(vec![b'v'; size]);
        let put = self.s3.put_object().bucket(self.name.as_str()).key(key).body(body).send().await.unwrap();
        put.version_id().expect("a version id").to_owned()
    }

    async fn hide(&self, key: &str) {
        self.s3.delete_object().bucket(self.name.as_str()).key(key).send().await.unwrap();
    }

    async fn remove_version(&self, key: &str, version: &str) {
        self.s3.delete_object().bucket(self.name.as_str()).key(key).version_id(version).send().await.unwrap();
    }

    async fn listed(&self) -> Totals {
        testkit::listed_version_totals(&self.s3, self.name.as_str()).await
    }

    /// An event of `key`'s version `version`, as the tracker makes it for the all-versions series.
    fn version_event(&self, key: &str, version: &str, sequencer: &str, kind: ChangeKind) -> ObjectChange {
        let change = ObjectChange {
            bucket: self.name.clone(),
            key: ObjectKey::parse(key).unwrap(),
            sequencer: Sequencer::parse(sequencer).unwrap(),
            kind,
        };
        version_change(&change, Some(version), kind).unwrap()
    }
}

/// The bucket's history: versions before tracking, a key with many versions, delete markers, a version
/// removed for good; and what the ledger was told (some of it wrong). Answers the events that were lost.
async fn drifted(bucket: &Bucket, ledger: &dyn Ledger) -> Vec<ObjectChange> {
    let a1 = bucket.put("a.txt", 10).await;
    let a2 = bucket.put("a.txt", 20).await;
    for size in 1..=5 {
        bucket.put("b/many.txt", size).await;
    }
    bucket.hide("b/many.txt").await;
    let c1 = bucket.put("c.txt", 7).await;
    bucket.remove_version("c.txt", &c1).await;
    bucket.put("d.txt", 4).await;
    // What the ledger was told: a's first version with a wrong size, and c's version, since removed.
    let told = [
        bucket.version_event("a.txt", &a1, "10", ChangeKind::Created { size: 99 }),
        bucket.version_event("c.txt", &c1, "11", ChangeKind::Created { size: 7 }),
    ];
    for result in ledger.apply_batch(&told).await {
        result.unwrap();
    }
    vec![bucket.version_event("a.txt", &a2, "12", ChangeKind::Created { size: 20 })]
}

async fn reconciles_every_version(ledger: Arc<dyn Ledger>, sdk: &aws_config::SdkConfig, page_keys: usize) {
    let bucket = Bucket::new(sdk).await;
    let late = drifted(&bucket, ledger.as_ref()).await;
    let listed = bucket.listed().await;
    // a: 10 + 20; b: 1 + … + 5 and a marker; d: 4.
    assert_eq!(listed, Totals { size_bytes: 30 + 15 + 4, object_count: 2 + 6 + 1 });

    let series = Series::AllVersions.of(&bucket.name);
    let report =
        reconcile_in_pages(&bucket.s3, ledger.as_ref(), &series, &[], page_keys, |_| ()).await.unwrap();
    assert_eq!((report.bucket.as_str(), report.series), (bucket.name.as_str(), Series::AllVersions));
    assert_eq!(
        report.progress,
        Progress {
            listed: 9,
            added: 8,
            removed: 1,
            resized: 1,
            raced: 0,
            drift_bytes: (10 - 99) + 20 + 15 + 4 - 7,
            drift_objects: 8 - 1,
        },
        "pages of {page_keys}"
    );
    assert_eq!(ledger.totals(&series).await.unwrap(), listed, "pages of {page_keys}");

    let again =
        reconcile_in_pages(&bucket.s3, ledger.as_ref(), &series, &[], page_keys, |_| ()).await.unwrap();
    assert_eq!(again.progress, Progress { listed: 9, ..Progress::default() }, "nothing left to correct");

    for result in ledger.apply_batch(&late).await {
        result.unwrap();
    }
    assert_eq!(ledger.totals(&series).await.unwrap(), listed, "a late event changes nothing more");
    assert_eq!(ledger.totals(&bucket.name).await.unwrap(), Totals::default(), "the current series is apart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_that_predate_tracking_are_listed_into_the_series_on_sqlite() {
    let sdk = testkit::moto_sdk_config().await;
    for page_keys in [1, 2, 3, 1_000] {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("history.sqlite3")).await.unwrap();
        reconciles_every_version(Arc::new(store), &sdk, page_keys).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_that_predate_tracking_are_listed_into_the_series_on_dynamodb() {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    for page_keys in [1, 2, 1_000] {
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &tables);
        reconciles_every_version(Arc::new(store), &sdk, page_keys).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_versions_reaches_its_last_whole_key_whatever_holds_a_delete_marker() {
    // S3 answers a page's versions and its delete markers apart: the first key's marker comes after the
    // last key's version in the answer, and must not end the page there.
    let sdk = testkit::moto_sdk_config().await;
    let bucket = Bucket::new(&sdk).await;
    bucket.put("a.txt", 1).await;
    bucket.hide("a.txt").await;
    for key in ["b.txt", "c.txt", "d.txt", "e.txt", "f.txt"] {
        bucket.put(key, 2).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("history.sqlite3")).await.unwrap();
    let series = Series::AllVersions.of(&bucket.name);
    // Six a page: a's marker and version, b, c, d, and e, which the next page may go on with.
    let mut walk = Walk::resume(&bucket.s3, &store, &series, &[], 6, Position::default());
    walk.step().await.unwrap();
    assert_eq!(walk.position().after, domain::versions::after_versions_of("d.txt"));
    assert_eq!(walk.position().progress.listed, 5);
    while !walk.is_done() {
        walk.step().await.unwrap();
    }
    assert_eq!(walk.position().progress.listed, 7);
    assert_eq!(store.totals(&series).await.unwrap(), bucket.listed().await);
}
