//! Ingest per bucket: one event per ledger call against SQS-sized batches, on DynamoDB (moto) behind a proxy
//! that adds network delay and throttling and counts the requests (`scripts/ingest_proxy.py`).
//!
//! `cargo bench -p store-dynamodb --bench ingest` (or `bash scripts/bench-ingest`): a plain `main` (no
//! harness) that prints a markdown table. One burst of events of one bucket — puts, overwrites and
//! deletes of KEYS keys with rising hex sequencers per key, about 10 % delivered twice, shuffled with a
//! fixed seed — is applied by each run to a bucket of its own (and fresh tables):
//!
//! - per event: `Ledger::apply`, one event per call, by 1, 4 and 16 workers pulling from one queue in
//!   the burst's order, for at most `INGEST_PER_EVENT_SECONDS` (60) or until the burst is done; the
//!   events applied are then a prefix of the burst, and exactness is checked against the model of that
//!   prefix;
//! - batched: `Ledger::apply_batch` of 100 and of 1 000 events by 1, 4 and 8 workers, each taking the
//!   next batch, over the whole burst; then the same with `INGEST_THROTTLE` (0.2) of the requests
//!   answered by the proxy with DynamoDB's throttling error.
//!
//! A change that fails is delivered again (by itself, or with the others of its batch that failed), up to
//! 4 deliveries in all, as SQS does with a batch's `batchItemFailures`. Each run checks `totals()` and the
//! latest sample against the exact totals (per key the highest sequencer decides) and counts the calls and
//! changes that failed; the benchmark exits with 1 when any run is inexact or had a failure. The SDK retries as its default standard mode does (3 attempts), with a
//! retry partition (token bucket) of its own per run, so no run inherits another's drained bucket.
//!
//! Settings (environment): `INGEST_PER_EVENT_SECONDS` (60), `INGEST_THROTTLE` (0.2), `INGEST_DELAY_MS`
//! (5, each way), `INGEST_MOTO=as-shipped` (moto's own TransactWriteItems rollback, which copies whole
//! tables: see the proxy's docstring), `MOTO_ENDPOINT` (front that moto server instead of starting one).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::retry::RetryPartition;
use domain::{BucketName, ChangeKind, History, Ledger, ObjectChange, ObjectKey, Sequencer, Totals};
use serde_json::Value;
use store_dynamodb::{DynamoStore, Tables};

/// The burst: this many distinct keys, this many distinct events, and this many of them delivered twice.
const KEYS: usize = 1_200;
const DISTINCT_EVENTS: usize = 4_600;
const DUPLICATES: usize = 460;
const SEED: u64 = 0x001A_6E57;

/// Worker counts and batch sizes of the runs.
const PER_EVENT_WORKERS: [usize; 3] = [1, 4, 16];
const BATCHED_WORKERS: [usize; 3] = [1, 4, 8];
const BATCH_SIZES: [usize; 2] = [100, 1_000];

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value.trim().parse().unwrap_or_else(|_| {
            eprintln!("error: {name}={value:?} is not valid");
            std::process::exit(2)
        }),
        _ => default,
    }
}

// ---------------------------------------------------------------------------------------------------------
// The burst and its model

/// One event of the burst, for any bucket.
#[derive(Clone)]
struct Event {
    key: String,
    sequencer: String,
    /// `Some(size)` for a put, `None` for a delete.
    size: Option<u64>,
}

struct Burst {
    events: Vec<Event>,
    puts: usize,
    overwrites: usize,
    deletes: usize,
}

fn burst() -> Burst {
    let mut rng = fastrand::Rng::with_seed(SEED);
    // A global counter in generation order, so each key's sequencers rise; it crosses from 6 to 7 hex
    // digits midway, so sequencers of different lengths are compared too.
    let mut counter: u64 = 0xFF_F000;
    let mut present = vec![false; KEYS];
    let (mut puts, mut overwrites, mut deletes) = (0, 0, 0);
    let mut events = Vec::with_capacity(DISTINCT_EVENTS + DUPLICATES);
    for n in 0..DISTINCT_EVENTS {
        // Every key is put first; the rest of the events fall on keys at random.
        let key = if n < KEYS { n } else { rng.usize(0..KEYS) };
        counter += rng.u64(1..=16);
        let size = if n >= KEYS && rng.u8(0..4) == 0 {
            deletes += 1;
            present[key] = false;
            None
        } else {
            if present[key] {
                overwrites += 1;
            } else {
                puts += 1;
            }
            present[key] = true;
            Some(rng.u64(0..=4 * 1024 * 1024))
        };
        events.push(Event {
            key: format!("data/{:02}/object-{key:05}.bin", key % 37),
            sequencer: format!("{counter:X}"),
            size,
        });
    }
    for _ in 0..DUPLICATES {
        let again = events[rng.usize(0..DISTINCT_EVENTS)].clone();
        events.push(again);
    }
    rng.shuffle(&mut events);
    Burst { events, puts, overwrites, deletes }
}

fn changes(events: &[Event], bucket: &BucketName) -> Vec<ObjectChange> {
    events
        .iter()
        .map(|event| ObjectChange {
            bucket: bucket.clone(),
            key: ObjectKey::parse(event.key.clone()).expect("a valid key"),
            sequencer: Sequencer::parse(event.sequencer.clone()).expect("a valid sequencer"),
            kind: match event.size {
                Some(size) => ChangeKind::Created { size },
                None => ChangeKind::Removed,
            },
        })
        .collect()
}

/// The exact totals after `events`, in any order: per key the highest sequencer decides.
fn expected(events: &[Event]) -> Totals {
    let mut deciding: HashMap<&str, (Sequencer, Option<u64>)> = HashMap::new();
    for event in events {
        let sequencer = Sequencer::parse(event.sequencer.clone()).expect("a valid sequencer");
        match deciding.get(event.key.as_str()) {
            Some((known, _)) if *known >= sequencer => {}
            _ => {
                deciding.insert(&event.key, (sequencer, event.size));
            }
        }
    }
    deciding.values().filter_map(|(_, size)| *size).fold(Totals::default(), |totals, size| Totals {
        size_bytes: totals.size_bytes + size,
        object_count: totals.object_count + 1,
    })
}

// ---------------------------------------------------------------------------------------------------------
// The proxy

struct Proxy {
    child: Child,
    port: u16,
}

impl Proxy {
    fn start() -> Result<Self, String> {
        let root = testkit::workspace_root();
        let python = root.join(".venv/bin/python");
        if !python.exists() {
            return Err(
                "the project's .venv/bin/python is missing: run `bash scripts/test-venv` once (it creates \
                        .venv with moto)"
                    .into(),
            );
        }
        let delay_ms: f64 = setting("INGEST_DELAY_MS", 5.0);
        let mut command = Command::new(&python);
        command.arg(root.join("scripts/ingest_proxy.py"));
        match std::env::var("MOTO_ENDPOINT") {
            Ok(url) if !url.trim().is_empty() => command.args(["--upstream", url.trim()]),
            _ => command.arg("--start-moto"),
        };
        if std::env::var("INGEST_MOTO").is_ok_and(|v| v == "as-shipped") {
            command.arg("--moto-as-shipped");
        }
        command
            .args(["--delay-ms", &delay_ms.to_string(), "--delay-out-ms", &delay_ms.to_string()])
            .args(["--exit-with-parent", &std::process::id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", python.display()))?;
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut first)
            .map_err(|e| format!("cannot read the proxy's port: {e}"))?;
        let port = first.trim().parse().map_err(|_| {
            let _ = child.kill();
            format!("the proxy did not print its port (it printed {first:?}); is moto in .venv?")
        })?;
        Ok(Self { child, port })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One control request; answers its JSON.
    fn control(&self, method: &str, path: &str, body: &str) -> Value {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("reach the proxy");
        write!(
            stream,
            "{method} /__proxy/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send to the proxy");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the proxy's answer");
        let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
        assert!(head.starts_with("HTTP/1.1 200"), "the proxy refused {path}: {answer}");
        serde_json::from_str(body).expect("JSON from the proxy")
    }

    fn throttle(&self, fraction: f64) {
        self.control("POST", "config", &format!("{{\"throttle\": {fraction}}}"));
    }

    /// The counts since the last reset, and zero them.
    fn take_counts(&self) -> Counts {
        let stats = self.control("POST", "reset", "");
        let by_operation = |field: &str| -> BTreeMap<String, u64> {
            stats[field]
                .as_object()
                .map(|map| map.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect())
                .unwrap_or_default()
        };
        Counts {
            requests: by_operation("requests"),
            throttled: by_operation("throttled"),
            errors: by_operation("errors"),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Counts {
    requests: BTreeMap<String, u64>,
    throttled: BTreeMap<String, u64>,
    /// moto's error answers, by "Operation ErrorType".
    errors: BTreeMap<String, u64>,
}

impl Counts {
    fn total(&self) -> u64 {
        self.requests.values().sum()
    }
    fn throttled_total(&self) -> u64 {
        self.throttled.values().sum()
    }
}

// ---------------------------------------------------------------------------------------------------------
// The runs

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    PerEvent,
    Batched { size: usize, throttle: f64 },
}

struct Run {
    mode: Mode,
    workers: usize,
    events: usize,
    elapsed: Duration,
    counts: Counts,
    expected: Totals,
    totals: Result<Totals, String>,
    latest: Result<Option<Totals>, String>,
    tally: Tally,
    stopped_by_budget: bool,
}

impl Run {
    fn events_per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
    fn exact(&self) -> bool {
        self.totals.as_ref().is_ok_and(|t| *t == self.expected)
            && self.latest.as_ref().is_ok_and(|l| *l == Some(self.expected))
    }
    fn failures(&self) -> usize {
        self.tally.failed_calls + self.tally.failed_changes
    }
}

struct Bench {
    proxy: Proxy,
    /// The client configuration every run starts from (the proxy's endpoint, test credentials).
    base: aws_sdk_dynamodb::Config,
    burst: Arc<Vec<Event>>,
    per_event_budget: Duration,
    runs: usize,
}

impl Bench {
    /// A store on fresh tables for one run, its client retrying as the deployed functions' does
    /// (`store_dynamodb::retry_config`: standard mode, 3 attempts, a short first pause) with a token
    /// bucket of its own.
    async fn store(&mut self) -> DynamoStore {
        self.runs += 1;
        let config = self
            .base
            .to_builder()
            .retry_config(store_dynamodb::retry_config())
            .retry_partition(RetryPartition::new(format!("ingest-run-{}", self.runs)))
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        let tables = Tables {
            history: testkit::unique_name("history"),
            history_gsi: store_dynamodb::DEFAULT_GSI.into(),
            index: testkit::unique_name("index"),
        };
        store_dynamodb::schema::create_tables(&client, &tables).await.expect("create the tables on moto");
        DynamoStore::new(client, &tables)
    }

    async fn run(&mut self, mode: Mode, workers: usize) -> Run {
        let store = self.store().await;
        let bucket = BucketName::parse(testkit::unique_name("ingest")).expect("a bucket name");
        let changes = Arc::new(changes(&self.burst, &bucket));
        let (throttle, fresh_count) = match mode {
            Mode::Batched { throttle, size } => (throttle, changes.len().div_ceil(size)),
            Mode::PerEvent => (0.0, changes.len()),
        };
        self.proxy.throttle(throttle);
        self.proxy.take_counts();

        let started = Instant::now();
        let deadline = started + self.per_event_budget;
        let queue = Arc::new(Mutex::new(Queue {
            next_fresh: 0,
            fresh_count,
            events: changes.len(),
            redeliveries: VecDeque::new(),
            in_flight: 0,
        }));
        let mut tasks = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (store, changes, queue) = (store.clone(), Arc::clone(&changes), Arc::clone(&queue));
            tasks.push(tokio::spawn(async move {
                let mut tally = Tally::default();
                loop {
                    let taken = queue.lock().unwrap().take(mode, deadline);
                    let (indices, delivery) = match taken {
                        Take::Work(indices, delivery) => (indices, delivery),
                        Take::Wait => {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            continue;
                        }
                        Take::Done { stopped_by_budget } => {
                            tally.stopped_by_budget |= stopped_by_budget;
                            break;
                        }
                    };
                    tally.calls += 1;
                    tally.redelivered += usize::from(delivery > 1) * indices.len();
                    let failed: Vec<usize> = match mode {
                        Mode::PerEvent => match store.apply(&changes[indices[0]]).await {
                            Ok(_) => vec![],
                            Err(error) => {
                                tally
                                    .first_error
                                    .get_or_insert_with(|| domain::ErrorChain(&error).to_string());
                                indices.clone()
                            }
                        },
                        Mode::Batched { .. } => {
                            let batch: Vec<ObjectChange> =
                                indices.iter().map(|&i| changes[i].clone()).collect();
                            let results = store.apply_batch(&batch).await;
                            indices
                                .iter()
                                .zip(results)
                                .filter_map(|(&index, result)| {
                                    let error = result.err()?;
                                    tally
                                        .first_error
                                        .get_or_insert_with(|| domain::ErrorChain(&*error).to_string());
                                    Some(index)
                                })
                                .collect()
                        }
                    };
                    if !failed.is_empty() {
                        tally.failed_calls += 1;
                        tally.failed_changes += failed.len();
                        if delivery >= MAX_DELIVERIES {
                            tally.lost += failed.len();
                        }
                    }
                    queue.lock().unwrap().done(failed, delivery);
                }
                tally
            }));
        }
        let mut tally = Tally::default();
        for task in tasks {
            tally.add(task.await.expect("a worker panicked"));
        }
        let elapsed = started.elapsed();
        let counts = self.proxy.take_counts();

        // Per event, the workers took the burst's first events in order and applied each one they took
        // (failed ones redelivered): the model is that prefix's. Batched runs apply the whole burst.
        let applied = match mode {
            Mode::PerEvent => queue.lock().unwrap().next_fresh,
            Mode::Batched { .. } => changes.len(),
        };
        let expected = expected(&self.burst[..applied]);
        self.proxy.throttle(0.0);
        let totals = store.totals(&bucket).await.map_err(|e| domain::ErrorChain(&e).to_string());
        let latest = History::latest(&store, &bucket)
            .await
            .map(|sample| sample.map(|s| s.totals()))
            .map_err(|e| domain::ErrorChain(&e).to_string());
        self.proxy.take_counts();
        Run {
            mode,
            workers,
            events: applied,
            elapsed,
            counts,
            expected,
            totals,
            latest,
            stopped_by_budget: tally.stopped_by_budget && applied < changes.len(),
            tally,
        }
    }
}

/// How often a change that failed is delivered at most (SQS's maxReceiveCount), counting the first time.
const MAX_DELIVERIES: u32 = 4;

/// The work of one run: the burst's events (per event) or batches (batched) in order, and the failed
/// changes delivered again, first, as SQS would after their visibility timeout.
struct Queue {
    next_fresh: usize,
    fresh_count: usize,
    events: usize,
    redeliveries: VecDeque<(Vec<usize>, u32)>,
    in_flight: usize,
}

enum Take {
    /// These changes of the burst (by index), delivered for this time.
    Work(Vec<usize>, u32),
    /// Nothing to take now, but a call in flight may fail and give some back.
    Wait,
    Done {
        stopped_by_budget: bool,
    },
}

impl Queue {
    fn take(&mut self, mode: Mode, deadline: Instant) -> Take {
        if let Some((indices, delivery)) = self.redeliveries.pop_front() {
            self.in_flight += 1;
            return Take::Work(indices, delivery + 1);
        }
        let over_budget = mode == Mode::PerEvent && Instant::now() >= deadline;
        if self.next_fresh < self.fresh_count && !over_budget {
            let n = self.next_fresh;
            self.next_fresh += 1;
            self.in_flight += 1;
            let indices = match mode {
                Mode::PerEvent => vec![n],
                Mode::Batched { size, .. } => (n * size..((n + 1) * size).min(self.events)).collect(),
            };
            return Take::Work(indices, 1);
        }
        if self.in_flight > 0 {
            return Take::Wait;
        }
        Take::Done { stopped_by_budget: self.next_fresh < self.fresh_count }
    }

    fn done(&mut self, failed: Vec<usize>, delivery: u32) {
        self.in_flight -= 1;
        if !failed.is_empty() && delivery < MAX_DELIVERIES {
            self.redeliveries.push_back((failed, delivery));
        }
    }
}

#[derive(Default)]
struct Tally {
    calls: usize,
    failed_calls: usize,
    failed_changes: usize,
    /// Changes delivered again after a failure (each time).
    redelivered: usize,
    /// Changes that failed at every delivery.
    lost: usize,
    first_error: Option<String>,
    stopped_by_budget: bool,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.calls += other.calls;
        self.failed_calls += other.failed_calls;
        self.failed_changes += other.failed_changes;
        self.redelivered += other.redelivered;
        self.lost += other.lost;
        self.stopped_by_budget |= other.stopped_by_budget;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// The report

/// 12345.6 as "12 345.6", as BENCHMARKS.md writes numbers.
fn spaced(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let (whole, fraction) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{grouped}.{fraction}"),
        None => grouped,
    }
}

fn short(operation: &str) -> &str {
    match operation {
        "TransactWriteItems" => "TWI",
        "BatchGetItem" => "BGI",
        "GetItem" => "Get",
        "PutItem" => "Put",
        other => other,
    }
}

fn describe(mode: Mode) -> String {
    match mode {
        Mode::PerEvent => "per event (`apply`)".into(),
        Mode::Batched { size, throttle } if throttle > 0.0 => {
            format!(
                "batches of {} (`apply_batch`), {:.0} % throttled",
                spaced(size as f64, 0),
                throttle * 100.0
            )
        }
        Mode::Batched { size, .. } => format!("batches of {} (`apply_batch`)", spaced(size as f64, 0)),
    }
}

fn row(run: &Run) -> String {
    let events = run.events.max(1) as f64;
    let by_operation: Vec<String> = run
        .counts
        .requests
        .iter()
        .map(|(operation, n)| format!("{} {:.3}", short(operation), *n as f64 / events))
        .collect();
    let throttled = if run.counts.throttled_total() > 0 {
        format!(
            "{} ({:.1} %)",
            run.counts.throttled_total(),
            100.0 * run.counts.throttled_total() as f64 / run.counts.total().max(1) as f64
        )
    } else {
        "0".into()
    };
    let errors: Vec<String> = run
        .counts
        .errors
        .iter()
        .map(|(name, n)| {
            let (operation, kind) = name.split_once(' ').unwrap_or((name, ""));
            let kind = match kind {
                "TransactionCanceledException" => "cancelled",
                "ConditionalCheckFailedException" => "condition failed",
                other => other,
            };
            format!("{} {kind} {n}", short(operation))
        })
        .collect();
    let exact = if run.exact() {
        "yes".to_owned()
    } else {
        format!(
            "**no** (expected {:?}, totals {:?}, latest sample {:?})",
            run.expected, run.totals, run.latest
        )
    };
    let applied = if run.stopped_by_budget {
        format!("{} (prefix, budget)", spaced(run.events as f64, 0))
    } else {
        spaced(run.events as f64, 0)
    };
    let tally = &run.tally;
    let failures = if tally.failed_calls == 0 {
        "0 / 0".to_owned()
    } else {
        format!(
            "**{} / {}** ({} redelivered, {} lost)",
            tally.failed_calls, tally.failed_changes, tally.redelivered, tally.lost
        )
    };
    format!(
        "| {} | {} | {} | {} | {:.1} s | **{}** | {:.3} | {} | {} | {} | {} | {} |",
        describe(run.mode),
        run.workers,
        spaced(tally.calls as f64, 0),
        applied,
        run.elapsed.as_secs_f64(),
        spaced(run.events_per_second(), 1),
        run.counts.total() as f64 / events,
        by_operation.join(", "),
        throttled,
        if errors.is_empty() { "0".to_owned() } else { errors.join(", ") },
        exact,
        failures,
    )
}

fn best(runs: &[Run], pick: impl Fn(&Run) -> bool) -> Option<&Run> {
    runs.iter().filter(|run| pick(run)).max_by(|a, b| a.events_per_second().total_cmp(&b.events_per_second()))
}

fn ratio(batched: Option<&Run>, per_event: Option<&Run>) -> String {
    match (batched, per_event) {
        (Some(b), Some(p)) => format!(
            "**{:.1}×** ({} ÷ {} events/s: {}, {} workers ÷ per event, {} workers)",
            b.events_per_second() / p.events_per_second(),
            spaced(b.events_per_second(), 1),
            spaced(p.events_per_second(), 1),
            describe(b.mode),
            b.workers,
            p.workers
        ),
        _ => "n/a".into(),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let per_event_budget = Duration::from_secs_f64(setting("INGEST_PER_EVENT_SECONDS", 60.0));
    let throttle: f64 = setting("INGEST_THROTTLE", 0.2);
    let proxy = Proxy::start().unwrap_or_else(|problem| {
        eprintln!("error: the ingest benchmark needs moto: {problem}");
        std::process::exit(1)
    });
    let base = aws_sdk_dynamodb::config::Builder::from(&testkit::sdk_config_for(&proxy.url()).await).build();
    let generated = burst();
    let distinct_keys =
        generated.events.iter().map(|e| e.key.as_str()).collect::<std::collections::HashSet<_>>();
    let whole = expected(&generated.events);
    println!(
        "burst: {} events of one bucket over {} keys ({} puts of new keys, {} overwrites, {} deletes, {} \
         delivered twice), shuffled (seed {SEED:#x}); exact totals after it: {} B in {} objects",
        spaced(generated.events.len() as f64, 0),
        spaced(distinct_keys.len() as f64, 0),
        spaced(generated.puts as f64, 0),
        spaced(generated.overwrites as f64, 0),
        spaced(generated.deletes as f64, 0),
        spaced(DUPLICATES as f64, 0),
        spaced(whole.size_bytes as f64, 0),
        spaced(whole.object_count as f64, 0),
    );
    println!(
        "proxy: {} ms before forwarding and {} ms before answering each request; moto serves one request at a \
         time{}",
        setting("INGEST_DELAY_MS", 5.0),
        setting("INGEST_DELAY_MS", 5.0),
        if std::env::var("INGEST_MOTO").is_ok_and(|v| v == "as-shipped") {
            " (moto as shipped: TransactWriteItems copies whole tables)"
        } else {
            " (TransactWriteItems rolls back from the items it names: see scripts/ingest_proxy.py)"
        }
    );
    println!(
        "per-event runs stop after {} s or at the end of the burst, applying it in order: their exactness \
         is checked against the model of the prefix they applied. Batched runs apply the whole burst.\n",
        per_event_budget.as_secs_f64()
    );

    let mut bench = Bench { proxy, base, burst: Arc::new(generated.events), per_event_budget, runs: 0 };
    let mut plan: Vec<(Mode, usize)> = PER_EVENT_WORKERS.iter().map(|&w| (Mode::PerEvent, w)).collect();
    for throttle in [0.0, throttle] {
        for size in BATCH_SIZES {
            for workers in BATCHED_WORKERS {
                plan.push((Mode::Batched { size, throttle }, workers));
            }
        }
    }

    println!(
        "| run | workers | calls | events applied | time | events/s | requests/event | requests/event by \
         operation | throttled answers | lost races (moto's error answers) | exact (totals and latest sample) | \
         failed calls / changes |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut runs = Vec::new();
    for (mode, workers) in plan {
        let run = bench.run(mode, workers).await;
        println!("{}", row(&run));
        if let Some(error) = &run.tally.first_error {
            let error: String = error.chars().take(400).collect();
            eprintln!("  first failure of this run: {error}");
        }
        runs.push(run);
    }

    let per_event = |run: &Run| run.mode == Mode::PerEvent;
    let batched = |run: &Run| matches!(run.mode, Mode::Batched { throttle, .. } if throttle == 0.0);
    let throttled = |run: &Run| matches!(run.mode, Mode::Batched { throttle, .. } if throttle > 0.0);
    println!();
    println!("- best batched ÷ best per event: {}", ratio(best(&runs, batched), best(&runs, per_event)));
    for size in BATCH_SIZES {
        println!(
            "- like for like, batches of {} by 8 workers ÷ per event by 16 workers: {}",
            spaced(size as f64, 0),
            ratio(
                best(
                    &runs,
                    |r| matches!(r.mode, Mode::Batched { size: s, throttle } if s == size && throttle == 0.0)
                        && r.workers == 8
                ),
                best(&runs, |r| per_event(r) && r.workers == 16)
            )
        );
    }
    println!(
        "- best batched with {:.0} % throttled ÷ best per event (unthrottled): {}",
        throttle * 100.0,
        ratio(best(&runs, throttled), best(&runs, per_event))
    );

    let bad: Vec<&Run> = runs.iter().filter(|run| !run.exact() || run.failures() > 0).collect();
    if bad.is_empty() {
        println!("\nevery run exact, no call or change failed");
    } else {
        eprintln!("\nerror: {} run(s) inexact or with failures:", bad.len());
        for run in bad {
            eprintln!(
                "  {} by {} workers: exact {}, {} failed calls, {} failed changes{}",
                describe(run.mode),
                run.workers,
                run.exact(),
                run.tally.failed_calls,
                run.tally.failed_changes,
                run.tally.first_error.as_deref().map(|e| format!(" (first: {e})")).unwrap_or_default()
            );
        }
        std::process::exit(1);
    }
}
