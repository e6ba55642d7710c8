//! `kill -9` in the middle of a stream of changes loses none of them: the stack binary runs as a child
//! process, concurrent clients put, overwrite and delete objects, the process is killed at a random
//! moment, and once it has started again on the same data dir the tracked totals equal a listing of the
//! bucket. Whatever the clients were told about the requests in flight, the listing is the truth.
//!
//! `CRASH_RUNS` sets the number of randomized runs (10 by default), `CRASH_SEED` the seed of the first
//! (printed); each run's choices (keys, sizes, when to kill, chaos or not) follow from its seed.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use domain::{BucketName, History, Ledger, Totals};
use store_sqlite::SqliteStore;
use testkit::listed_totals;
use tokio::sync::Notify;

const DEFAULT_RUNS: u64 = 10;
const CLIENTS: u64 = 4;
/// Few keys, so that most changes overwrite or delete what an earlier one made.
const KEYS: u8 = 8;
/// How long the stack may take to start, or to stop once asked: far longer than it ever does.
const PROCESS_LIMIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_in_the_middle_of_changes_loses_none_of_them() {
    let runs = env_number("CRASH_RUNS").unwrap_or(DEFAULT_RUNS);
    let seed = env_number("CRASH_SEED").unwrap_or_else(|| fastrand::u64(..));
    println!("crash test: {runs} runs from seed {seed} (CRASH_SEED={seed} repeats their choices)");
    let mut lost = Vec::new();
    for run in 0..runs {
        let outcome = crash_run(seed.wrapping_add(run)).await;
        println!("{outcome}");
        if outcome.tracked != outcome.listed || outcome.latest != outcome.listed {
            lost.push(outcome);
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {runs} runs tracked other totals than the bucket holds after a kill -9:\n{}",
        lost.len(),
        lost.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{name} must be a whole number, got {value:?}")))
}

/// What one run ended with.
struct Outcome {
    seed: u64,
    chaos: bool,
    kill_after: u64,
    acknowledged: u64,
    listed: Totals,
    /// The ledger's totals, read from the history once the restarted stack has stopped.
    tracked: Totals,
    /// The latest sample of the history, read then too.
    latest: Totals,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { seed, chaos, kill_after, acknowledged, listed, tracked, latest } = self;
        write!(
            f,
            "seed {seed} (chaos {chaos}): killed after {kill_after} acknowledged changes ({acknowledged} \
             acknowledged in all); listed {} B in {} objects, tracked {} B in {}, latest sample {} B in {}",
            listed.size_bytes,
            listed.object_count,
            tracked.size_bytes,
            tracked.object_count,
            latest.size_bytes,
            latest.object_count
        )
    }
}

async fn crash_run(seed: u64) -> Outcome {
    let mut rng = fastrand::Rng::with_seed(seed);
    let chaos = rng.bool();
    let kill_after = rng.u64(10..=200);
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");

    let mut stack = Stack::start(&data_dir, &dir.path().join("first.log"), chaos).await;
    let bucket = startup::local::BUCKET;
    let client = client(&stack.s3_url).await;
    let acknowledged = Arc::new(AtomicU64::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let reached = Arc::new(Notify::new());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let worker = Worker {
                client: client.clone(),
                rng: fastrand::Rng::with_seed(rng.u64(..)),
                acknowledged: Arc::clone(&acknowledged),
                killed: Arc::clone(&killed),
                reached: Arc::clone(&reached),
                kill_after,
                name: n,
            };
            tokio::spawn(worker.run())
        })
        .collect();
    reached.notified().await;
    killed.store(true, Ordering::SeqCst);
    stack.kill_9();
    for worker in clients {
        if let Err(error) = worker.await.unwrap() {
            panic!("seed {seed}: {error}: {}", read_log(&stack.log));
        }
    }

    let stack = Stack::start(&data_dir, &dir.path().join("second.log"), chaos).await;
    let listed = listed_totals(&retrying_client(&stack.s3_url).await, bucket).await;
    stack.stop().await;
    let store = SqliteStore::open(&data_dir.join("history.sqlite3")).await.unwrap();
    let bucket = BucketName::parse(bucket).unwrap();
    let tracked = store.totals(&bucket).await.unwrap();
    let latest = store.latest(&bucket).await.unwrap().map_or_else(Totals::default, |sample| Totals {
        size_bytes: sample.size_bytes,
        object_count: sample.object_count,
    });
    let acknowledged = acknowledged.load(Ordering::SeqCst);
    Outcome { seed, chaos, kill_after, acknowledged, listed, tracked, latest }
}

/// A client that makes random changes until the endpoint stops answering.
struct Worker {
    client: aws_sdk_s3::Client,
    rng: fastrand::Rng,
    acknowledged: Arc<AtomicU64>,
    killed: Arc<AtomicBool>,
    reached: Arc<Notify>,
    kill_after: u64,
    name: u64,
}

impl Worker {
    /// Fails when a request fails before the kill; it wakes the killer then, so that the run ends.
    async fn run(mut self) -> Result<(), String> {
        let bucket = startup::local::BUCKET;
        loop {
            let key = self.key();
            let result = match self.rng.u8(0..10) {
                0..6 => {
                    let body = vec![self.rng.u8(..); self.rng.usize(0..4_000)];
                    let put = self.client.put_object().bucket(bucket).key(&key).body(ByteStream::from(body));
                    put.send().await.map(drop).map_err(|e| e.to_string())
                }
                6..9 => {
                    let delete = self.client.delete_object().bucket(bucket).key(&key);
                    delete.send().await.map(drop).map_err(|e| e.to_string())
                }
                _ => {
                    let objects = [key, self.key()]
                        .map(|key| ObjectIdentifier::builder().key(key).build().unwrap())
                        .to_vec();
                    let delete = Delete::builder().set_objects(Some(objects)).build().unwrap();
                    let deletes = self.client.delete_objects().bucket(bucket).delete(delete);
                    deletes.send().await.map(drop).map_err(|e| e.to_string())
                }
            };
            if let Err(error) = result {
                if self.killed.load(Ordering::SeqCst) {
                    return Ok(());
                }
                self.reached.notify_one();
                return Err(format!("client {} failed before the kill: {error}", self.name));
            }
            if self.acknowledged.fetch_add(1, Ordering::SeqCst) + 1 == self.kill_after {
                self.reached.notify_one();
            }
        }
    }

    fn key(&mut self) -> String {
        format!("crash/key-{}.bin", self.rng.u8(0..KEYS))
    }
}

/// A client that gives up at the first failure: once the endpoint is killed, retries only slow the run.
async fn client(url: &str) -> aws_sdk_s3::Client {
    let sdk = startup::local::sdk_config(url).await;
    let config = aws_sdk_s3::config::Builder::from(&sdk).retry_config(RetryConfig::disabled()).build();
    aws_sdk_s3::Client::from_conf(config)
}

async fn retrying_client(url: &str) -> aws_sdk_s3::Client {
    startup::s3_client(&startup::local::sdk_config(url).await)
}

/// The stack's binary, running as a child process on free ports.
struct Stack {
    child: Child,
    /// Kept open: the process's stdout is a pipe, and writing to a closed one would fail.
    _stdout: BufReader<ChildStdout>,
    log: PathBuf,
    s3_url: String,
}

impl Stack {
    /// Starts the binary and waits for its banner, which it prints once it serves.
    async fn start(data_dir: &Path, log: &Path, chaos: bool) -> Stack {
        let data_dir = data_dir.to_owned();
        let log = log.to_owned();
        tokio::task::spawn_blocking(move || Self::start_blocking(&data_dir, log, chaos)).await.unwrap()
    }

    fn start_blocking(data_dir: &Path, log: PathBuf, chaos: bool) -> Stack {
        let mut command = Command::new(env!("CARGO_BIN_EXE_s3-size-micro"));
        command.arg("--data-dir").arg(data_dir).args(["--s3-port", "0", "--api-port", "0"]);
        if chaos {
            command.arg("--chaos");
        }
        let stderr = std::fs::File::create(&log).unwrap();
        let mut child = command
            .env_remove("BUCKET_NAME")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start the stack's binary");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        // The S3 endpoint's line, then the api's, which tells that the banner is out.
        let (mut s3_url, mut serving) = (None, false);
        let started = Instant::now();
        while !serving {
            let mut line = String::new();
            let read = stdout.read_line(&mut line).unwrap();
            assert!(
                read > 0 && started.elapsed() < PROCESS_LIMIT,
                "the stack ended before it served: {}",
                read_log(&log)
            );
            let line = line.trim_start();
            if line.starts_with("S3 endpoint") {
                s3_url = line.split_whitespace().find(|word| word.starts_with("http://")).map(str::to_owned);
            }
            serving = line.starts_with("Plot API");
        }
        let s3_url = s3_url.unwrap_or_else(|| panic!("no S3 endpoint in the banner: {}", read_log(&log)));
        Stack { child, _stdout: stdout, log, s3_url }
    }

    fn kill_9(&mut self) {
        // std's kill is SIGKILL on Unix.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, as Ctrl-C stops it: the stack delivers what is pending, then exits.
    async fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(status.success(), "kill -TERM {pid}: {status}");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the stack stopped with {status}: {}", read_log(&self.log));
                return;
            }
            assert!(started.elapsed() < PROCESS_LIMIT, "the stack did not stop: {}", read_log(&self.log));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn read_log(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    text
}
