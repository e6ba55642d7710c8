//! Any history of puts, overwrites and deletes (keys overwritten, removed, removed without ever having been
//! created; sequencers of any length), delivered in notifications of several records, with duplicates, in
//! any order, in batches of several notifications, with store calls failing on the way and each failed notification delivered again, ends with
//! exact totals and a last sample in step with them, in the current series and in the all-versions one
//! (each key's `null` version): 5 000 cases on SQLite, 256 on DynamoDB (moto, its
//! failures injected by `testkit::faults::FaultInjector`). The strategies are in `scenario/`.
//!
//! Each run draws a fresh seed, or takes `PROPTEST_RNG_SEED`, and a failure names it. Failing cases are
//! kept in `property.proptest-regressions` next to this file and replayed first. A store that cannot be
//! reached says nothing of the property: it is never kept there, and stops the test binary with one line.

mod scenario;

use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use domain::{BucketName, ErrorChain, Ledger, StoreError};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError, TestError, TestRunner};
use scenario::{Case, Deliveries, Failure, Faults, History, Scale};
use store_dynamodb::DynamoStore;
use store_sqlite::SqliteStore;
use testkit::faults::{ANY, FaultInjector, is_unreachable};
use tracker::{Tracker, TrackingRules};

const SQLITE_CASES: u32 = 5_000;
const DYNAMODB_CASES: u32 = 256;

/// SQLite cases are cheap: up to every key, 8 events each, 6 failed calls.
const SQLITE: Scale = Scale {
    keys: 6,
    events_per_key: 8,
    copies: 3,
    records_per_notification: 6,
    notifications_per_batch: 5,
    faults: 6,
    calls_per_record: 1,
};

/// DynamoDB cases cost moto's time (a record is two or three requests, one at a time): kept small.
const DYNAMODB: Scale = Scale {
    keys: 3,
    events_per_key: 4,
    copies: 2,
    records_per_notification: 4,
    notifications_per_batch: 4,
    faults: 4,
    calls_per_record: 2,
};

/// How long one case's deliveries may take, at most (a case takes milliseconds on SQLite, a second or
/// so on moto; each SDK call has its own timeouts, see `testkit::faults::quick_retries`).
const CASE_TIMEOUT: Duration = Duration::from_secs(120);

/// One property run: its name, its seed and proptest's configuration.
struct Property {
    name: &'static str,
    seed: u64,
    config: Config,
    coverage: Coverage,
}

impl Property {
    fn new(name: &'static str, cases: u32, max_shrink_iters: u32) -> Self {
        let mut config = Config::with_cases(cases);
        config.source_file = Some(file!());
        config.failure_persistence =
            Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions")));
        config.test_name = Some(name);
        config.max_shrink_iters = max_shrink_iters;
        let seed = match config.rng_seed {
            RngSeed::Fixed(seed) => seed,
            RngSeed::Random => std::collections::hash_map::RandomState::new().hash_one(name),
        };
        config.rng_seed = RngSeed::Fixed(seed);
        Self { name, seed, config, coverage: Coverage::default() }
    }

    fn check<S: Strategy>(&self, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
        let mut runner = TestRunner::new(self.config.clone());
        let result = runner.run(&strategy, test);
        eprintln!("{}: {}", self.name, self.coverage);
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, case)) => panic!(
                "{}: {reason}\nminimal failing case: {case:#?}\nPROPTEST_RNG_SEED={} runs the same cases again",
                self.name, self.seed
            ),
            Err(TestError::Abort(reason)) => {
                panic!("{}: aborted: {reason}\nPROPTEST_RNG_SEED={} runs it again", self.name, self.seed)
            }
        }
    }

    /// Stops the test binary: the store cannot be reached, so every case would fail, and none of them
    /// for the property's reason. Written to the stderr handle itself, which the harness does not capture.
    fn unreachable(&self, problem: &str) -> ! {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "\nerror: {}: the store cannot be reached, which says nothing of the property: {problem}\n\
             PROPTEST_RNG_SEED={} runs the same cases again\n",
            self.name,
            self.seed
        );
        std::process::exit(1);
    }

    /// The case's outcome from how its deliveries ended.
    fn settle(
        &self,
        run: Result<Result<Deliveries, Failure>, tokio::time::error::Elapsed>,
    ) -> Result<Deliveries, TestCaseError> {
        match run {
            Err(_) => Err(TestCaseError::fail(format!("the deliveries did not end within {CASE_TIMEOUT:?}"))),
            Ok(Err(Failure::Unreachable(problem))) => self.unreachable(&problem),
            Ok(Err(Failure::Wrong(problem))) => Err(TestCaseError::fail(problem)),
            Ok(Ok(done)) => Ok(done),
        }
    }

    /// The store's totals and its last sample equal what the history ends with.
    async fn exact<S: Ledger + domain::History>(
        &self,
        store: &S,
        bucket: &str,
        history: &History,
    ) -> Result<(), TestCaseError> {
        let read = |error: StoreError| {
            if is_unreachable(&error) {
                self.unreachable(&ErrorChain(&error).to_string());
            }
            TestCaseError::fail(format!("reading the store failed: {}", ErrorChain(&error)))
        };
        let bucket = BucketName::parse(bucket).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected = history.expected_totals(&TrackingRules::default(), &bucket);
        let totals = store.totals(&bucket).await.map_err(read)?;
        prop_assert_eq!(totals, expected, "the totals");
        let latest = store.latest(&bucket).await.map_err(read)?;
        prop_assert_eq!(latest.map(|s| s.totals()).unwrap_or_default(), expected, "the last sample");
        // Unversioned, each key's only version is its `null` one: the all-versions series is the same.
        let versions = bucket.all_versions();
        prop_assert_eq!(store.totals(&versions).await.map_err(read)?, expected, "the all-versions totals");
        let latest = store.latest(&versions).await.map_err(read)?;
        prop_assert_eq!(
            latest.map(|s| s.totals()).unwrap_or_default(),
            expected,
            "the last all-versions sample"
        );
        Ok(())
    }
}

/// How many cases held each thing the generators are meant to produce, printed after the run (shown
/// with `--nocapture`) and required once in every run, so that a generator that stops producing one
/// fails the test instead of weakening it.
#[derive(Default)]
struct Coverage {
    cases: AtomicUsize,
    multi_record: AtomicUsize,
    multi_key: AtomicUsize,
    duplicates: AtomicUsize,
    never_created: AtomicUsize,
    mixed_lengths: AtomicUsize,
    faulted: AtomicUsize,
    redelivered: AtomicUsize,
    batched: AtomicUsize,
}

impl Coverage {
    fn count(&self, case: &Case, done: Deliveries, injected: u64) {
        let (history, notifications) = (&case.history, case.delivery.notifications(&case.history));
        let add = |counter: &AtomicUsize, yes: bool| {
            counter.fetch_add(usize::from(yes), Ordering::Relaxed);
        };
        add(&self.cases, true);
        add(&self.multi_record, notifications.iter().any(|n| n.len() > 1));
        add(&self.multi_key, notifications.iter().any(|n| n.iter().any(|r| r.key != n[0].key)));
        let mut sent: Vec<_> = notifications.iter().flatten().map(|r| (r.key, r.event)).collect();
        let all = sent.len();
        sent.sort_unstable();
        sent.dedup();
        add(&self.duplicates, sent.len() < all);
        add(
            &self.never_created,
            history.keys.iter().any(|k| k.events.first().is_some_and(|e| e.op == scenario::Op::Delete)),
        );
        add(
            &self.mixed_lengths,
            history
                .keys
                .iter()
                .any(|k| k.events.iter().any(|e| e.sequencer.len() != k.events[0].sequencer.len())),
        );
        add(&self.faulted, injected > 0);
        add(&self.redelivered, done.failed > 0);
        add(&self.batched, notifications.len() > 1 && case.delivery.batch_sizes.iter().any(|&size| size > 1));
    }

    fn counters(&self) -> [(&'static str, &AtomicUsize); 8] {
        [
            ("notifications of several records", &self.multi_record),
            ("notifications of several keys", &self.multi_key),
            ("duplicate records", &self.duplicates),
            ("removals of keys never created", &self.never_created),
            ("sequencers of different lengths", &self.mixed_lengths),
            ("failed store calls", &self.faulted),
            ("failed notifications delivered again", &self.redelivered),
            ("batches of several notifications", &self.batched),
        ]
    }

    fn missing(&self) -> Vec<&'static str> {
        self.counters()
            .into_iter()
            .filter(|(_, c)| c.load(Ordering::Relaxed) == 0)
            .map(|(name, _)| name)
            .collect()
    }
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} cases, of which with", self.cases.load(Ordering::Relaxed))?;
        for (i, (name, counter)) in self.counters().into_iter().enumerate() {
            let separator = if i == 0 { "" } else { "," };
            write!(f, "{separator} {name} {}", counter.load(Ordering::Relaxed))?;
        }
        Ok(())
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn any_history_delivered_any_way_with_failures_gives_exact_totals_on_sqlite() {
    let property = Property::new("sqlite", SQLITE_CASES, 10_000);
    let runtime = runtime();
    // One database for the run (a file per case costs more in file system calls than the case itself);
    // every case has a bucket of its own in it.
    let dir =
        tempfile::tempdir().unwrap_or_else(|e| property.unreachable(&format!("no temporary folder: {e}")));
    let store = runtime
        .block_on(SqliteStore::open(&dir.path().join("h.sqlite3")))
        .unwrap_or_else(|e| property.unreachable(&ErrorChain(&e).to_string()));
    let cases = AtomicUsize::new(0);
    property.check(scenario::case(SQLITE), |case| {
        runtime.block_on(async {
            let bucket = format!("case-{}", cases.fetch_add(1, Ordering::Relaxed));
            let flaky =
                Arc::new(Faults::in_front_of(Arc::new(store.clone()), case.delivery.faults(&case.history)));
            let tracker = Tracker::new(Arc::clone(&flaky) as Arc<dyn Ledger>, TrackingRules::default());
            let run = scenario::deliver(&tracker, &bucket, &case.history, &case.delivery);
            let done = property.settle(tokio::time::timeout(CASE_TIMEOUT, run).await)?;
            property.exact(&store, &bucket, &case.history).await?;
            property.coverage.count(&case, done, flaky.around.injected());
            Ok(())
        })
    });
    assert_eq!(property.coverage.missing(), Vec::<&str>::new(), "cases the generators never produced");
}

#[test]
fn any_history_delivered_any_way_with_failures_gives_exact_totals_on_dynamodb() {
    let property = Property::new("dynamodb", DYNAMODB_CASES, 300);
    let runtime = runtime();
    // The SDK makes one attempt, or retries once (quickly, as it would a real throttle): either a throttle
    // or a server error fails the call, or the retry absorbs it.
    let (sdk, tables) = runtime.block_on(async {
        let sdk = testkit::moto_sdk_config().await;
        let tables = testkit::moto_tables(&sdk).await;
        (sdk, tables)
    });
    let attempts = [1, 2].map(|attempts| testkit::faults::quick_retries(&sdk, attempts));
    let clean = DynamoStore::new(aws_sdk_dynamodb::Client::new(&attempts[0]), &tables);
    property.check((scenario::case(DYNAMODB), 0..attempts.len()), |(case, sdk)| {
        runtime.block_on(async {
            // Every case has a bucket of its own in the shared tables.
            let bucket = testkit::unique_name("property");
            let injector = FaultInjector::new(property.seed).script(ANY, case.delivery.faults(&case.history));
            let store = DynamoStore::new(injector.dynamodb(&attempts[sdk]), &tables);
            let tracker = Tracker::new(Arc::new(store), TrackingRules::default());
            let run = scenario::deliver(&tracker, &bucket, &case.history, &case.delivery);
            let done = property.settle(tokio::time::timeout(CASE_TIMEOUT, run).await)?;
            property.exact(&clean, &bucket, &case.history).await?;
            property.coverage.count(&case, done, injector.injected());
            Ok(())
        })
    });
    assert_eq!(property.coverage.missing(), Vec::<&str>::new(), "cases the generators never produced");
}
