//! `tracker`: apply notification files, reconcile a bucket or move it to the spread layout, against the
//! configured store; move the events a queue holds into the events queue; or turn on a bucket's EventBridge
//! notifications, so that a deployment can track it.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use domain::{BucketName, Series};
use tracker::event::{Envelope, Notification, envelope_from_slice};
use tracker::reconcile::{Progress, reconcile};
use tracker::{RecordReport, Tracker};

use crate::eventbridge::{Enabled, enable_eventbridge};
use crate::redrive::{self, Redrive, redrive};
use crate::tracker_config::{LedgerStore, TrackerCliConfig};
use store_dynamodb::Layout;
use store_dynamodb::relayout::{Relayout, relayout};

#[derive(Debug, Parser)]
#[command(name = "tracker", version, about = "Keeps S3 bucket totals exact from S3 event notifications")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Applies files of S3 events (`-` reads stdin), each in any shape the Lambda function receives: an S3
    /// notification, an EventBridge event, an on-failure destination record, or an SQS batch of these.
    /// Prints one JSON line per record with the bucket's totals after it.
    Apply {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Lists the bucket, adds every key the store has never seen, and settles its parked events.
    Reconcile {
        /// The bucket to list (default: BUCKET_NAME).
        #[arg(long)]
        bucket: Option<BucketName>,
    },
    /// Moves a bucket tracked before rows were spread to the spread layout (DynamoDB only).
    ///
    /// A bucket the previous version tracked has all its key rows under one partition key and one totals
    /// row; this moves them, in place, to 32 partitions and 8 totals shards. Safe while the tracker runs: a
    /// change written meanwhile waits or is retried, never lost; running it again finishes what a stopped
    /// run began, or finds nothing to move.
    Relayout {
        /// The bucket to move (default: BUCKET_NAME).
        #[arg(long)]
        bucket: Option<BucketName>,
    },
    /// Moves the S3 events a queue holds (the DLQ, or the old on-failure queue) into the events queue.
    ///
    /// Drains `--from` into `--to` for the tracker's Lambda function to apply: each message is deleted from
    /// `--from` only once `--to` took it, an on-failure destination record is sent as its `requestPayload`,
    /// and a body the tracker cannot read stays in `--from` and is named. Stops when `--from` is empty.
    /// Prints one summary line. Running it again is safe: it moves what is still there, and the tracker
    /// skips an event it applied before.
    ///
    /// Exit codes: 0 all moved; 1 an SQS call failed (the summary says what moved before); 2 malformed
    /// messages left in `--from`; 3 more may be left (hidden by another consumer or an earlier run, or past
    /// `--max-messages`): run it again.
    #[command(after_long_help = "Reads no store setting: the AWS credentials, region and endpoint \
                                 (AWS_ENDPOINT_URL) come from the usual AWS configuration.")]
    Redrive {
        /// The queue to drain (its URL): the DLQ or the on-failure destination queue.
        #[arg(long, value_name = "QUEUE_URL")]
        from: String,
        /// The queue the tracker consumes (its URL).
        #[arg(long, value_name = "QUEUE_URL")]
        to: String,
        /// The most messages one run handles.
        #[arg(long, value_name = "N", default_value_t = redrive::Options::default().max_messages,
              value_parser = clap::value_parser!(u64).range(1..))]
        max_messages: u64,
    },
    /// Turns on the EventBridge notifications of buckets a deployment tracks but does not own.
    ///
    /// The deployment's rule (one per bucket of `trackedBuckets`) forwards each bucket's EventBridge events
    /// to the tracker's queue; S3 sends them once this is on. S3 writes a bucket's notification
    /// configuration as one document: this reads it, adds EventBridge, writes back every queue, topic and
    /// function notification as it was read, and reads it again to check that no other writer replaced it
    /// meanwhile. It writes nothing to a bucket whose EventBridge notifications are on already.
    ///
    /// Exit codes: 0 on for every bucket; 1 some bucket failed (each is named).
    #[command(
        name = "enable-eventbridge",
        after_long_help = "Reads no store setting: the AWS credentials, region and endpoint \
                           (AWS_ENDPOINT_URL) come from the usual AWS configuration. Needs \
                           s3:GetBucketNotification and s3:PutBucketNotification on each bucket."
    )]
    EnableEventbridge {
        /// A bucket to turn on (repeat for more).
        #[arg(long = "bucket", value_name = "BUCKET", required = true)]
        buckets: Vec<BucketName>,
    },
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Apply { files } => match open_store().await {
            Ok((tracker, _)) => apply_files(&tracker, &files).await,
            Err(code) => code,
        },
        Command::Reconcile { bucket } => match open_store().await {
            Ok((tracker, StoreContext { config, sdk })) => {
                let bucket = bucket.unwrap_or(config.bucket);
                reconcile_bucket(&tracker, &startup::s3_client(&sdk), &bucket).await
            }
            Err(code) => code,
        },
        Command::Relayout { bucket } => {
            let config = settings::or_exit(TrackerCliConfig::from_env);
            let bucket = bucket.unwrap_or_else(|| config.bucket.clone());
            relayout_bucket(&config.store, &bucket).await
        }
        // Reads and writes no store: only the AWS configuration.
        Command::Redrive { from, to, max_messages } => {
            let sqs = aws_sdk_sqs::Client::new(&startup::sdk_config().await);
            let options = redrive::Options { max_messages, ..redrive::Options::default() };
            redrive_queue(&sqs, &from, &to, options).await
        }
        Command::EnableEventbridge { buckets } => {
            let s3 = startup::s3_client(&startup::sdk_config().await);
            enable_eventbridge_on(&s3, &buckets).await
        }
    }
}

/// Runs `tracker enable-eventbridge`: one line per bucket, on stdout when it is on, on stderr when not.
async fn enable_eventbridge_on(s3: &aws_sdk_s3::Client, buckets: &[BucketName]) -> ExitCode {
    let mut failed = false;
    for bucket in buckets {
        match enable_eventbridge(s3, bucket).await {
            Ok(Enabled::Now { kept }) => {
                println!(
                    "s3://{bucket}: EventBridge notifications turned on; its {kept} are kept as they were"
                )
            }
            Ok(Enabled::Already { kept }) => {
                println!(
                    "s3://{bucket}: EventBridge notifications were on already (and {kept}); nothing written"
                )
            }
            Err(error) => {
                eprintln!("error: {}", domain::ErrorChain(&error));
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

async fn relayout_bucket(store: &LedgerStore, bucket: &BucketName) -> ExitCode {
    let LedgerStore::DynamoDb(tables) = store else {
        eprintln!(
            "error: relayout moves rows of the DynamoDB store, and the store is {store}, which has no layout"
        );
        return ExitCode::from(2);
    };
    let dynamodb = store_dynamodb::client(&startup::sdk_config().await);
    match relayout(&dynamodb, &tables.index, bucket, Layout::DEFAULT).await {
        Ok(Relayout::Moved { keys, layout }) => {
            println!(
                "moved {keys} key rows of {bucket} to {} partitions, its totals to {} shards",
                layout.object_partitions, layout.totals_shards
            );
            ExitCode::SUCCESS
        }
        Ok(Relayout::Already(layout)) => {
            println!(
                "{bucket} is spread over {} partitions and {} totals shards: nothing to move",
                layout.object_partitions, layout.totals_shards
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: moving {bucket} to the spread layout failed: {error}");
            ExitCode::FAILURE
        }
    }
}

struct StoreContext {
    config: TrackerCliConfig,
    sdk: aws_config::SdkConfig,
}

/// Reads the settings (a bad one exits with code 2) and opens the store they name.
async fn open_store() -> Result<(Tracker, StoreContext), ExitCode> {
    let config = settings::or_exit(TrackerCliConfig::from_env);
    let sdk = startup::sdk_config().await;
    eprintln!("tracker: store {}", config.store);
    match config.store.open(&sdk).await {
        Ok(ledger) => {
            // A versioned bucket's removed version is read from the bucket, as the Lambda function does.
            let current = std::sync::Arc::new(startup::s3_client(&sdk));
            let tracker = Tracker::new(ledger, config.rules.clone()).with_current_objects(current);
            Ok((tracker, StoreContext { config, sdk }))
        }
        Err(error) => {
            eprintln!("error: cannot open the store: {error}");
            Err(ExitCode::FAILURE)
        }
    }
}

fn read_input(path: &PathBuf) -> std::io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}

/// Applies each file on its own: a malformed file applies nothing and makes the exit code 2, the others
/// are still applied.
pub async fn apply_files(tracker: &Tracker, files: &[PathBuf]) -> ExitCode {
    let mut malformed = false;
    for path in files {
        let envelope = match read_input(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| envelope_from_slice(&bytes).map_err(|e| e.to_string()))
        {
            Ok(envelope) => envelope,
            Err(problem) => {
                eprintln!("error: {}: {problem}", path.display());
                malformed = true;
                continue;
            }
        };
        let notifications = match envelope {
            Envelope::Single(notification) => vec![Ok(notification)],
            Envelope::Sqs(messages) => messages
                .into_iter()
                .map(|message| message.notification.map_err(|e| format!("SQS message {}: {e}", message.id)))
                .collect(),
        };
        for notification in notifications {
            match notification {
                Ok(notification) => {
                    if let Err(problem) = apply_one(tracker, &notification).await {
                        eprintln!("error: {}: {problem}", path.display());
                        return ExitCode::FAILURE;
                    }
                }
                Err(problem) => {
                    eprintln!("error: {}: {problem}", path.display());
                    malformed = true;
                }
            }
        }
    }
    if malformed { ExitCode::from(2) } else { ExitCode::SUCCESS }
}

/// Applies one notification and prints a JSON line per record.
async fn apply_one(tracker: &Tracker, notification: &Notification) -> Result<(), String> {
    let reports = tracker.handle(notification).await.map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout().lock();
    for report in reports {
        let report =
            with_current_totals(tracker, report).await.map_err(|e| format!("the store failed: {e}"))?;
        let line = serde_json::to_string(&report).expect("a report serializes");
        let _ = writeln!(stdout, "{line}");
    }
    Ok(())
}

/// Fills in the totals of a record that was skipped before it reached the store.
async fn with_current_totals(
    tracker: &Tracker,
    report: RecordReport,
) -> Result<RecordReport, domain::StoreError> {
    match (&report.bucket, report.size_bytes) {
        (Some(bucket), None) => {
            let totals = tracker.ledger().totals(bucket).await?;
            Ok(report.with_totals(totals))
        }
        _ => Ok(report),
    }
}

/// Reconciles both series of the bucket (its objects, then its versions): one JSON report each.
async fn reconcile_bucket(tracker: &Tracker, s3: &aws_sdk_s3::Client, bucket: &BucketName) -> ExitCode {
    let on_terminal = std::io::stderr().is_terminal();
    let reserved = tracker.rules().reserved_prefixes_of(bucket);
    for series in Series::ALL {
        let listed = match series {
            Series::Current => "objects",
            Series::AllVersions => "versions",
        };
        let show = |progress: Progress| {
            if on_terminal {
                eprint!(
                    "\rlisted {} {listed}: {} added, {} removed, {} resized",
                    progress.listed, progress.added, progress.removed, progress.resized
                );
            }
        };
        let result = reconcile(s3, tracker.ledger().as_ref(), &series.of(bucket), &reserved, show).await;
        if on_terminal {
            eprintln!();
        }
        match result {
            Ok(report) => println!("{}", serde_json::to_string(&report).expect("a report serializes")),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Runs `tracker redrive`: the summary on stdout (also when an error stopped the run), the error on stderr.
pub async fn redrive_queue(
    sqs: &aws_sdk_sqs::Client,
    from: &str,
    to: &str,
    options: redrive::Options,
) -> ExitCode {
    match redrive(sqs, from, to, options).await {
        Ok(run) => {
            println!("{run}");
            redrive_exit_code(&run)
        }
        Err(interrupted) => {
            println!("{}", interrupted.so_far);
            eprintln!("error: {}", interrupted.error);
            ExitCode::FAILURE
        }
    }
}

fn redrive_exit_code(run: &Redrive) -> ExitCode {
    if !run.left.is_empty() {
        ExitCode::from(2)
    } else if !run.is_complete() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}
