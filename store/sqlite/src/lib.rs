//! The embedded adapter: one SQLite file in WAL mode. Every batch is one `BEGIN IMMEDIATE` transaction,
//! so several processes may share the file, and so may the several connections of one store: calls run
//! concurrently, each on its own connection, and writers queue on SQLite's write lock (busy timeout).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use domain::batch::coalesce;
use domain::correction::{Correction, KeyRows};
use domain::rollup::{Rollup, Span};
use domain::transition::{Delta, KeyState, Transition, next_sample_ts, transition};
use domain::{
    ApplyOutcome, BucketName, ChangeKind, ChangeResult, Clock, History, Ledger, ObjectChange, ObjectKey,
    Sample, Sequencer, StoreError, Totals, system_clock,
};

const BACKEND: &str = "sqlite";

/// SQLite's errors (and any other failure of this adapter) as the port's error, source kept.
trait OrStore<T> {
    fn or_store(self) -> Result<T, StoreError>;
}

impl<T, E: Into<Box<dyn std::error::Error + Send + Sync>>> OrStore<T> for Result<T, E> {
    fn or_store(self) -> Result<T, StoreError> {
        self.map_err(|error| StoreError::backend(BACKEND, error))
    }
}

/// A failure with no error value of its own to keep, such as a folder that cannot be created.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
struct Failed {
    what: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS objects (
    bucket    TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    size      INTEGER NOT NULL,
    sequencer TEXT    NOT NULL,
    present   INTEGER NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS totals (
    bucket       TEXT    PRIMARY KEY,
    size_bytes   INTEGER NOT NULL,
    object_count INTEGER NOT NULL,
    last_ts      INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS samples (
    bucket       TEXT    NOT NULL,
    ts           INTEGER NOT NULL,
    size_bytes   INTEGER NOT NULL,
    object_count INTEGER NOT NULL,
    PRIMARY KEY (bucket, ts)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS samples_by_size ON samples (bucket, size_bytes);
CREATE TABLE IF NOT EXISTS rollups (
    bucket      TEXT    NOT NULL,
    level_ms    INTEGER NOT NULL,
    start_ms    INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    min_size    INTEGER,
    max_size    INTEGER,
    first_ts    INTEGER,
    first_size  INTEGER,
    first_count INTEGER,
    last_ts     INTEGER,
    last_size   INTEGER,
    last_count  INTEGER,
    PRIMARY KEY (bucket, level_ms, start_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parked (
    bucket    TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    sequencer TEXT    NOT NULL,
    size      INTEGER,
    PRIMARY KEY (bucket, key, sequencer)
) WITHOUT ROWID;
";

/// How many connections one store opens at most, so as many calls run at once; more wait for one.
const MAX_CONNECTIONS: usize = 8;
/// How long a writer waits for another's transaction to end before its call fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct SqliteStore {
    pool: Arc<Pool>,
    clock: Clock,
}

/// The store's connections: those not in use, and a permit for each that may be in use.
struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Pool {
    fn take(&self) -> Result<Connection, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        match idle {
            Some(connection) => Ok(connection),
            None => connect(&self.path),
        }
    }

    fn give_back(&self, connection: Connection) {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(connection);
    }
}

/// One more connection to a database that `SqliteStore::open` has set up (WAL mode is a property of the
/// file; the busy timeout and the sync level are per connection).
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path)
        .map_err(|e| Failed { what: format!("cannot open {}", path.display()), source: e.into() })
        .or_store()?;
    connection.busy_timeout(BUSY_TIMEOUT).or_store()?;
    connection.pragma_update(None, "synchronous", "NORMAL").or_store()?;
    Ok(connection)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its parent folder.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_owned();
        let (path, connection) = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Failed {
                        what: format!("cannot create {}", parent.display()),
                        source: e.into(),
                    })
                    .or_store()?;
            }
            let connection = connect(&path)?;
            connection
                .pragma_update(None, "journal_mode", "WAL")
                .and_then(|()| connection.execute_batch(SCHEMA))
                .or_store()?;
            Ok((path, connection))
        })
        .await
        .or_store()??;
        let pool = Pool {
            path,
            idle: Mutex::new(vec![connection]),
            permits: Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS)),
        };
        Ok(Self { pool: Arc::new(pool), clock: system_clock() })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection, &Clock) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let permit = Arc::clone(&self.pool.permits).acquire_owned().await.or_store()?;
        let pool = Arc::clone(&self.pool);
        let clock = Arc::clone(&self.clock);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut connection = pool.take()?;
            // A failed call has rolled its transaction back (dropping it does), so the connection is reusable.
            let result = work(&mut connection, &clock);
            pool.give_back(connection);
            result
        })
        .await
        .or_store()?
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn read_totals(tx: &Connection, bucket: &str) -> rusqlite::Result<(Totals, Option<i64>)> {
    tx.query_row(
        "SELECT size_bytes, object_count, last_ts FROM totals WHERE bucket = ?1",
        params![bucket],
        |row| {
            Ok((
                Totals {
                    size_bytes: row.get::<_, i64>(0)? as u64,
                    object_count: row.get::<_, i64>(1)? as u64,
                },
                row.get(2)?,
            ))
        },
    )
    .optional()
    .map(Option::unwrap_or_default)
}

/// Writes the new totals and their sample; the caller's transaction makes both one step.
fn record(
    tx: &Connection,
    bucket: &BucketName,
    totals: Totals,
    last_ts: Option<i64>,
    clock: &Clock,
) -> rusqlite::Result<Sample> {
    let ts = next_sample_ts(clock(), last_ts);
    tx.execute(
        "INSERT INTO totals (bucket, size_bytes, object_count, last_ts) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (bucket) DO UPDATE SET size_bytes = ?2, object_count = ?3, last_ts = ?4",
        params![bucket.as_str(), to_i64(totals.size_bytes), to_i64(totals.object_count), ts],
    )?;
    tx.execute(
        "INSERT INTO samples (bucket, ts, size_bytes, object_count) VALUES (?1, ?2, ?3, ?4)",
        params![bucket.as_str(), ts, to_i64(totals.size_bytes), to_i64(totals.object_count)],
    )?;
    Ok(Sample {
        bucket: bucket.clone(),
        ts_ms: ts,
        size_bytes: totals.size_bytes,
        object_count: totals.object_count,
    })
}

fn read_key(tx: &Connection, bucket: &str, key: &str) -> Result<Option<KeyState>, StoreError> {
    let row = tx
        .query_row(
            "SELECT sequencer, present, size FROM objects WHERE bucket = ?1 AND key = ?2",
            params![bucket, key],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?, row.get::<_, i64>(2)?)),
        )
        .optional()
        .or_store()?;
    row.map(|(sequencer, present, size)| {
        let sequencer = Sequencer::parse(sequencer).map_err(corrupt)?;
        Ok(KeyState { sequencer, present, size: size as u64 })
    })
    .transpose()
}

fn write_key(tx: &Connection, bucket: &str, key: &str, state: &KeyState) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO objects (bucket, key, size, sequencer, present) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (bucket, key) DO UPDATE SET size = ?3, sequencer = ?4, present = ?5",
        params![bucket, key, to_i64(state.size), state.sequencer.as_str(), state.present],
    )?;
    Ok(())
}

/// Reads the key's row, decides its transition, and writes the row it moves to.
fn decide_key(
    tx: &Connection,
    bucket: &BucketName,
    key: &ObjectKey,
    decide: impl FnOnce(Option<&KeyState>) -> Transition,
) -> Result<Transition, StoreError> {
    let current = read_key(tx, bucket.as_str(), key.as_str())?;
    let transition = decide(current.as_ref());
    if let Transition::Apply { next, .. } = &transition {
        write_key(tx, bucket.as_str(), key.as_str(), next).or_store()?;
    }
    Ok(transition)
}

fn corrupt(error: domain::DomainError) -> StoreError {
    StoreError::Corrupt { backend: BACKEND, message: error.to_string() }
}

fn sample_from_row(bucket: &BucketName, row: &rusqlite::Row<'_>) -> rusqlite::Result<Sample> {
    Ok(Sample {
        bucket: bucket.clone(),
        ts_ms: row.get(0)?,
        size_bytes: row.get::<_, i64>(1)? as u64,
        object_count: row.get::<_, i64>(2)? as u64,
    })
}

#[async_trait]
impl Ledger for SqliteStore {
    /// The whole batch is one transaction: every key row, each bucket's totals and one sample per bucket it
    /// changed move together, or nothing moves (and every change answers the error).
    async fn apply_batch(&self, changes: &[ObjectChange]) -> Vec<ChangeResult> {
        let changes = changes.to_vec();
        let count = changes.len();
        let applied = self
            .run(move |connection, clock| {
                let coalesced = coalesce(&changes);
                let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate).or_store()?;
                let mut moved: BTreeMap<&BucketName, Delta> = BTreeMap::new();
                let mut decided = Vec::with_capacity(coalesced.deciding.len());
                for &index in &coalesced.deciding {
                    let change = &changes[index];
                    let transition =
                        decide_key(&tx, &change.bucket, &change.key, |current| transition(current, change))?;
                    if let Transition::Apply { delta, .. } = &transition {
                        let sum = moved.entry(&change.bucket).or_default();
                        *sum = sum.plus(*delta);
                    }
                    decided.push(transition);
                }
                let mut samples: HashMap<&BucketName, Sample> = HashMap::with_capacity(moved.len());
                for (bucket, delta) in moved {
                    let (totals, last_ts) = read_totals(&tx, bucket.as_str()).or_store()?;
                    samples.insert(
                        bucket,
                        record(&tx, bucket, totals.shifted(delta), last_ts, clock).or_store()?,
                    );
                }
                // Each bucket's totals after the batch, read once for a bucket the batch did not change.
                let mut totals_after: HashMap<&BucketName, Totals> =
                    samples.iter().map(|(bucket, sample)| (*bucket, sample.totals())).collect();
                let mut results = Vec::with_capacity(decided.len());
                for (&index, transition) in coalesced.deciding.iter().zip(decided) {
                    let bucket = &changes[index].bucket;
                    results.push(Ok(match transition {
                        Transition::Apply { .. } => ApplyOutcome::Applied(samples[bucket].clone()),
                        Transition::Skip(reason) => {
                            let totals = match totals_after.get(bucket) {
                                Some(totals) => *totals,
                                None => {
                                    let totals = read_totals(&tx, bucket.as_str()).or_store()?.0;
                                    totals_after.insert(bucket, totals);
                                    totals
                                }
                            };
                            ApplyOutcome::Skipped { reason, totals }
                        }
                    }));
                }
                tx.commit().or_store()?;
                Ok(coalesced.results(results))
            })
            .await;
        applied.unwrap_or_else(|error| {
            let error = Arc::new(error);
            (0..count).map(|_| Err(Arc::clone(&error))).collect()
        })
    }

    async fn key_rows(
        &self,
        bucket: &BucketName,
        after: Option<&ObjectKey>,
        limit: usize,
    ) -> Result<KeyRows, StoreError> {
        let bucket = bucket.clone();
        let after = after.map(|key| key.as_str().to_owned());
        let limit = limit.max(1);
        self.run(move |connection, _| {
            let rows = connection
                .prepare_cached(
                    "SELECT key, sequencer, present, size FROM objects
                     WHERE bucket = ?1 AND (?2 IS NULL OR key > ?2) ORDER BY key LIMIT ?3",
                )
                .and_then(|mut statement| {
                    statement
                        .query_map(params![bucket.as_str(), after, to_i64(limit as u64)], |row| {
                            Ok((
                                row.get::<_, String>(0)?,
                                row.get::<_, String>(1)?,
                                row.get::<_, bool>(2)?,
                                row.get::<_, i64>(3)?,
                            ))
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .or_store()?;
            let full = rows.len() == limit;
            let rows = rows
                .into_iter()
                .map(|(key, sequencer, present, size)| {
                    let state = KeyState {
                        sequencer: Sequencer::parse(sequencer).map_err(corrupt)?,
                        present,
                        size: size as u64,
                    };
                    Ok((ObjectKey::parse(key).map_err(corrupt)?, state))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let through = if full { rows.last().map(|(key, _)| key.clone()) } else { None };
            Ok(KeyRows { rows, through })
        })
        .await
    }

    /// One transaction: the corrected rows, the totals and the sample move together.
    async fn correct(
        &self,
        bucket: &BucketName,
        corrections: &[Correction],
    ) -> Result<Vec<Transition>, StoreError> {
        let bucket = bucket.clone();
        let corrections = corrections.to_vec();
        self.run(move |connection, clock| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate).or_store()?;
            let mut moved: Option<Delta> = None;
            let mut decided = Vec::with_capacity(corrections.len());
            for correction in &corrections {
                let transition =
                    decide_key(&tx, &bucket, &correction.key, |current| correction.transition(current))?;
                if let Transition::Apply { delta, .. } = &transition {
                    moved = Some(moved.unwrap_or_default().plus(*delta));
                }
                decided.push(transition);
            }
            if let Some(delta) = moved {
                let (totals, last_ts) = read_totals(&tx, bucket.as_str()).or_store()?;
                record(&tx, &bucket, totals.shifted(delta), last_ts, clock).or_store()?;
            }
            tx.commit().or_store()?;
            Ok(decided)
        })
        .await
    }

    /// Tombstones are never removed here: no event is too old to apply.
    fn tombstone_lifetime(&self) -> Option<std::time::Duration> {
        None
    }

    async fn park(&self, changes: &[ObjectChange]) -> Result<(), StoreError> {
        let changes = changes.to_vec();
        self.run(move |connection, _| {
            let tx = connection.transaction().or_store()?;
            for change in &changes {
                let size = match change.kind {
                    ChangeKind::Created { size } => Some(to_i64(size)),
                    ChangeKind::Removed => None,
                };
                tx.execute(
                    "INSERT INTO parked (bucket, key, sequencer, size) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![change.bucket.as_str(), change.key.as_str(), change.sequencer.as_str(), size],
                )
                .or_store()?;
            }
            tx.commit().or_store()
        })
        .await
    }

    async fn parked(&self, bucket: &BucketName) -> Result<Vec<ObjectChange>, StoreError> {
        let bucket = bucket.clone();
        self.run(move |connection, _| {
            let rows = connection
                .prepare_cached(
                    "SELECT key, sequencer, size FROM parked WHERE bucket = ?1 ORDER BY key, sequencer",
                )
                .and_then(|mut statement| {
                    statement
                        .query_map(params![bucket.as_str()], |row| {
                            Ok((
                                row.get::<_, String>(0)?,
                                row.get::<_, String>(1)?,
                                row.get::<_, Option<i64>>(2)?,
                            ))
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .or_store()?;
            rows.into_iter()
                .map(|(key, sequencer, size)| {
                    Ok(ObjectChange {
                        bucket: bucket.clone(),
                        key: ObjectKey::parse(key).map_err(corrupt)?,
                        sequencer: Sequencer::parse(sequencer).map_err(corrupt)?,
                        kind: size
                            .map_or(ChangeKind::Removed, |size| ChangeKind::Created { size: size as u64 }),
                    })
                })
                .collect()
        })
        .await
    }

    async fn unpark(&self, changes: &[ObjectChange]) -> Result<(), StoreError> {
        let changes = changes.to_vec();
        self.run(move |connection, _| {
            let tx = connection.transaction().or_store()?;
            for change in &changes {
                tx.execute(
                    "DELETE FROM parked WHERE bucket = ?1 AND key = ?2 AND sequencer = ?3",
                    params![change.bucket.as_str(), change.key.as_str(), change.sequencer.as_str()],
                )
                .or_store()?;
            }
            tx.commit().or_store()
        })
        .await
    }

    async fn totals(&self, bucket: &BucketName) -> Result<Totals, StoreError> {
        let bucket = bucket.clone();
        self.run(move |connection, _| {
            read_totals(connection, bucket.as_str()).map(|(totals, _)| totals).or_store()
        })
        .await
    }
}

#[async_trait]
impl History for SqliteStore {
    async fn samples(
        &self,
        bucket: &BucketName,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>, StoreError> {
        self.samples_from(bucket, from_ms, to_ms, usize::MAX).await
    }

    async fn samples_from(
        &self,
        bucket: &BucketName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Sample>, StoreError> {
        let bucket = bucket.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |connection, _| {
            connection
                .prepare_cached(
                    "SELECT ts, size_bytes, object_count FROM samples
                     WHERE bucket = ?1 AND ts BETWEEN ?2 AND ?3 ORDER BY ts LIMIT ?4",
                )
                .and_then(|mut statement| {
                    statement
                        .query_map(params![bucket.as_str(), from_ms, to_ms, limit], |row| {
                            sample_from_row(&bucket, row)
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .or_store()
        })
        .await
    }

    async fn carry_in(&self, bucket: &BucketName, before_ms: i64) -> Result<Option<Sample>, StoreError> {
        let bucket = bucket.clone();
        self.run(move |connection, _| {
            connection
                .query_row(
                    "SELECT ts, size_bytes, object_count FROM samples
                     WHERE bucket = ?1 AND ts < ?2 ORDER BY ts DESC LIMIT 1",
                    params![bucket.as_str(), before_ms],
                    |row| sample_from_row(&bucket, row),
                )
                .optional()
                .or_store()
        })
        .await
    }

    async fn max(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError> {
        self.one_sample(
            bucket,
            "SELECT ts, size_bytes, object_count FROM samples
             WHERE bucket = ?1 ORDER BY size_bytes DESC, ts DESC LIMIT 1",
        )
        .await
    }

    async fn latest(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError> {
        self.one_sample(
            bucket,
            "SELECT ts, size_bytes, object_count FROM samples WHERE bucket = ?1 ORDER BY ts DESC LIMIT 1",
        )
        .await
    }

    async fn rollups(
        &self,
        bucket: &BucketName,
        level_ms: i64,
        first_start: i64,
        last_start: i64,
    ) -> Result<Vec<Rollup>, StoreError> {
        let bucket = bucket.clone();
        self.run(move |connection, _| {
            connection
                .prepare_cached(
                    "SELECT start_ms, count, min_size, max_size, first_ts, first_size, first_count,
                            last_ts, last_size, last_count
                     FROM rollups WHERE bucket = ?1 AND level_ms = ?2 AND start_ms BETWEEN ?3 AND ?4
                     ORDER BY start_ms",
                )
                .and_then(|mut statement| {
                    statement
                        .query_map(params![bucket.as_str(), level_ms, first_start, last_start], |row| {
                            rollup_from_row(&bucket, level_ms, row)
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .or_store()
        })
        .await
    }

    async fn put_rollups(&self, bucket: &BucketName, rollups: &[Rollup]) -> Result<(), StoreError> {
        let bucket = bucket.clone();
        let rollups = rollups.to_vec();
        self.run(move |connection, _| {
            let tx = connection.transaction().or_store()?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO rollups (bucket, level_ms, start_ms, count, min_size, max_size,
                             first_ts, first_size, first_count, last_ts, last_size, last_count)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    )
                    .or_store()?;
                for rollup in &rollups {
                    let span = rollup.span.as_ref();
                    let size = |f: fn(&Span) -> u64| span.map(|s| to_i64(f(s)));
                    insert
                        .execute(params![
                            bucket.as_str(),
                            rollup.level_ms,
                            rollup.start_ms,
                            to_i64(span.map_or(0, |s| s.count)),
                            size(|s| s.min_size_bytes),
                            size(|s| s.max_size_bytes),
                            span.map(|s| s.first.ts_ms),
                            size(|s| s.first.size_bytes),
                            size(|s| s.first.object_count),
                            span.map(|s| s.last.ts_ms),
                            size(|s| s.last.size_bytes),
                            size(|s| s.last.object_count),
                        ])
                        .or_store()?;
                }
            }
            tx.commit().or_store()
        })
        .await
    }
}

fn rollup_from_row(bucket: &BucketName, level_ms: i64, row: &rusqlite::Row<'_>) -> rusqlite::Result<Rollup> {
    let count = row.get::<_, i64>(1)? as u64;
    let sample = |ts: usize| -> rusqlite::Result<Sample> {
        Ok(Sample {
            bucket: bucket.clone(),
            ts_ms: row.get(ts)?,
            size_bytes: row.get::<_, i64>(ts + 1)? as u64,
            object_count: row.get::<_, i64>(ts + 2)? as u64,
        })
    };
    let span = if count == 0 {
        None
    } else {
        Some(Span {
            count,
            min_size_bytes: row.get::<_, i64>(2)? as u64,
            max_size_bytes: row.get::<_, i64>(3)? as u64,
            first: sample(4)?,
            last: sample(7)?,
        })
    };
    Ok(Rollup { level_ms, start_ms: row.get(0)?, span })
}

impl SqliteStore {
    async fn one_sample(&self, bucket: &BucketName, sql: &'static str) -> Result<Option<Sample>, StoreError> {
        let bucket = bucket.clone();
        self.run(move |connection, _| {
            connection
                .query_row(sql, params![bucket.as_str()], |row| sample_from_row(&bucket, row))
                .optional()
                .or_store()
        })
        .await
    }
}
