//! The S3 notification samples in `fixtures/`, parsed and applied to a real (SQLite) ledger.

use std::path::PathBuf;
use std::sync::Arc;

use std::sync::atomic::{AtomicUsize, Ordering};

use domain::{BucketName, ChangeKind, StoreError, Totals};
use store_sqlite::SqliteStore;
use testkit::ledger::{Around, LedgerCall, Work, Wrapped};
use tracker::event::{Notification, Record, parse_notification};
use tracker::{SkipReason, Tracker, TrackingRules};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn only_change(name: &str) -> domain::ObjectChange {
    match parse_notification(&fixture(name)).unwrap() {
        Notification::Records(records) => match records.as_slice() {
            [Record::Change(change, ..)] => change.clone(),
            other => panic!("{name}: expected one change, got {other:?}"),
        },
        other => panic!("{name}: expected records, got {other:?}"),
    }
}

fn summary_of(answer: tracker::lambda::Answer) -> tracker::lambda::Summary {
    match answer {
        tracker::lambda::Answer::Summary(summary) => summary,
        other => panic!("a direct notification is answered with a summary, got {other:?}"),
    }
}

async fn tracker() -> (Tracker, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap();
    (Tracker::new(Arc::new(store), tracker::TrackingRules::default()).with_clock(fixtures_era()), dir)
}

const IN_ORDER: [&str; 10] = [
    "s3-test-event.json",
    "s3-put.json",
    "s3-overwrite.json",
    "s3-delete.json",
    "s3-put-encoded-key.json",
    "s3-copy.json",
    "s3-multipart.json",
    "s3-plot-write.json",
    // assignment2.txt (2 B) is put, then hidden by a delete marker: the marker removes a key that exists.
    "s3-put-before-marker.json",
    "s3-delete-marker.json",
];

const FINAL: Totals = Totals { size_bytes: 1024 + 2 + 10_485_760, object_count: 3 };

#[test]
fn each_kind_of_record_is_understood() {
    assert_eq!(parse_notification(&fixture("s3-test-event.json")).unwrap(), Notification::Test);
    assert_eq!(only_change("s3-put.json").kind, ChangeKind::Created { size: 18 });
    assert_eq!(only_change("s3-overwrite.json").kind, ChangeKind::Created { size: 27 });
    assert_eq!(only_change("s3-copy.json").kind, ChangeKind::Created { size: 2 });
    assert_eq!(only_change("s3-multipart.json").kind, ChangeKind::Created { size: 10_485_760 });
    assert_eq!(only_change("s3-delete.json").kind, ChangeKind::Removed);
    assert_eq!(only_change("s3-delete-marker.json").kind, ChangeKind::Removed);
    let encoded = only_change("s3-put-encoded-key.json");
    assert_eq!(encoded.key.as_str(), "reports/2026 Q3+final été.txt");
    assert_eq!(encoded.sequencer.as_str(), "0062B1A6F0A1B2C401");
}

#[tokio::test]
async fn the_samples_in_order_give_exact_totals() {
    let (tracker, _dir) = tracker().await;
    let bucket = BucketName::parse("size-tracking-local").unwrap();
    let mut sizes = Vec::new();
    for name in IN_ORDER {
        let reports = tracker.handle(&parse_notification(&fixture(name)).unwrap()).await.unwrap();
        sizes.extend(reports.iter().map(|r| (r.reason, r.size_bytes)));
    }
    assert_eq!(
        sizes,
        vec![
            (Some(SkipReason::TestEvent), None),
            (None, Some(18)),
            (None, Some(27)),
            (None, Some(0)),
            (None, Some(1024)),
            (None, Some(1026)),
            (None, Some(10_486_786)),
            (Some(SkipReason::ReservedPrefix), None),
            (None, Some(10_486_788)),
            (None, Some(10_486_786)),
        ]
    );
    assert_eq!(tracker.ledger().totals(&bucket).await.unwrap(), FINAL);
}

#[tokio::test]
async fn reversed_and_repeated_delivery_gives_the_same_totals() {
    let (tracker, _dir) = tracker().await;
    let bucket = BucketName::parse("size-tracking-local").unwrap();
    for name in IN_ORDER.iter().rev().chain(IN_ORDER.iter()) {
        tracker.handle(&parse_notification(&fixture(name)).unwrap()).await.unwrap();
    }
    assert_eq!(tracker.ledger().totals(&bucket).await.unwrap(), FINAL);
}

#[tokio::test]
async fn the_plot_write_never_changes_the_size() {
    let (tracker, _dir) = tracker().await;
    let reports = tracker.handle(&parse_notification(&fixture("s3-plot-write.json")).unwrap()).await.unwrap();
    assert_eq!(reports[0].reason, Some(SkipReason::ReservedPrefix));
    let bucket = BucketName::parse("size-tracking-local").unwrap();
    assert_eq!(tracker.ledger().totals(&bucket).await.unwrap(), Totals::default());
}

#[tokio::test]
async fn untracked_buckets_are_skipped() {
    let (tracker, _dir) = tracker().await;
    let only_another = TrackingRules::only(vec![BucketName::parse("another-bucket").unwrap()]);
    let tracker = Tracker::new(tracker.ledger().clone(), only_another).with_clock(fixtures_era());
    let reports = tracker.handle(&parse_notification(&fixture("s3-put.json")).unwrap()).await.unwrap();
    assert_eq!(reports[0].reason, Some(SkipReason::UntrackedBucket));
}

#[test]
fn malformed_notifications_name_the_problem() {
    let cases: &[(&str, &str)] = &[
        ("{not json", "not valid JSON"),
        (r#"{"hello": 1}"#, "not an S3 event notification"),
        (
            &String::from_utf8(fixture("s3-put.json")).unwrap().replace("\"size\": 18", "\"size\": -1"),
            "record 0: s3.object.size is negative",
        ),
        (
            &String::from_utf8(fixture("s3-put.json")).unwrap().replace("0062B1A6F0A1B2C3D4", "xyz"),
            "record 0: invalid sequencer",
        ),
        (
            &String::from_utf8(fixture("s3-put.json"))
                .unwrap()
                .replace("\"size-tracking-local\"", "\"Not_A_Bucket\""),
            "record 0: invalid bucket name",
        ),
    ];
    for (input, expected) in cases {
        let error = parse_notification(input.as_bytes()).unwrap_err().to_string();
        assert!(error.starts_with(expected), "{error:?} should start with {expected:?}");
    }
}

#[tokio::test]
async fn the_lambda_handler_summarises_and_fails_on_bad_input() {
    let (tracker, _dir) = tracker().await;
    let payload: serde_json::Value = serde_json::from_slice(&fixture("s3-put.json")).unwrap();
    let summary = summary_of(tracker::lambda::handle(&tracker, payload.clone()).await.unwrap());
    assert_eq!((summary.records, summary.applied, summary.skipped), (1, 1, 0));
    let again = summary_of(tracker::lambda::handle(&tracker, payload).await.unwrap());
    assert_eq!((again.applied, again.skipped), (0, 1), "a redelivery is skipped");
    let bad = tracker::lambda::handle(&tracker, serde_json::json!({"Records": [{}]})).await;
    match bad {
        Err(tracker::lambda::HandlerError::Event(error)) => {
            assert!(error.to_string().starts_with("not an S3 event notification"), "{error}")
        }
        other => panic!("a malformed notification is an event error, got {other:?}"),
    }
}

/// Fails a ledger's `fail_at`-th batch (counting from 1) once, as a store outage would.
struct FailingOnce {
    calls: AtomicUsize,
    fail_at: usize,
}

#[async_trait::async_trait]
impl Around for FailingOnce {
    async fn around<'a, T: Send + 'a>(
        &'a self,
        call: LedgerCall,
        work: Work<'a, T>,
    ) -> Result<T, StoreError> {
        if call == LedgerCall::ApplyBatch && self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at {
            return Err(StoreError::backend("test", "the store is unavailable"));
        }
        work.await
    }
}

/// A store failure fails the whole notification (so Lambda delivers it again), and the redelivery
/// applies it without counting a record twice: the put delivered before is a duplicate, and within the
/// notification the last change of the key decides.
#[tokio::test]
async fn a_store_failure_fails_the_notification_and_the_redelivery_completes_it() {
    let (plain, _dir) = tracker().await;
    let failing = FailingOnce { calls: AtomicUsize::new(0), fail_at: 2 };
    let ledger = Arc::new(Wrapped::new(plain.ledger().clone(), failing));
    let tracker = Tracker::new(ledger, TrackingRules::default()).with_clock(fixtures_era());
    let put: serde_json::Value = serde_json::from_slice(&fixture("s3-put.json")).unwrap();
    summary_of(tracker::lambda::handle(&tracker, put).await.unwrap());
    let mut records = Vec::new();
    for name in ["s3-put.json", "s3-overwrite.json", "s3-delete.json"] {
        let value: serde_json::Value = serde_json::from_slice(&fixture(name)).unwrap();
        records.extend(value["Records"].as_array().unwrap().iter().cloned());
    }
    let three = serde_json::json!({ "Records": records });
    let failed = tracker::lambda::handle(&tracker, three.clone()).await;
    assert!(matches!(failed, Err(tracker::lambda::HandlerError::Track(_))), "{failed:?}");
    let bucket = BucketName::parse("size-tracking-local").unwrap();
    assert_eq!(tracker.ledger().totals(&bucket).await.unwrap(), Totals { size_bytes: 18, object_count: 1 });
    let summary = summary_of(tracker::lambda::handle(&tracker, three).await.unwrap());
    assert_eq!(
        (summary.records, summary.applied, summary.skipped),
        (3, 1, 2),
        "the put is a duplicate and the overwrite is superseded by the delete"
    );
    assert_eq!(tracker.ledger().totals(&bucket).await.unwrap(), Totals::default());
}

/// The fixtures' events happened around 2026-11-24 and 2026-12-01: the tracker's clock stands between them,
/// so that none of them is too old to apply.
fn fixtures_era() -> domain::Clock {
    std::sync::Arc::new(|| 1_796_040_000_000) // 2026-11-30T12:00:00Z
}
