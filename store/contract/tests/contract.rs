//! One contract, two adapters: every case runs against SQLite and against DynamoDB on moto.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use domain::correction::Correction;
use domain::transition::{KeyState, Transition};
use domain::{
    ApplyOutcome, BucketName, ChangeKind, Clock, ObjectChange, ObjectKey, Sequencer, SizeStore, SkipReason,
    Totals,
};
use store_dynamodb::DynamoStore;
use store_sqlite::SqliteStore;

/// A clock the test moves by hand.
#[derive(Clone)]
struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    fn at(ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(ms)))
    }
    fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
    fn clock(&self) -> Clock {
        let now = Arc::clone(&self.0);
        Arc::new(move || now.load(Ordering::SeqCst))
    }
}

enum Backend {
    Sqlite,
    DynamoDb,
}

/// How long the concurrent writers may take together (each of their 144 changes is a few store calls).
const WRITERS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The seed of a test's randomness: from the environment variable when set, else fresh. A test that fails
/// while it lives says which seed to set to run it again the same way.
struct Seed(u64, &'static str);

impl Seed {
    fn from_env_or_random(variable: &'static str) -> Self {
        let seed = std::env::var(variable)
            .ok()
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| fastrand::u64(..));
        Self(seed, variable)
    }
}

impl Drop for Seed {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("this run's seed: {}={} reproduces it", self.1, self.0);
        }
    }
}

/// A fresh, empty store of the given kind; the temporary folder lives as long as the store is used.
struct Subject {
    store: Arc<dyn SizeStore>,
    raw: Raw,
}

/// Direct access to the backend's history table, to lay down many samples quickly.
enum Raw {
    Sqlite(tempfile::TempDir),
    DynamoDb(aws_sdk_dynamodb::Client, String, store_dynamodb::Tables),
}

impl Subject {
    /// Another store on the same data: a second SQLite store on the same file, or a second client.
    async fn another_handle(&self) -> Arc<dyn SizeStore> {
        match &self.raw {
            Raw::Sqlite(dir) => {
                Arc::new(SqliteStore::open(&dir.path().join("history.sqlite3")).await.unwrap())
            }
            Raw::DynamoDb(_, _, tables) => {
                let sdk = testkit::moto_sdk_config().await;
                Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), tables))
            }
        }
    }

    async fn write_history(&self, samples: &[domain::Sample]) {
        match &self.raw {
            Raw::Sqlite(dir) => {
                let mut connection = rusqlite::Connection::open(dir.path().join("history.sqlite3")).unwrap();
                let tx = connection.transaction().unwrap();
                for s in samples {
                    tx.execute(
                        "INSERT INTO samples (bucket, ts, size_bytes, object_count) VALUES (?1, ?2, ?3, ?4)",
                        rusqlite::params![
                            s.bucket.as_str(),
                            s.ts_ms,
                            s.size_bytes as i64,
                            s.object_count as i64
                        ],
                    )
                    .unwrap();
                }
                tx.commit().unwrap();
            }
            Raw::DynamoDb(client, table, _) => {
                use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
                for chunk in samples.chunks(25) {
                    let requests = chunk
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
                    let output =
                        client.batch_write_item().request_items(table, requests).send().await.unwrap();
                    assert!(output.unprocessed_items().is_none_or(|u| u.is_empty()));
                }
            }
        }
    }
}

impl Backend {
    async fn fresh(&self, clock: Option<Clock>) -> Subject {
        match self {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let mut store = SqliteStore::open(&dir.path().join("history.sqlite3")).await.unwrap();
                if let Some(clock) = clock {
                    store = store.with_clock(clock);
                }
                Subject { store: Arc::new(store), raw: Raw::Sqlite(dir) }
            }
            Backend::DynamoDb => {
                let sdk = testkit::moto_sdk_config().await;
                let tables = testkit::moto_tables(&sdk).await;
                let client = aws_sdk_dynamodb::Client::new(&sdk);
                let raw = Raw::DynamoDb(client.clone(), tables.history.clone(), tables.clone());
                // Small pages, so that reading a window crosses several of them.
                let mut store = DynamoStore::new(client, &tables).with_page_size(250);
                if let Some(clock) = clock {
                    store = store.with_clock(clock);
                }
                Subject { store: Arc::new(store), raw }
            }
        }
    }
}

fn bucket(name: &str) -> BucketName {
    BucketName::parse(name).unwrap()
}

fn created(bucket_name: &str, key: &str, sequencer: &str, size: u64) -> ObjectChange {
    ObjectChange {
        bucket: bucket(bucket_name),
        key: ObjectKey::parse(key).unwrap(),
        sequencer: Sequencer::parse(sequencer).unwrap(),
        kind: ChangeKind::Created { size },
    }
}

fn removed(bucket_name: &str, key: &str, sequencer: &str) -> ObjectChange {
    ObjectChange { kind: ChangeKind::Removed, ..created(bucket_name, key, sequencer, 0) }
}

fn totals(size_bytes: u64, object_count: u64) -> Totals {
    Totals { size_bytes, object_count }
}

async fn applied(store: &dyn SizeStore, change: ObjectChange) -> domain::Sample {
    match store.apply(&change).await.unwrap() {
        ApplyOutcome::Applied(sample) => sample,
        other => panic!("expected {change:?} to apply, got {other:?}"),
    }
}

async fn skipped(store: &dyn SizeStore, change: ObjectChange) -> SkipReason {
    match store.apply(&change).await.unwrap() {
        ApplyOutcome::Skipped { reason, .. } => reason,
        other => panic!("expected {change:?} to be skipped, got {other:?}"),
    }
}

mod cases {
    use super::*;

    pub async fn window_bounds_order_and_carry_in(backend: Backend) {
        let clock = ManualClock::at(1_000);
        let subject = backend.fresh(Some(clock.clock())).await;
        let store = subject.store.as_ref();
        let b = bucket("window-bucket");
        for (i, size) in [18, 27, 0, 2, 40].into_iter().enumerate() {
            clock.set(1_000 * (i as i64 + 1));
            applied(store, created(b.as_str(), "k", &format!("{:X}", i + 1), size)).await;
        }

        let window = store.window(&b, 2_000, 4_000).await.unwrap();
        let seen: Vec<(i64, u64)> = window.samples.iter().map(|s| (s.ts_ms, s.size_bytes)).collect();
        assert_eq!(seen, vec![(2_000, 27), (3_000, 0), (4_000, 2)]);
        let carry_in = window.carry_in.expect("the sample before the window");
        assert_eq!((carry_in.ts_ms, carry_in.size_bytes), (1_000, 18));

        let before = store.window(&b, 0, 999).await.unwrap();
        assert!(before.samples.is_empty() && before.carry_in.is_none());

        let after = store.window(&b, 6_000, 9_000).await.unwrap();
        assert!(after.samples.is_empty());
        assert_eq!(after.carry_in.map(|s| (s.ts_ms, s.size_bytes)), Some((5_000, 40)));

        let other = store.window(&bucket("other-bucket"), 0, 9_000).await.unwrap();
        assert!(other.samples.is_empty() && other.carry_in.is_none());
    }

    /// Reads `from ..= to` for `points` points and checks it against the raw samples: the spans are apart
    /// and in order, each made of exactly the samples between its first and its last, every sample of the
    /// window in one of them, and no more items than the level allows. Answers the reduced window.
    async fn reduced_agrees_with_samples(
        store: &dyn SizeStore,
        b: &BucketName,
        from: i64,
        to: i64,
        points: usize,
    ) -> domain::rollup::ReducedWindow {
        let context = format!("window {from}..={to} in {points} points");
        let reduced = store.reduced_window(b, from, to, points).await.unwrap();
        let raw = store.window(b, from, to).await.unwrap();
        assert_eq!(reduced.carry_in, raw.carry_in, "{context}: carry-in");
        assert_eq!(reduced.level_ms, domain::rollup::level_for(to + 1 - from, points), "{context}: level");
        let mut rest = raw.samples.as_slice();
        for span in &reduced.spans {
            let start = rest.iter().position(|s| *s == span.first).unwrap_or_else(|| {
                panic!("{context}: span {span:?} does not start at a sample after the last span")
            });
            assert_eq!(start, 0, "{context}: samples {:?} are in no span", &rest[..start]);
            let inside = rest.partition_point(|s| s.ts_ms <= span.last.ts_ms);
            let (samples, after) = rest.split_at(inside);
            assert_eq!(samples.last(), Some(&span.last), "{context}: {span:?} ends at a sample");
            assert_eq!(span.count, samples.len() as u64, "{context}: {span:?} counts its samples");
            assert_eq!(span.min_size_bytes, samples.iter().map(|s| s.size_bytes).min().unwrap(), "{context}");
            assert_eq!(span.max_size_bytes, samples.iter().map(|s| s.size_bytes).max().unwrap(), "{context}");
            if let Some(level) = reduced.level_ms {
                let interval = span.first.ts_ms.div_euclid(level);
                assert_eq!(
                    interval,
                    span.last.ts_ms.div_euclid(level),
                    "{context}: {span:?} in one interval"
                );
            }
            rest = after;
        }
        assert!(rest.is_empty(), "{context}: {} samples at the end are in no span", rest.len());
        if let Some(level) = reduced.level_ms {
            // At most two per point (more only where even the coarsest level is finer), and the edges.
            let most = (2 * points).max(((to - from) / level) as usize + 2) + 60;
            assert!(reduced.spans.len() <= most, "{context}: {} spans", reduced.spans.len());
        }
        reduced
    }

    pub async fn reduced_windows_agree_with_the_samples_on_random_histories(backend: Backend) {
        let seed = Seed::from_env_or_random("ROLLUP_SEED");
        let mut rng = fastrand::Rng::with_seed(seed.0);
        let clock = ManualClock::at(0);
        // Fewer on moto, whose every Query scans the whole table.
        let (sample_count, window_count) = match backend {
            Backend::Sqlite => (1_200, 10),
            Backend::DynamoDb => (300, 1),
        };
        let subject = backend.fresh(Some(clock.clock())).await;
        let store = subject.store.as_ref();
        let b = bucket("rolled-up");
        // Bursts (several samples in one millisecond or second) and gaps (up to hours), over about two days.
        let start = 1_795_000_000_000 + rng.i64(0..3_600_000);
        let mut ts = start;
        let mut samples = Vec::new();
        for _ in 0..sample_count {
            ts += match rng.u8(0..10) {
                0..=3 => rng.i64(1..50),
                4..=6 => rng.i64(50..20_000),
                7..=8 => rng.i64(20_000..600_000),
                _ => rng.i64(600_000..4 * 3_600_000),
            };
            samples.push(domain::Sample {
                bucket: b.clone(),
                ts_ms: ts,
                size_bytes: rng.u64(0..1_000_000),
                object_count: rng.u64(0..100),
            });
        }
        subject.write_history(&samples).await;
        let end = ts;

        let windows: Vec<(i64, i64, usize)> = (0..window_count)
            .map(|_| {
                let from = rng.i64(start - 3_600_000..end);
                let to = (from + rng.i64(1_000..3 * 86_400_000)).min(end + 3_600_000);
                (from, to, [1, 3, 60, 900, 1_000, 10_000][rng.usize(0..6)])
            })
            .chain([(start - 1, end, 900), (end - 31 * 86_400_000, end + 500, 900)])
            .collect();
        for &(from, to, points) in &windows {
            let first = reduced_agrees_with_samples(store, &b, from, to, points).await;
            let again = reduced_agrees_with_samples(store, &b, from, to, points).await;
            assert_eq!(first, again, "read again from the rollups it stored");
        }

        // The history goes on (its first sample tells the ledger where the history ends: the samples above
        // were laid straight into the table), then with a clock behind the latest sample: the store's rule
        // puts each new sample after it, so no interval rolled up so far ever gains one, and every window
        // still agrees.
        clock.set(end + 1_000);
        applied(store, created(b.as_str(), "later", "1", 1)).await;
        clock.set(end - 60_000);
        for i in 0..5u64 {
            applied(store, created(b.as_str(), &format!("later-{i}"), "1", i + 1)).await;
        }
        clock.set(end + 2_500);
        applied(store, created(b.as_str(), "later-5", "1", 7)).await;
        for &(from, to, points) in &windows {
            reduced_agrees_with_samples(store, &b, from, to.max(end + 3_000), points).await;
        }
    }

    pub async fn max_and_latest(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = bucket("max-bucket");
        assert_eq!(store.max(&b).await.unwrap(), None);
        assert_eq!(store.latest(&b).await.unwrap(), None);

        applied(store, created(b.as_str(), "assignment1.txt", "1", 18)).await;
        applied(store, created(b.as_str(), "assignment1.txt", "2", 27)).await;
        applied(store, removed(b.as_str(), "assignment1.txt", "3")).await;
        applied(store, created(b.as_str(), "assignment2.txt", "4", 2)).await;

        let max = store.max(&b).await.unwrap().unwrap();
        assert_eq!((max.size_bytes, max.object_count), (27, 1));
        let latest = store.latest(&b).await.unwrap().unwrap();
        assert_eq!((latest.size_bytes, latest.object_count), (2, 1));
        assert!(latest.ts_ms > max.ts_ms);
    }

    pub async fn samples_in_one_millisecond_are_all_kept(backend: Backend) {
        let clock = ManualClock::at(5_000);
        let subject = backend.fresh(Some(clock.clock())).await;
        let store = subject.store.as_ref();
        let b = bucket("same-ms");
        for i in 1..=5u64 {
            applied(store, created(b.as_str(), &format!("k{i}"), "1", i)).await;
        }
        let window = store.window(&b, 0, 10_000).await.unwrap();
        let stamps: Vec<i64> = window.samples.iter().map(|s| s.ts_ms).collect();
        assert_eq!(stamps, vec![5_000, 5_001, 5_002, 5_003, 5_004]);
        let sizes: Vec<u64> = window.samples.iter().map(|s| s.size_bytes).collect();
        assert_eq!(sizes, vec![1, 3, 6, 10, 15]);
    }

    pub async fn a_large_window_is_read_through_every_page(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = bucket("large-window");
        // Written straight into the history table: this case is about reading.
        let samples: Vec<domain::Sample> = (1..=3_000u64)
            .map(|i| domain::Sample {
                bucket: b.clone(),
                ts_ms: 1_000_000 + i as i64 - 1,
                size_bytes: i,
                object_count: 1,
            })
            .collect();
        subject.write_history(&samples).await;
        let window = store.window(&b, 1_000_000, 1_002_999).await.unwrap();
        assert_eq!(window.samples.len(), 3_000);
        assert!(window.samples.windows(2).all(|w| w[0].ts_ms < w[1].ts_ms));
        assert_eq!(window.samples.last().map(|s| s.size_bytes), Some(3_000));
        assert_eq!(store.max(&b).await.unwrap().map(|s| s.size_bytes), Some(3_000));
    }

    pub async fn concurrent_writers_keep_totals_exact(backend: Backend) {
        let seed = Seed::from_env_or_random("CONTRACT_SEED");
        let subject = backend.fresh(None).await;
        // Two handles on the same data, as two processes (or two Lambda instances) have: on SQLite two
        // stores on one file, each with its own connections; on DynamoDB two clients.
        let handles = [Arc::clone(&subject.store), subject.another_handle().await];
        let b = bucket("concurrent");
        // Each key gets a run of events with rising sequencers; the last one decides the key's final state.
        // Shuffled, only the events newer than all before them write (about 2.5 of a key's 6), so many
        // keys make many writes, every one of them racing the others on the bucket's totals.
        const KEYS: u64 = 24;
        const STEPS: u64 = 6;
        let mut changes = Vec::new();
        for k in 0..KEYS {
            let key = format!("key-{k}");
            for step in 1..=STEPS {
                let sequencer = format!("{step:04X}");
                let change = if step % 5 == 0 {
                    removed(b.as_str(), &key, &sequencer)
                } else {
                    created(b.as_str(), &key, &sequencer, 10 * step + k)
                };
                changes.push(change);
            }
        }
        fastrand::Rng::with_seed(seed.0).shuffle(&mut changes);
        // All 16 start together, so that their transactions overlap.
        let start = Arc::new(tokio::sync::Barrier::new(16));
        let tasks: Vec<_> = (0..16)
            .map(|task| {
                let store = Arc::clone(&handles[task % 2]);
                let start = Arc::clone(&start);
                let mine: Vec<ObjectChange> = changes.iter().skip(task).step_by(16).cloned().collect();
                tokio::spawn(async move {
                    start.wait().await;
                    let mut applied = 0;
                    for change in mine {
                        if let ApplyOutcome::Applied(_) = store.apply(&change).await.unwrap() {
                            applied += 1;
                        }
                    }
                    applied
                })
            })
            .collect();
        let finished = tokio::time::timeout(WRITERS_TIMEOUT, futures::future::join_all(tasks))
            .await
            .unwrap_or_else(|_| panic!("the 16 writers did not finish within {WRITERS_TIMEOUT:?}"));
        let applied: usize = finished.into_iter().map(|task| task.unwrap()).sum();
        // The last step is a creation of 10 × STEPS + k for every key.
        assert_ne!(STEPS % 5, 0);
        let expected = totals((0..KEYS).map(|k| 10 * STEPS + k).sum(), KEYS);
        let store = subject.store.as_ref();
        assert_eq!(store.totals(&b).await.unwrap(), expected);
        assert_eq!(store.latest(&b).await.unwrap().map(|s| s.totals()), Some(expected));
        // Samples follow the changes: at most one per change that applied (a writer whose change a newer
        // sample already shows writes none), the last in step with the totals.
        let window = store.window(&b, 0, i64::MAX).await.unwrap();
        assert!(
            (1..=applied).contains(&window.samples.len()),
            "{} samples, {applied} applied",
            window.samples.len()
        );
    }

    pub async fn a_batch_is_coalesced_per_key(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = "batch-bucket";
        let batch = vec![
            created(b, "k1", "1", 10),
            created(b, "k1", "3", 30),
            created(b, "k1", "2", 20),
            removed(b, "k2", "1"),
            created(b, "k2", "2", 5),
            created(b, "k1", "03", 30),
            removed(b, "ghost", "7"),
        ];
        let results = store.apply_batch(&batch).await;
        let outcomes: Vec<Result<Option<SkipReason>, String>> = results
            .iter()
            .map(|result| match result {
                Ok(ApplyOutcome::Applied(_)) => Ok(None),
                Ok(ApplyOutcome::Skipped { reason, .. }) => Ok(Some(*reason)),
                Err(error) => Err(error.to_string()),
            })
            .collect();
        use SkipReason::{Duplicate, Stale};
        assert_eq!(
            outcomes,
            vec![
                Ok(Some(Stale)),
                Ok(None),
                Ok(Some(Stale)),
                Ok(Some(Stale)),
                Ok(None),
                Ok(Some(Duplicate)),
                Ok(None)
            ]
        );
        assert_eq!(store.totals(&bucket(b)).await.unwrap(), totals(35, 2));
        let window = store.window(&bucket(b), 0, i64::MAX).await.unwrap();
        assert_eq!(window.samples.len(), 1, "one sample for the batch");
        assert_eq!(window.samples[0].totals(), totals(35, 2));
        for result in &results {
            assert_eq!(
                result.as_ref().unwrap().totals(),
                totals(35, 2),
                "every change reports the batch's totals"
            );
        }
    }

    pub async fn duplicates_across_batches_are_skipped_and_sample_nothing(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = "redelivered";
        let first = vec![created(b, "a", "1", 1), created(b, "b", "1", 2), created(b, "c", "1", 4)];
        assert!(store.apply_batch(&first).await.iter().all(|r| matches!(r, Ok(ApplyOutcome::Applied(_)))));
        // The same batch again, then one that repeats part of it beside news.
        let again = store.apply_batch(&first).await;
        assert!(
            again
                .iter()
                .all(|r| matches!(r, Ok(ApplyOutcome::Skipped { reason: SkipReason::Duplicate, .. }))),
            "{again:?}"
        );
        assert_eq!(
            store.window(&bucket(b), 0, i64::MAX).await.unwrap().samples.len(),
            1,
            "a redelivery samples nothing"
        );
        let mixed = vec![created(b, "b", "1", 2), removed(b, "c", "2"), created(b, "a", "0", 100)];
        let results = store.apply_batch(&mixed).await;
        assert!(matches!(results[0], Ok(ApplyOutcome::Skipped { reason: SkipReason::Duplicate, .. })));
        assert!(matches!(results[1], Ok(ApplyOutcome::Applied(_))));
        assert!(matches!(results[2], Ok(ApplyOutcome::Skipped { reason: SkipReason::Stale, .. })));
        assert_eq!(store.totals(&bucket(b)).await.unwrap(), totals(3, 2));
        assert_eq!(store.latest(&bucket(b)).await.unwrap().map(|s| s.totals()), Some(totals(3, 2)));
    }

    pub async fn a_large_batch_of_two_buckets_is_exact_with_a_sample_each(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        // 250 keys in one bucket: more than one transaction's worth on DynamoDB.
        let mut batch: Vec<ObjectChange> =
            (0..250u64).map(|i| created("many-keys", &format!("k/{i}"), "10", i)).collect();
        batch.extend((0..250u64).step_by(2).map(|i| removed("many-keys", &format!("k/{i}"), "11")));
        batch.push(created("next-door", "only", "1", 9));
        fastrand::shuffle(&mut batch);
        let results = store.apply_batch(&batch).await;
        assert!(results.iter().all(Result::is_ok));
        let odd_sum: u64 = (0..250u64).filter(|i| i % 2 == 1).sum();
        assert_eq!(store.totals(&bucket("many-keys")).await.unwrap(), totals(odd_sum, 125));
        assert_eq!(store.totals(&bucket("next-door")).await.unwrap(), totals(9, 1));
        for (name, expected) in [("many-keys", totals(odd_sum, 125)), ("next-door", totals(9, 1))] {
            let window = store.window(&bucket(name), 0, i64::MAX).await.unwrap();
            assert_eq!(
                window.samples.iter().map(|s| s.totals()).collect::<Vec<_>>(),
                vec![expected],
                "{name}"
            );
        }
    }

    pub async fn concurrent_batches_keep_totals_exact(backend: Backend) {
        let seed = Seed::from_env_or_random("CONTRACT_SEED");
        let mut rng = fastrand::Rng::with_seed(seed.0);
        let subject = backend.fresh(None).await;
        let handles = [Arc::clone(&subject.store), subject.another_handle().await];
        let b = bucket("concurrent-batches");
        // 120 keys, 4 events each; every event sent once or twice, shuffled, cut into batches of 1 to 60
        // that 8 writers apply at once, so batches race on the same keys and the same totals.
        let mut changes = Vec::new();
        for k in 0..120u64 {
            for step in 1..=4u64 {
                let sequencer = format!("{step:X}");
                let key = format!("key-{k}");
                let change = if (k + step) % 7 == 0 {
                    removed(b.as_str(), &key, &sequencer)
                } else {
                    created(b.as_str(), &key, &sequencer, 3 * step + k)
                };
                for _ in 0..rng.usize(1..=2) {
                    changes.push(change.clone());
                }
            }
        }
        rng.shuffle(&mut changes);
        let mut batches = Vec::new();
        let mut rest = changes.as_slice();
        while !rest.is_empty() {
            let (batch, tail) = rest.split_at(rng.usize(1..=60).min(rest.len()));
            batches.push(batch.to_vec());
            rest = tail;
        }
        let batches = Arc::new(std::sync::Mutex::new(batches));
        let start = Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|task| {
                let store = Arc::clone(&handles[task % 2]);
                let (start, batches) = (Arc::clone(&start), Arc::clone(&batches));
                tokio::spawn(async move {
                    start.wait().await;
                    loop {
                        let Some(batch) = batches.lock().unwrap().pop() else { return };
                        for result in store.apply_batch(&batch).await {
                            result.unwrap();
                        }
                    }
                })
            })
            .collect();
        tokio::time::timeout(WRITERS_TIMEOUT, futures::future::join_all(tasks))
            .await
            .unwrap_or_else(|_| panic!("the 8 writers did not finish within {WRITERS_TIMEOUT:?}"))
            .into_iter()
            .for_each(|task| task.unwrap());
        let expected = (0..120u64)
            .filter(|k| (k + 4) % 7 != 0)
            .fold(totals(0, 0), |sum, k| totals(sum.size_bytes + 12 + k, sum.object_count + 1));
        let store = subject.store.as_ref();
        assert_eq!(store.totals(&b).await.unwrap(), expected);
        assert_eq!(store.latest(&b).await.unwrap().map(|s| s.totals()), Some(expected));
        let window = store.window(&b, 0, i64::MAX).await.unwrap();
        assert!(window.samples.windows(2).all(|w| w[0].ts_ms < w[1].ts_ms));
    }

    pub async fn samples_never_show_an_older_state_after_a_newer_one(backend: Backend) {
        let subject = backend.fresh(None).await;
        let handles = [Arc::clone(&subject.store), subject.another_handle().await];
        let b = bucket("only-growing");
        // Only new keys, so the true totals only grow: a sample smaller than one before it would show an
        // older state after a newer one. 6 writers race with batches of 1 to 30 new keys.
        let mut rng = fastrand::Rng::new();
        let mut batches = Vec::new();
        let mut next = 0u64;
        while next < 400 {
            let size = rng.u64(1..=30).min(400 - next);
            batches.push(
                (next..next + size)
                    .map(|k| created(b.as_str(), &format!("k{k}"), "1", k % 13 + 1))
                    .collect::<Vec<_>>(),
            );
            next += size;
        }
        let batches = Arc::new(std::sync::Mutex::new(batches));
        let tasks: Vec<_> = (0..6)
            .map(|task| {
                let store = Arc::clone(&handles[task % 2]);
                let batches = Arc::clone(&batches);
                tokio::spawn(async move {
                    loop {
                        let Some(batch) = batches.lock().unwrap().pop() else { return };
                        store.apply_batch(&batch).await.into_iter().for_each(|r| {
                            r.unwrap();
                        });
                    }
                })
            })
            .collect();
        tokio::time::timeout(WRITERS_TIMEOUT, futures::future::join_all(tasks)).await.unwrap();
        let window = subject.store.window(&b, 0, i64::MAX).await.unwrap();
        let expected = totals((0..400).map(|k| k % 13 + 1).sum(), 400);
        assert_eq!(window.samples.last().map(domain::Sample::totals), Some(expected));
        for pair in window.samples.windows(2) {
            assert!(pair[0].ts_ms < pair[1].ts_ms, "{pair:?}");
            assert!(
                pair[0].size_bytes <= pair[1].size_bytes && pair[0].object_count <= pair[1].object_count,
                "an older state after a newer one: {pair:?}"
            );
        }
    }

    pub async fn parked_changes_are_kept_once_until_unparked(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let changes = vec![created("parking", "a/b c.txt", "0A", 7), removed("parking", "x", "1F")];
        store.park(&changes).await.unwrap();
        store.park(&changes[..1]).await.unwrap();
        store.park(&[created("elsewhere", "a/b c.txt", "0A", 7)]).await.unwrap();
        let mut parked = store.parked(&bucket("parking")).await.unwrap();
        parked.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(parked, changes, "each once, as parked");
        assert_eq!(store.totals(&bucket("parking")).await.unwrap(), totals(0, 0), "parking applies nothing");
        store.unpark(&changes[..1]).await.unwrap();
        assert_eq!(store.parked(&bucket("parking")).await.unwrap(), changes[1..]);
        assert_eq!(store.parked(&bucket("elsewhere")).await.unwrap().len(), 1);
    }

    pub async fn duplicate_and_stale_events_are_skipped(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = "dup-bucket";
        applied(store, created(b, "k", "10", 100)).await;
        assert_eq!(skipped(store, created(b, "k", "10", 100)).await, SkipReason::Duplicate);
        assert_eq!(skipped(store, created(b, "k", "0F", 999)).await, SkipReason::Stale);
        assert_eq!(store.totals(&bucket(b)).await.unwrap(), totals(100, 1));
        let window = store.window(&bucket(b), 0, i64::MAX).await.unwrap();
        assert_eq!(window.samples.len(), 1, "a skipped event writes no sample");
    }

    pub async fn tombstones_refuse_older_creations(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = "tomb-bucket";
        // The removal arrives before the creation it follows.
        applied(store, removed(b, "k", "20")).await;
        assert_eq!(skipped(store, created(b, "k", "1F", 50)).await, SkipReason::Stale);
        assert_eq!(store.totals(&bucket(b)).await.unwrap(), totals(0, 0));
        applied(store, created(b, "k", "21", 7)).await;
        assert_eq!(store.totals(&bucket(b)).await.unwrap(), totals(7, 1));
    }

    pub async fn sequencers_of_different_lengths_compare_as_numbers(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = "seq-bucket";
        applied(store, created(b, "k", "FF", 1)).await;
        applied(store, created(b, "k", "0100", 2)).await;
        assert_eq!(skipped(store, created(b, "k", "00FE", 3)).await, SkipReason::Stale);
        assert_eq!(skipped(store, created(b, "k", "00000100", 4)).await, SkipReason::Duplicate);
        applied(store, created(b, "k", "1000", 5)).await;
        assert_eq!(store.totals(&bucket(b)).await.unwrap(), totals(5, 1));
    }

    pub async fn overwrites_and_removals_move_totals(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = "classic";
        let sizes: Vec<u64> = vec![
            applied(store, created(b, "assignment1.txt", "1", 18)).await.size_bytes,
            applied(store, created(b, "assignment1.txt", "2", 27)).await.size_bytes,
            applied(store, removed(b, "assignment1.txt", "3")).await.size_bytes,
            applied(store, created(b, "assignment2.txt", "4", 2)).await.size_bytes,
        ];
        assert_eq!(sizes, vec![18, 27, 0, 2]);
        // Removing a key never seen changes nothing but is still recorded.
        assert_eq!(applied(store, removed(b, "ghost", "5")).await.totals(), totals(2, 1));
        // Other buckets are separate.
        applied(store, created("elsewhere", "x", "1", 1_000)).await;
        assert_eq!(store.totals(&bucket(b)).await.unwrap(), totals(2, 1));
        assert_eq!(store.totals(&bucket("elsewhere")).await.unwrap(), totals(1_000, 1));
    }

    /// Every key row of a bucket, tombstones included, in key order: read page by page as reconcile does.
    async fn all_key_rows(store: &dyn SizeStore, b: &BucketName, limit: usize) -> Vec<(ObjectKey, KeyState)> {
        let mut rows = Vec::new();
        let mut after: Option<ObjectKey> = None;
        loop {
            let page = store.key_rows(b, after.as_ref(), limit).await.unwrap();
            assert!(page.rows.windows(2).all(|w| w[0].0 < w[1].0), "a page is in key order");
            if let (Some(first), Some(after)) = (page.rows.first(), &after) {
                assert!(&first.0 > after, "a page starts after its start key");
            }
            if let (Some(last), Some(through)) = (page.rows.last(), &page.through) {
                assert!(&last.0 <= through, "a page holds nothing past its end");
            }
            rows.extend(page.rows);
            match page.through {
                None => return rows,
                Some(through) => after = Some(through),
            }
        }
    }

    pub async fn key_rows_are_read_in_key_order_page_by_page(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = bucket("listed");
        // Keys of every length and in no order, some of them tombstones; and another bucket's keys.
        let mut changes: Vec<ObjectChange> =
            (0..230u64).map(|i| created(b.as_str(), &format!("k/{}", (i * 7919) % 1000), "5", i)).collect();
        changes.extend((0..30u64).map(|i| removed(b.as_str(), &format!("gone/{i}"), "6")));
        changes.push(created(b.as_str(), "é", "5", 1));
        changes.push(created("other-bucket", "k/1", "5", 1));
        for result in store.apply_batch(&changes).await {
            result.unwrap();
        }
        let mut expected: Vec<(String, bool)> = changes
            .iter()
            .filter(|c| c.bucket == b)
            .map(|c| (c.key.as_str().to_owned(), matches!(c.kind, ChangeKind::Created { .. })))
            .collect();
        expected.sort_by(|x, y| x.0.as_bytes().cmp(y.0.as_bytes()));
        for limit in [100, 1_000] {
            let rows = all_key_rows(store, &b, limit).await;
            let found: Vec<(String, bool)> =
                rows.iter().map(|(key, state)| (key.as_str().to_owned(), state.present)).collect();
            assert_eq!(found, expected, "pages of {limit}");
        }
        let rows = all_key_rows(store, &b, 1_000).await;
        let k1 = rows.iter().find(|(key, _)| key.as_str() == "k/919").map(|(_, state)| state.clone());
        assert_eq!(k1, Some(KeyState { sequencer: Sequencer::parse("5").unwrap(), present: true, size: 1 }));
        let empty = store.key_rows(&bucket("never-seen"), None, 10).await.unwrap();
        assert_eq!((empty.rows.len(), empty.through), (0, None));
    }

    pub async fn corrections_apply_only_to_the_rows_they_saw(backend: Backend) {
        let subject = backend.fresh(None).await;
        let store = subject.store.as_ref();
        let b = bucket("reconciled");
        let changes = [
            created(b.as_str(), "kept", "1", 10),
            created(b.as_str(), "resized", "2", 20),
            created(b.as_str(), "vanished", "3", 30),
            removed(b.as_str(), "back", "4"),
            created(b.as_str(), "moved-meanwhile", "5", 50),
        ];
        for result in store.apply_batch(&changes).await {
            result.unwrap();
        }
        let seen: std::collections::HashMap<String, KeyState> = all_key_rows(store, &b, 100)
            .await
            .into_iter()
            .map(|(key, state)| (key.as_str().to_owned(), state))
            .collect();
        // An event moves one key after reconcile read it.
        applied(store, created(b.as_str(), "moved-meanwhile", "6", 55)).await;
        let correction = |key: &str, listed: Option<u64>| Correction {
            key: ObjectKey::parse(key).unwrap(),
            seen: seen.get(key).cloned(),
            listed,
        };
        let corrections = [
            correction("back", Some(4)),
            correction("moved-meanwhile", None),
            correction("new", Some(7)),
            correction("resized", Some(21)),
            correction("vanished", None),
        ];
        let transitions = store.correct(&b, &corrections).await.unwrap();
        let applied_count = transitions.iter().filter(|t| matches!(t, Transition::Apply { .. })).count();
        assert_eq!(applied_count, 4, "{transitions:?}");
        assert_eq!(transitions[1], Transition::Skip(SkipReason::Stale), "the event's state stands");
        // kept 10 + back 4 + moved-meanwhile 55 + new 7 + resized 21.
        assert_eq!(store.totals(&b).await.unwrap(), totals(97, 5));
        assert_eq!(store.latest(&b).await.unwrap().map(|s| s.totals()), Some(totals(97, 5)));
        // The same corrections again find rows they did not see, and change nothing.
        let again = store.correct(&b, &corrections).await.unwrap();
        assert!(again.iter().all(|t| matches!(t, Transition::Skip(_))), "{again:?}");
        assert_eq!(store.totals(&b).await.unwrap(), totals(97, 5));
        // Any event outranks a corrected row: the new key was added under the lowest sequencer, the
        // vanished one removed under its own.
        applied(store, created(b.as_str(), "new", "1", 70)).await;
        applied(store, created(b.as_str(), "vanished", "4", 31)).await;
        assert_eq!(skipped(store, created(b.as_str(), "resized", "2", 20)).await, SkipReason::Duplicate);
        assert_eq!(store.totals(&b).await.unwrap(), totals(97 - 7 + 70 + 31, 6));
    }
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::cases::$case(super::Backend::Sqlite).await;
                }
            )*
        }
        mod dynamodb_on_moto {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::cases::$case(super::Backend::DynamoDb).await;
                }
            )*
        }
    };
}

contract!(
    window_bounds_order_and_carry_in,
    reduced_windows_agree_with_the_samples_on_random_histories,
    max_and_latest,
    samples_in_one_millisecond_are_all_kept,
    a_large_window_is_read_through_every_page,
    concurrent_writers_keep_totals_exact,
    a_batch_is_coalesced_per_key,
    duplicates_across_batches_are_skipped_and_sample_nothing,
    a_large_batch_of_two_buckets_is_exact_with_a_sample_each,
    concurrent_batches_keep_totals_exact,
    samples_never_show_an_older_state_after_a_newer_one,
    parked_changes_are_kept_once_until_unparked,
    duplicate_and_stale_events_are_skipped,
    tombstones_refuse_older_creations,
    sequencers_of_different_lengths_compare_as_numbers,
    overwrites_and_removals_move_totals,
    key_rows_are_read_in_key_order_page_by_page,
    corrections_apply_only_to_the_rows_they_saw,
);
