//! Reconcile as a full diff on moto's S3 and DynamoDB: it adds, removes and resizes until the ledger
//! agrees with the listing, and changes that happen while it runs (an object changed in S3 and its event
//! applied) are never undone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_s3::primitives::ByteStream;
use domain::correction::{Correction, KeyRows};
use domain::transition::Transition;
use domain::{
    BucketName, ChangeKind, ChangeResult, Ledger, ObjectChange, ObjectKey, Sequencer, StoreError, Totals,
};
use store_dynamodb::DynamoStore;
use tracker::reconcile::{Progress, reconcile};

struct World {
    s3: aws_sdk_s3::Client,
    ledger: Arc<dyn Ledger>,
    bucket: BucketName,
}

impl World {
    async fn new() -> Self {
        let sdk = testkit::moto_sdk_config().await;
        let tables = testkit::moto_tables(&sdk).await;
        let ledger: Arc<dyn Ledger> =
            Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &tables));
        let bucket = BucketName::parse(testkit::unique_name("reconciled")).unwrap();
        let s3 = startup::s3_client(&sdk);
        s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
        Self { s3, ledger, bucket }
    }

    /// Stores an object, unnotified (the bucket sends no events).
    async fn store(&self, key: &str, size: usize) {
        let body = ByteStream::from(vec![b'x'; size]);
        self.s3.put_object().bucket(self.bucket.as_str()).key(key).body(body).send().await.unwrap();
    }

    async fn unstore(&self, key: &str) {
        self.s3.delete_object().bucket(self.bucket.as_str()).key(key).send().await.unwrap();
    }

    fn change(&self, key: &str, sequencer: &str, size: Option<u64>) -> ObjectChange {
        ObjectChange {
            bucket: self.bucket.clone(),
            key: ObjectKey::parse(key).unwrap(),
            sequencer: Sequencer::parse(sequencer).unwrap(),
            kind: size.map_or(ChangeKind::Removed, |size| ChangeKind::Created { size }),
        }
    }

    /// Applies events to the ledger as the tracker would.
    async fn notify(ledger: &dyn Ledger, changes: &[ObjectChange]) {
        for result in ledger.apply_batch(changes).await {
            result.unwrap();
        }
    }

    async fn listed(&self) -> Totals {
        testkit::listed_totals(&self.s3, self.bucket.as_str()).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_drift_is_corrected_and_reported() {
    let world = World::new().await;
    // What the ledger was told: a, b, c present; d removed.
    let told = [
        world.change("a", "1", Some(10)),
        world.change("b", "2", Some(200)),
        world.change("c", "3", Some(300)),
        world.change("d", "4", None),
    ];
    World::notify(world.ledger.as_ref(), &told).await;
    // What the bucket holds, its events lost: a as it was, b overwritten, c deleted, d put back, e new.
    world.store("a", 10).await;
    world.store("b", 20).await;
    world.store("d", 7).await;
    world.store("e", 3).await;

    let report = reconcile(&world.s3, world.ledger.as_ref(), &world.bucket, &[], |_| ()).await.unwrap();
    assert_eq!(
        report.progress,
        Progress {
            listed: 4,
            added: 2,
            removed: 1,
            resized: 1,
            raced: 0,
            drift_bytes: (20 - 200) - 300 + 7 + 3,
            drift_objects: -1 + 2,
        }
    );
    let listed = world.listed().await;
    assert_eq!(listed, Totals { size_bytes: 10 + 20 + 7 + 3, object_count: 4 });
    assert_eq!((report.size_bytes, report.object_count), (listed.size_bytes, listed.object_count));
    assert_eq!(world.ledger.totals(&world.bucket).await.unwrap(), listed);

    let again = reconcile(&world.s3, world.ledger.as_ref(), &world.bucket, &[], |_| ()).await.unwrap();
    assert_eq!(again.progress, Progress { listed: 4, ..Default::default() }, "nothing left to correct");

    // The lost events still arrive (any order) and change nothing more: each one's state is the listing's.
    let late =
        [world.change("b", "5", Some(20)), world.change("d", "6", Some(7)), world.change("c", "7", None)];
    World::notify(world.ledger.as_ref(), &late).await;
    assert_eq!(world.ledger.totals(&world.bucket).await.unwrap(), listed);
}

/// A ledger through which the test changes the bucket, and applies the change's event, at the moments
/// reconcile reads the ledger and corrects it.
struct Meddling {
    inner: Arc<dyn Ledger>,
    world: Arc<World>,
    before_read: AtomicBool,
    before_correct: AtomicBool,
}

impl Meddling {
    /// Before reconcile first reads the ledger: `f` is put (9 B) and `a` overwritten (11 B).
    async fn meddle_before_read(&self) {
        if self.before_read.swap(false, Ordering::SeqCst) {
            self.world.store("f", 9).await;
            self.world.store("a", 11).await;
            let events = [self.world.change("f", "10", Some(9)), self.world.change("a", "11", Some(11))];
            World::notify(self.inner.as_ref(), &events).await;
        }
    }

    /// After reconcile read the ledger and listed the bucket, before it corrects: `b`, which it found
    /// resized, is deleted, and `d`, which it found missing, is put at another size.
    async fn meddle_before_correct(&self) {
        if self.before_correct.swap(false, Ordering::SeqCst) {
            self.world.unstore("b").await;
            self.world.store("d", 70).await;
            let events = [self.world.change("b", "12", None), self.world.change("d", "13", Some(70))];
            World::notify(self.inner.as_ref(), &events).await;
        }
    }
}

#[async_trait::async_trait]
impl Ledger for Meddling {
    async fn apply_batch(&self, changes: &[ObjectChange]) -> Vec<ChangeResult> {
        self.inner.apply_batch(changes).await
    }
    async fn key_rows(
        &self,
        bucket: &BucketName,
        after: Option<&ObjectKey>,
        limit: usize,
    ) -> Result<KeyRows, StoreError> {
        self.meddle_before_read().await;
        self.inner.key_rows(bucket, after, limit).await
    }
    async fn correct(
        &self,
        bucket: &BucketName,
        corrections: &[Correction],
    ) -> Result<Vec<Transition>, StoreError> {
        self.meddle_before_correct().await;
        self.inner.correct(bucket, corrections).await
    }
    async fn park(&self, changes: &[ObjectChange]) -> Result<(), StoreError> {
        self.inner.park(changes).await
    }
    async fn parked(&self, bucket: &BucketName) -> Result<Vec<ObjectChange>, StoreError> {
        self.inner.parked(bucket).await
    }
    async fn unpark(&self, changes: &[ObjectChange]) -> Result<(), StoreError> {
        self.inner.unpark(changes).await
    }
    async fn totals(&self, bucket: &BucketName) -> Result<Totals, StoreError> {
        self.inner.totals(bucket).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_applied_while_reconcile_runs_are_never_undone() {
    let world = Arc::new(World::new().await);
    World::notify(
        world.ledger.as_ref(),
        &[world.change("a", "1", Some(10)), world.change("b", "2", Some(200)), world.change("d", "4", None)],
    )
    .await;
    world.store("a", 10).await;
    world.store("b", 20).await;
    world.store("d", 7).await;
    let meddling = Meddling {
        inner: Arc::clone(&world.ledger),
        world: Arc::clone(&world),
        before_read: AtomicBool::new(true),
        before_correct: AtomicBool::new(true),
    };

    let report = reconcile(&world.s3, &meddling, &world.bucket, &[], |_| ()).await.unwrap();
    // The changes before the read are in both the ledger and the listing: nothing to correct for a and
    // f. Those after the listing moved b and d: their corrections are skipped, the events' states stand.
    assert_eq!(report.progress.raced, 2, "{report:?}");
    assert_eq!((report.progress.added, report.progress.removed, report.progress.resized), (0, 0, 0));
    let listed = world.listed().await;
    assert_eq!(listed, Totals { size_bytes: 11 + 70 + 9, object_count: 3 });
    assert_eq!(world.ledger.totals(&world.bucket).await.unwrap(), listed);
}
