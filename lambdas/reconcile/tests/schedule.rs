//! The reconcile function on moto's S3 and DynamoDB: a walk that outlasts its invocation resumes from
//! its checkpoint at the next one and ends as one walk would; a bucket another invocation holds is left
//! to it; a new walk begins only once the last began the period ago, or at once when an invocation asks
//! for it; each bucket has its own walk, of its objects and then of its versions (its all-versions series).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use aws_sdk_s3::primitives::ByteStream;
use domain::checkpoint::{Checkpoint, Progress};
use domain::{
    BucketName, ChangeKind, Checkpoints, Clock, Ledger, ObjectChange, ObjectKey, Sequencer, Series, Totals,
};
use reconcile_lambda::{BucketTick, ReconcileLambdaConfig, Reconciler, TickRequest};
use store_dynamodb::LedgerTables;
use tracker::reconcile::TickOutcome;

/// The schedule's margin: a page begins only while a minute is left.
const MARGIN_MS: i64 = 60_000;
/// How far the test clock moves at each reading.
const STEP_MS: i64 = 1_000;

/// A clock that moves on a second each time it is read: the schedule reads it once per page, so a
/// deadline decides how many pages an invocation does.
#[derive(Clone)]
struct SteppingClock(Arc<AtomicI64>);

impl SteppingClock {
    fn new() -> Self {
        Self(Arc::new(AtomicI64::new(1_800_000_000_000)))
    }

    fn clock(&self) -> Clock {
        let now = self.0.clone();
        Arc::new(move || now.fetch_add(STEP_MS, Ordering::SeqCst))
    }

    /// A deadline that leaves time for `pages` pages of an invocation starting now (the first reading
    /// is the tick's "now", then one before each page).
    fn deadline_for(&self, pages: i64) -> i64 {
        self.0.load(Ordering::SeqCst) + MARGIN_MS + pages * STEP_MS + STEP_MS / 2
    }

    fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

struct World {
    s3: aws_sdk_s3::Client,
    reconciler: Reconciler,
    buckets: Vec<BucketName>,
    time: SteppingClock,
}

impl World {
    async fn new(buckets: usize, page_keys: usize) -> Self {
        let sdk = testkit::moto_sdk_config().await;
        let tables = testkit::moto_tables(&sdk).await;
        let s3 = startup::s3_client(&sdk);
        let mut names = Vec::new();
        for _ in 0..buckets {
            let bucket = BucketName::parse(testkit::unique_name("scheduled")).unwrap();
            s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
            names.push(bucket);
        }
        let config = ReconcileLambdaConfig {
            tables: LedgerTables { history: tables.history.clone(), index: tables.index.clone() },
            buckets: names.clone(),
            reserved: vec![tracker::ReservedPrefix::everywhere("plots/")],
            every: ReconcileLambdaConfig::DEFAULT_EVERY,
        };
        let time = SteppingClock::new();
        let reconciler = Reconciler::new(config, aws_sdk_dynamodb::Client::new(&sdk), s3.clone())
            .with_pages_and_clock(page_keys, time.clock());
        Self { s3, reconciler, buckets: names, time }
    }

    async fn store(&self, bucket: usize, key: &str, size: usize) {
        let body = ByteStream::from(vec![b'x'; size]);
        self.s3.put_object().bucket(self.buckets[bucket].as_str()).key(key).body(body).send().await.unwrap();
    }

    /// Tells the ledger of a change the bucket does not hold (its undoing event was lost).
    async fn tell(&self, bucket: usize, key: &str, sequencer: &str, size: u64) {
        let change = ObjectChange {
            bucket: self.buckets[bucket].clone(),
            key: ObjectKey::parse(key).unwrap(),
            sequencer: Sequencer::parse(sequencer).unwrap(),
            kind: ChangeKind::Created { size },
        };
        self.reconciler.ledger().apply(&change).await.unwrap();
    }

    async fn invoke(&self, pages: i64) -> Vec<BucketTick> {
        self.invoke_asking(pages, &TickRequest::default()).await
    }

    async fn invoke_asking(&self, pages: i64, request: &TickRequest) -> Vec<BucketTick> {
        self.reconciler.handle(self.time.deadline_for(pages), request).await.unwrap()
    }

    async fn tracked(&self, bucket: usize) -> Totals {
        self.reconciler.ledger().totals(&self.buckets[bucket]).await.unwrap()
    }

    async fn listed(&self, bucket: usize) -> Totals {
        testkit::listed_totals(&self.s3, self.buckets[bucket].as_str()).await
    }

    /// The bucket's all-versions series as tracked, and as its versions are listed.
    async fn versions(&self, bucket: usize) -> (Totals, Totals) {
        let series = self.buckets[bucket].all_versions();
        let tracked = self.reconciler.ledger().totals(&series).await.unwrap();
        (tracked, testkit::listed_version_totals(&self.s3, self.buckets[bucket].as_str()).await)
    }
}

/// The EMF line the tick printed for its bucket, parsed.
fn metrics(tick: &BucketTick) -> serde_json::Value {
    let line = tick.metrics.as_deref().unwrap_or_else(|| panic!("no metrics line: {tick:?}"));
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(value["Bucket"], tick.bucket.as_str(), "{line}");
    value
}

/// The outcome of the one bucket's tick of its current series (its all-versions series' tick follows).
fn outcome(ticks: &[BucketTick]) -> &TickOutcome {
    let current: Vec<&BucketTick> = ticks.iter().filter(|tick| tick.series == Series::Current).collect();
    assert_eq!(current.len(), 1, "{ticks:?}");
    &current[0].outcome
}

/// The tick of `bucket`'s `series`.
fn tick_of<'a>(ticks: &'a [BucketTick], bucket: &BucketName, series: Series) -> &'a TickOutcome {
    let tick = ticks.iter().find(|tick| tick.bucket == bucket.as_str() && tick.series == series);
    &tick.unwrap_or_else(|| panic!("no {series:?} tick of {bucket}: {ticks:?}")).outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_cut_short_resumes_where_it_stopped_and_ends_as_one_walk() {
    // Nine keys, two a page: five pages. The ledger knows one key the bucket lost and has one size wrong.
    let world = World::new(1, 2).await;
    for (i, key) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        world.store(0, key, 10 * (i + 1)).await;
    }
    world.store(0, "plots/latest.png", 5).await;
    world.tell(0, "c", "1", 999).await;
    world.tell(0, "gone", "2", 7).await;

    let first = world.invoke(3).await;
    let TickOutcome::Paused { progress } = outcome(&first) else {
        panic!("paused after three pages: {first:?}")
    };
    assert_eq!(progress.listed, 6, "three pages of two");
    assert_ne!(world.tracked(0).await, world.listed(0).await, "the walk is not over");

    let second = world.invoke(3).await;
    let TickOutcome::Finished(report) = outcome(&second) else { panic!("finished: {second:?}") };
    let expected = Progress {
        listed: 9,
        added: 8,
        removed: 1,
        resized: 1,
        raced: 0,
        drift_bytes: (10 + 20 + 40 + 50 + 60 + 70 + 80 + 90) + (30 - 999) - 7,
        drift_objects: 8 - 1,
    };
    assert_eq!(report.progress, expected, "the two invocations' counts add up to one walk's");
    let listed = world.listed(0).await;
    assert_eq!(listed, Totals { size_bytes: 450, object_count: 9 });
    assert_eq!(world.tracked(0).await, listed);
    assert_eq!((report.size_bytes, report.object_count), (listed.size_bytes, listed.object_count));

    // Until a day after the walk began, nothing more is walked; each tick still reports the bucket's
    // tracked totals (its only metric while it has no events), and a finished walk its drift too.
    // A change applied since the walk (its event arrived) is in those totals.
    world.store(0, "k", 6).await;
    world.tell(0, "k", "3", 6).await;
    let again = world.invoke(10).await;
    assert!(matches!(outcome(&again), TickOutcome::NotDue { .. }), "{again:?}");
    let reported = metrics(&again[0]);
    let totals = (reported["TrackedSizeBytes"].as_u64(), reported["TrackedObjectCount"].as_u64());
    assert_eq!(totals, (Some(456), Some(10)));
    assert!(reported.get("KeysCorrected").is_none(), "no walk finished in this tick: {reported}");
    assert_eq!(metrics(&second[0])["KeysCorrected"], 10, "the finished walk's line has its drift");

    // A day later a new walk begins from the first key and finds what drifted meanwhile.
    world.store(0, "j", 5).await;
    world.time.advance(ReconcileLambdaConfig::DEFAULT_EVERY.as_millis() as i64);
    let next = world.invoke(10).await;
    let TickOutcome::Finished(report) = outcome(&next) else { panic!("a new walk: {next:?}") };
    assert_eq!(
        report.progress,
        Progress { listed: 11, added: 1, drift_bytes: 5, drift_objects: 1, ..Default::default() }
    );
    assert_eq!(world.tracked(0).await, world.listed(0).await);

    // The all-versions series is walked after the current one, in the same invocations, and ends with
    // every version (here each key's null version).
    let last = world.invoke(20).await;
    assert!(
        matches!(tick_of(&last, &world.buckets[0], Series::AllVersions), TickOutcome::Finished(_)),
        "{last:?}"
    );
    let (tracked, listed) = world.versions(0).await;
    assert_eq!(tracked, listed);
    assert_eq!(listed, Totals { size_bytes: 450 + 6 + 5, object_count: 11 });
    // Its totals are metrics of the bucket too, under names of their own, with no drift beside them.
    let versions = last.iter().find(|tick| tick.series == Series::AllVersions).expect("an all-versions tick");
    let reported = metrics(versions);
    let totals = (reported["TrackedAllVersionsSizeBytes"].as_u64(), reported["TrackedVersionCount"].as_u64());
    assert_eq!(totals, (Some(listed.size_bytes), Some(listed.object_count)));
    assert!(
        reported.get("TrackedSizeBytes").is_none() && reported.get("KeysCorrected").is_none(),
        "{reported}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_another_invocation_walks_is_left_to_it_until_its_lease_runs_out() {
    let world = World::new(1, 1000).await;
    world.store(0, "a", 3).await;
    let bucket = &world.buckets[0];
    let ledger = world.reconciler.ledger();
    let now = world.time.deadline_for(0) - MARGIN_MS;
    let held = Checkpoint { leased_until_ms: now + 600_000, ..Checkpoint::begin(now) };
    let revision = ledger.store_checkpoint(bucket, &held, None).await.unwrap().expect("the first checkpoint");

    let ticks = world.invoke(10).await;
    assert_eq!(outcome(&ticks), &TickOutcome::Busy { leased_until_ms: now + 600_000 });
    let stored = ledger.checkpoint(bucket).await.unwrap().unwrap();
    assert_eq!((stored.value, stored.revision), (held, revision), "left as the holder stored it");
    assert_eq!(world.tracked(0).await, Totals::default());

    // The holder died: once its lease has run out, the next invocation takes the walk over.
    world.time.advance(600_000);
    let ticks = world.invoke(10).await;
    assert!(matches!(outcome(&ticks), TickOutcome::Finished(_)), "{ticks:?}");
    assert_eq!(world.tracked(0).await, world.listed(0).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_is_stored_only_over_the_revision_it_was_read_at() {
    let world = World::new(1, 1000).await;
    let (bucket, ledger) = (&world.buckets[0], world.reconciler.ledger());
    let first = Checkpoint::begin(1);
    assert_eq!(ledger.store_checkpoint(bucket, &first, None).await.unwrap(), Some(1));
    assert_eq!(ledger.store_checkpoint(bucket, &first, None).await.unwrap(), None, "one exists already");
    let moved = Checkpoint {
        after: Some(ObjectKey::parse("k/é").unwrap()),
        progress: Progress {
            listed: 4,
            added: 1,
            removed: 2,
            resized: 3,
            raced: 1,
            drift_bytes: -9,
            drift_objects: -1,
        },
        finished_ms: Some(8),
        ..Checkpoint::begin(1)
    };
    assert_eq!(ledger.store_checkpoint(bucket, &moved, Some(1)).await.unwrap(), Some(2));
    assert_eq!(ledger.store_checkpoint(bucket, &first, Some(1)).await.unwrap(), None, "a stale revision");
    let stored = ledger.checkpoint(bucket).await.unwrap().unwrap();
    assert_eq!((stored.value, stored.revision), (moved, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bucket_has_its_own_walk_and_one_out_of_time_leaves_the_next_for_later() {
    let world = World::new(2, 1).await;
    for bucket in 0..2 {
        for key in ["a", "b", "c"] {
            world.store(bucket, key, 4 + bucket).await;
        }
    }
    // Each bucket's walk takes three pages of one key: the first invocation has time for two.
    let first = world.invoke(2).await;
    assert_eq!(first.len(), 1, "the second bucket waits: {first:?}");
    assert!(matches!(first[0].outcome, TickOutcome::Paused { .. }));
    let second = world.invoke(20).await;
    let ticked: Vec<(&str, Series)> = second.iter().map(|tick| (tick.bucket.as_str(), tick.series)).collect();
    let (one, two) = (world.buckets[0].as_str(), world.buckets[1].as_str());
    let each = [Series::Current, Series::AllVersions];
    assert_eq!(ticked, [(one, each[0]), (one, each[1]), (two, each[0]), (two, each[1])]);
    for tick in &second {
        let TickOutcome::Finished(report) = &tick.outcome else { panic!("finished: {tick:?}") };
        assert_eq!((report.bucket.as_str(), report.series), (tick.bucket.as_str(), tick.series));
        assert_eq!(report.progress.added, 3);
    }
    for bucket in 0..2 {
        assert_eq!(world.tracked(bucket).await, world.listed(bucket).await);
        let (tracked, listed) = world.versions(bucket).await;
        assert_eq!(tracked, listed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_asking_for_a_walk_now_begins_one_for_that_bucket_only() {
    let world = World::new(2, 10).await;
    for bucket in 0..2 {
        world.store(bucket, "a", 10).await;
    }
    let first = world.invoke(20).await;
    assert!(first.iter().all(|t| matches!(t.outcome, TickOutcome::Finished(_))), "{first:?}");

    // Changes S3 never announced (events that were not on yet), in both buckets.
    for bucket in 0..2 {
        world.store(bucket, "b", 5).await;
    }
    let event = serde_json::json!({"walk_now": [world.buckets[1].as_str()]});
    let request = TickRequest::from_event(event, &world.buckets).unwrap();
    let asked = world.invoke_asking(20, &request).await;
    for series in [Series::Current, Series::AllVersions] {
        let other = tick_of(&asked, &world.buckets[0], series);
        assert!(matches!(other, TickOutcome::NotDue { .. }), "the other bucket waits: {asked:?}");
        let TickOutcome::Finished(report) = tick_of(&asked, &world.buckets[1], series) else {
            panic!("walked now: {asked:?}")
        };
        assert_eq!((report.progress.added, report.progress.drift_bytes), (1, 5));
    }
    assert_eq!(world.tracked(1).await, world.listed(1).await);
    assert_ne!(world.tracked(0).await, world.listed(0).await);
}

#[test]
fn an_event_is_the_schedules_or_names_tracked_buckets_to_walk_now() {
    let tracked = [BucketName::parse("photos-archive").unwrap(), BucketName::parse("team-reports").unwrap()];
    let read = |event: serde_json::Value| TickRequest::from_event(event, &tracked).map_err(|e| e.to_string());
    assert_eq!(read(serde_json::json!({})), Ok(TickRequest::default()));
    assert_eq!(read(serde_json::Value::Null), Ok(TickRequest::default()));
    assert_eq!(
        read(serde_json::json!({"walk_now": ["team-reports"]})),
        Ok(TickRequest { walk_now: vec![tracked[1].clone()] })
    );
    assert_eq!(
        read(serde_json::json!({"walk_now": ["someone-elses"]})),
        Err("walk_now: \"someone-elses\" is not a tracked bucket (tracked: photos-archive, team-reports)"
            .into())
    );
    let typo = read(serde_json::json!({"walknow": ["team-reports"]})).unwrap_err();
    assert!(
        typo.starts_with("the event must be {} or {\"walk_now\": [bucket, …]}: unknown field `walknow`"),
        "{typo}"
    );
}
