//! Reconcile as a full diff on moto's S3 and DynamoDB: it adds, removes and resizes until the ledger
//! agrees with the listing, and changes that happen while it runs (an object changed in S3 and its event
//! applied) are never undone.

use std::sync::{Arc, Mutex};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::future::Future;
use std::pin::Pin;

use aws_sdk_s3::primitives::ByteStream;
use domain::{BucketName, ChangeKind, Ledger, ObjectChange, ObjectKey, Sequencer, StoreError, Totals};
use store_dynamodb::DynamoStore;
use testkit::ledger::{Around, LedgerCall, Work, Wrapped};
use tracker::reconcile::{Progress, reconcile, reconcile_in_pages};

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

/// Something the test does once, at a moment of reconcile's run.
type Meddle = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// What the test does to the bucket, or the events it applies, at the moments reconcile first reads the
/// ledger and first corrects it: in front of the ledger as a [`Wrapped`] one.
struct Meddling {
    before_read: Mutex<Option<Meddle>>,
    before_correct: Mutex<Option<Meddle>>,
}

impl Meddling {
    fn new(
        inner: Arc<dyn Ledger>,
        before_read: Option<Meddle>,
        before_correct: Option<Meddle>,
    ) -> Wrapped<Self> {
        Wrapped::new(
            inner,
            Self { before_read: Mutex::new(before_read), before_correct: Mutex::new(before_correct) },
        )
    }

    async fn once(meddle: &Mutex<Option<Meddle>>) {
        let meddle = meddle.lock().unwrap().take();
        if let Some(meddle) = meddle {
            meddle().await;
        }
    }
}

#[async_trait::async_trait]
impl Around for Meddling {
    async fn around<'a, T: Send + 'a>(
        &'a self,
        call: LedgerCall,
        work: Work<'a, T>,
    ) -> Result<T, StoreError> {
        match call {
            LedgerCall::KeyRows => Self::once(&self.before_read).await,
            LedgerCall::Correct => Self::once(&self.before_correct).await,
            _ => {}
        }
        work.await
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
    // Before reconcile first reads the ledger: f is put (9 B) and a overwritten (11 B), with their events.
    let before_read: Meddle = {
        let world = Arc::clone(&world);
        Box::new(move || {
            Box::pin(async move {
                world.store("f", 9).await;
                world.store("a", 11).await;
                let events = [world.change("f", "10", Some(9)), world.change("a", "11", Some(11))];
                World::notify(world.ledger.as_ref(), &events).await;
            })
        })
    };
    // After it read the ledger and listed the bucket, before it corrects: b, which it found resized, is
    // deleted, and d, which it found missing, is put at another size, with their events.
    let before_correct: Meddle = {
        let world = Arc::clone(&world);
        Box::new(move || {
            Box::pin(async move {
                world.unstore("b").await;
                world.store("d", 70).await;
                let events = [world.change("b", "12", None), world.change("d", "13", Some(70))];
                World::notify(world.ledger.as_ref(), &events).await;
            })
        })
    };
    let meddling = Meddling::new(Arc::clone(&world.ledger), Some(before_read), Some(before_correct));

    let report = reconcile(&world.s3, &meddling, &world.bucket, &[], |_| ()).await.unwrap();
    // The changes before the read are in both the ledger and the listing: nothing to correct for a and
    // f. Those after the listing moved b and d: their corrections are skipped, the events' states stand.
    assert_eq!(report.progress.raced, 2, "{report:?}");
    assert_eq!((report.progress.added, report.progress.removed, report.progress.resized), (0, 0, 0));
    let listed = world.listed().await;
    assert_eq!(listed, Totals { size_bytes: 11 + 70 + 9, object_count: 3 });
    assert_eq!(world.ledger.totals(&world.bucket).await.unwrap(), listed);
}

/// One key's history: its events in the order they happened (sequencers rising), each with its fate.
#[derive(Debug, Clone)]
struct KeyHistory {
    events: Vec<(Option<u64>, Fate)>,
}

/// What became of an event before reconcile ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Applied before reconcile started.
    Before,
    /// Applied while reconcile ran: after it read the ledger and listed the bucket, before it corrected.
    During,
    /// Never delivered.
    Lost,
}

fn key_history() -> impl Strategy<Value = KeyHistory> {
    let fate = prop_oneof![Just(Fate::Before), Just(Fate::During), Just(Fate::Lost)];
    let size = proptest::option::weighted(0.7, 0u64..40);
    vec((size, fate), 1..4).prop_map(|events| KeyHistory { events })
}

/// Any ledger, any bucket: whichever of a history's events were applied before reconcile, while it ran
/// or never, and however small its pages, reconcile leaves every key no event moved while it ran as the
/// listing shows it, the totals equal to the sum of the rows, and a second run leaves the whole bucket
/// equal to the listing. The bucket is on moto's S3, the ledger SQLite.
#[test]
fn reconcile_makes_any_ledger_agree_with_the_listing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s3 = runtime.block_on(async { startup::s3_client(&testkit::moto_sdk_config().await) });
    let cases = vec(key_history(), 1..9);
    let mut runner = TestRunner::new(Config { cases: 48, ..Config::default() });
    runner
        .run(&(cases, 1usize..5, any::<u64>()), |(histories, page_keys, order)| {
            runtime.block_on(check(&s3, &histories, page_keys, order));
            Ok(())
        })
        .unwrap();
}

/// `order` shuffles the events applied before reconcile.
async fn check(s3: &aws_sdk_s3::Client, histories: &[KeyHistory], page_keys: usize, order: u64) {
    let dir = tempfile::tempdir().unwrap();
    let ledger: Arc<dyn Ledger> =
        Arc::new(store_sqlite::SqliteStore::open(&dir.path().join("history.sqlite3")).await.unwrap());
    let bucket = BucketName::parse(testkit::unique_name("any-ledger")).unwrap();
    s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
    let world = World { s3: s3.clone(), ledger: Arc::clone(&ledger), bucket: bucket.clone() };
    let (mut before, mut during) = (Vec::new(), Vec::new());
    let mut moved_during = Vec::new();
    let mut truth = Totals::default();
    for (k, history) in histories.iter().enumerate() {
        let key = format!("k{k}");
        for (n, (size, fate)) in history.events.iter().enumerate() {
            let change = world.change(&key, &format!("{:X}", n + 1), *size);
            match fate {
                Fate::Before => before.push(change),
                Fate::During => during.push(change),
                Fate::Lost => {}
            }
        }
        if history.events.iter().any(|(_, fate)| *fate == Fate::During) {
            moved_during.push(key.clone());
        }
        if let Some((Some(size), _)) = history.events.last() {
            world.store(&key, *size as usize).await;
            truth.size_bytes += size;
            truth.object_count += 1;
        }
    }
    before.sort_by_key(|c| domain::fnv1a(format!("{order}/{}/{}", c.key, c.sequencer).as_bytes()));
    World::notify(ledger.as_ref(), &before).await;
    let during_ledger = Arc::clone(&ledger);
    let meddle: Meddle = Box::new(move || {
        Box::pin(async move {
            World::notify(during_ledger.as_ref(), &during).await;
        })
    });
    let meddling = Meddling::new(Arc::clone(&ledger), None, Some(meddle));
    reconcile_in_pages(s3, &meddling, &bucket, &[], page_keys, |_| ()).await.unwrap();

    let rows = all_rows(ledger.as_ref(), &bucket).await;
    for (k, history) in histories.iter().enumerate() {
        let key = format!("k{k}");
        if moved_during.contains(&key) {
            continue;
        }
        let listed = history.events.last().and_then(|(size, _)| *size);
        let tracked = rows
            .iter()
            .find(|(row, _)| row.as_str() == key)
            .and_then(|(_, (present, size))| present.then_some(*size));
        assert_eq!(tracked, listed, "{key}: {history:?}");
    }
    let summed =
        rows.iter().filter(|(_, (present, _))| *present).fold(Totals::default(), |sum, (_, (_, size))| {
            Totals { size_bytes: sum.size_bytes + size, object_count: sum.object_count + 1 }
        });
    assert_eq!(ledger.totals(&bucket).await.unwrap(), summed, "the totals are the sum of the rows");

    reconcile_in_pages(s3, ledger.as_ref(), &bucket, &[], page_keys, |_| ()).await.unwrap();
    assert_eq!(ledger.totals(&bucket).await.unwrap(), truth);
    assert_eq!(world.listed().await, truth);
}

/// Every key row of the bucket: presence and size.
async fn all_rows(ledger: &dyn Ledger, bucket: &BucketName) -> Vec<(ObjectKey, (bool, u64))> {
    let page = ledger.key_rows(bucket, None, 1_000).await.unwrap();
    assert_eq!(page.through, None);
    page.rows.into_iter().map(|(key, state)| (key, (state.present, state.size))).collect()
}
