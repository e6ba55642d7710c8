//! The `tracker` command line: `apply` applies the good files and refuses the bad ones; a failed
//! `reconcile` is one line; `enable-eventbridge` names each bucket (its work is in enable_eventbridge.rs).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use domain::{BucketName, Totals};
use store_sqlite::SqliteStore;
use tracker::{Tracker, TrackingRules};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tracker/tests/fixtures").join(name)
}

#[tokio::test]
async fn apply_applies_good_files_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap();
    let tracker = Tracker::new(Arc::new(store), TrackingRules::default()).with_clock(fixtures_era());
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"Records\": [").unwrap();
    let code = s3_size_micro::tracker_cli::apply_files(&tracker, &[fixture_path("s3-put.json"), bad]).await;
    assert_eq!(code, ExitCode::from(2));
    let bucket = BucketName::parse("size-tracking-local").unwrap();
    assert_eq!(tracker.ledger().totals(&bucket).await.unwrap(), Totals { size_bytes: 18, object_count: 1 });
}

/// Runs the `tracker` binary with only the variables given (and the moto endpoint for S3).
fn tracker_binary(args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tracker"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", testkit::moto_endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1");
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().expect("the tracker binary runs")
}

/// A listing that fails (the bucket does not exist) is one line naming the bucket, and exit code 1.
#[test]
fn reconcile_of_a_bucket_that_cannot_be_listed_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.sqlite3");
    let output = tracker_binary(
        &["reconcile", "--bucket", "no-such-bucket-for-reconcile"],
        &[("SQLITE_PATH", history.to_str().unwrap())],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|line| line.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].starts_with("error: listing s3://no-such-bucket-for-reconcile failed: "), "{stderr}");
    assert!(errors[0].contains("NoSuchBucket"), "{stderr}");
    assert!(output.stdout.is_empty(), "no report on a failure");
}

/// `relayout` concerns the DynamoDB store only; on it, a bucket met after the upgrade has nothing to move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayout_refuses_sqlite_and_finds_a_new_bucket_spread() {
    let refused = tracker_binary(&["relayout", "--bucket", "some-bucket"], &[]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.starts_with("error: relayout moves rows of the DynamoDB store"), "{stderr}");

    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let vars = [("HISTORY_TABLE", tables.history.as_str()), ("INDEX_TABLE", tables.index.as_str())];
    let spread = tracker_binary(&["relayout", "--bucket", "brand-new-bucket"], &vars);
    assert_eq!(spread.status.code(), Some(0), "{}", String::from_utf8_lossy(&spread.stderr));
    assert_eq!(
        String::from_utf8_lossy(&spread.stdout),
        "brand-new-bucket is spread over 32 partitions and 8 totals shards: nothing to move\n"
    );
}

/// A store that cannot be opened is exit code 1; a bad setting is exit code 2; both name the problem.
#[test]
fn the_exit_codes_say_what_failed() {
    let fixture = fixture_path("s3-put.json");
    let fixture = fixture.to_str().unwrap();
    let unopenable = tracker_binary(&["apply", fixture], &[("SQLITE_PATH", "/proc/no-such-dir/h.sqlite3")]);
    assert_eq!(unopenable.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unopenable.stderr);
    assert!(
        stderr.contains("error: cannot open the store: sqlite: cannot create /proc/no-such-dir"),
        "{stderr}"
    );

    let bad_setting = tracker_binary(&["apply", fixture], &[("HISTORY_BACKEND", "postgres")]);
    assert_eq!(bad_setting.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad_setting.stderr);
    assert!(stderr.starts_with("error: bad setting HISTORY_BACKEND: \"postgres\" is not one of"), "{stderr}");
}

/// `apply` takes an SQS batch as the Lambda function does: a malformed message is named and makes the exit
/// code 2, the other messages are applied.
#[tokio::test]
async fn apply_takes_an_sqs_batch_and_names_a_malformed_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap();
    let tracker = Tracker::new(Arc::new(store), TrackingRules::default()).with_clock(fixtures_era());
    let mut batch: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture_path("sqs-batch-s3.json")).unwrap()).unwrap();
    batch["Records"][2]["body"] = serde_json::Value::String("not json".into());
    let file = dir.path().join("batch.json");
    std::fs::write(&file, serde_json::to_vec(&batch).unwrap()).unwrap();
    let code = s3_size_micro::tracker_cli::apply_files(&tracker, &[file]).await;
    assert_eq!(code, ExitCode::from(2));
    // 18 B put, the 27 B overwrite malformed, then the delete and a 2 B put of another key.
    let bucket = BucketName::parse("size-tracking-local").unwrap();
    assert_eq!(tracker.ledger().totals(&bucket).await.unwrap(), Totals { size_bytes: 2, object_count: 1 });
}

/// The fixtures' events happened around 2026-11-24 and 2026-12-01: the tracker's clock stands between them,
/// so that none of them is too old to apply.
fn fixtures_era() -> domain::Clock {
    std::sync::Arc::new(|| 1_796_040_000_000) // 2026-11-30T12:00:00Z
}

/// `enable-eventbridge` prints a line per bucket, and fails naming the one it cannot read.
#[tokio::test]
async fn the_command_names_each_bucket_and_fails_for_one_it_cannot_read() {
    let s3 = startup::s3_client(&testkit::moto_sdk_config().await);
    let new_bucket = || async {
        let bucket = testkit::unique_name("existing");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        bucket
    };
    let (one, two) = (new_bucket().await, new_bucket().await);
    let output =
        tracker_binary(&["enable-eventbridge", "--bucket", one.as_str(), "--bucket", two.as_str()], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with(&format!("s3://{one}: EventBridge notifications turned on;")), "{stdout}");
    assert!(lines[1].starts_with(&format!("s3://{two}: EventBridge notifications turned on;")), "{stdout}");

    let output = tracker_binary(
        &["enable-eventbridge", "--bucket", one.as_str(), "--bucket", "no-such-bucket-here"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("s3://{one}: EventBridge notifications were on already")), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|line| line.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0]
            .starts_with("error: reading the notification configuration of s3://no-such-bucket-here failed"),
        "{stderr}"
    );
    assert!(errors[0].contains("NoSuchBucket"), "{stderr}");

    let refused = tracker_binary(&["enable-eventbridge", "--bucket", "Not_A_Bucket"], &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Not_A_Bucket"));
}
