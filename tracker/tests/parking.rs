//! On DynamoDB (whose tombstones expire), events older than the tombstone lifetime are parked, not applied
//! (the tombstone that would refuse an old put may be gone), and reconcile settles their keys from the
//! bucket. SQLite keeps its tombstones, so nothing is too old for it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use domain::{BucketName, ObjectKey, TOMBSTONE_LIFETIME, Totals};
use store_dynamodb::DynamoStore;
use store_sqlite::SqliteStore;
use tracker::event::compose::{OutgoingKind, OutgoingRecord, notification_json};
use tracker::event::notification_from_value;
use tracker::reconcile::settle_parked;
use tracker::{CurrentObjects, Outcome, SkipReason, Tracker, TrackingRules};

const BUCKET: &str = "parking-bucket";

/// The bucket as it is now, for settling.
struct Bucket(HashMap<&'static str, u64>);

#[async_trait]
impl CurrentObjects for Bucket {
    async fn size_of(
        &self,
        _bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.0.get(key.as_str()).copied())
    }
}

async fn tracker() -> Tracker {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    Tracker::new(
        Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &tables)),
        TrackingRules::default(),
    )
}

/// A put of `key` that happened `age` ago.
async fn put(
    tracker: &Tracker,
    key: &str,
    sequencer: &str,
    size: u64,
    age: Duration,
) -> tracker::RecordReport {
    let record = OutgoingRecord {
        bucket: BUCKET.into(),
        key: key.into(),
        kind: OutgoingKind::Created { how: "Put", size, etag: "e".into() },
        sequencer: sequencer.into(),
        time: Utc::now() - age,
    };
    let notification = notification_from_value(notification_json(&[record])).unwrap();
    tracker.handle(&notification).await.unwrap().remove(0)
}

fn bucket() -> BucketName {
    BucketName::parse(BUCKET).unwrap()
}

const OLD: Duration = Duration::from_secs(TOMBSTONE_LIFETIME.as_secs() + 3600);
const RECENT: Duration = Duration::from_secs(TOMBSTONE_LIFETIME.as_secs() - 3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_older_than_the_tombstones_is_parked_and_reconcile_settles_its_key() {
    let tracker = tracker().await;
    let ledger = tracker.ledger().as_ref();
    // A put redriven long after: the key was deleted since, and its tombstone may have expired.
    let report = put(&tracker, "gone.txt", "10", 500, OLD).await;
    assert_eq!((report.outcome, report.reason), (Outcome::Skipped, Some(SkipReason::Parked)));
    assert_eq!(ledger.totals(&bucket()).await.unwrap(), Totals::default(), "not applied blindly");
    assert_eq!(ledger.parked(&bucket()).await.unwrap().len(), 1);
    // Parking it again (a second redrive) keeps it once.
    put(&tracker, "gone.txt", "10", 500, OLD).await;
    assert_eq!(ledger.parked(&bucket()).await.unwrap().len(), 1);

    // The bucket does not hold it: settled as removed.
    assert_eq!(settle_parked(ledger, &Bucket(HashMap::new()), &bucket()).await.unwrap(), 1);
    assert_eq!(ledger.totals(&bucket()).await.unwrap(), Totals::default());
    assert!(ledger.parked(&bucket()).await.unwrap().is_empty());
    // And the old put, delivered once more, is now refused by the settled state.
    put(&tracker, "gone.txt", "10", 500, RECENT).await;
    assert_eq!(ledger.totals(&bucket()).await.unwrap(), Totals::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settling_takes_the_object_as_it_is_and_never_overrides_a_newer_change() {
    let tracker = tracker().await;
    let ledger = tracker.ledger().as_ref();
    // A recent event applies as usual.
    assert_eq!(put(&tracker, "newer.txt", "20", 3, RECENT).await.outcome, Outcome::Applied);
    put(&tracker, "newer.txt", "05", 999, OLD).await;
    put(&tracker, "kept.txt", "07", 40, OLD).await;
    let now = Bucket(HashMap::from([("newer.txt", 3), ("kept.txt", 41)]));
    assert_eq!(settle_parked(ledger, &now, &bucket()).await.unwrap(), 2);
    // newer.txt keeps its newer change; kept.txt is what the bucket holds now.
    assert_eq!(ledger.totals(&bucket()).await.unwrap(), Totals { size_bytes: 3 + 41, object_count: 2 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_counts_what_it_parked_applied_and_failed() {
    let tracker = tracker().await;
    let body = |key: &str, age: Duration| {
        let record = OutgoingRecord {
            bucket: BUCKET.into(),
            key: key.into(),
            kind: OutgoingKind::Created { how: "Put", size: 5, etag: "e".into() },
            sequencer: "01".into(),
            time: Utc::now() - age,
        };
        notification_json(&[record]).to_string()
    };
    let message = |id: &str, body: String| serde_json::json!({ "messageId": id, "body": body, "eventSource": "aws:sqs" });
    let batch = serde_json::json!({ "Records": [
        message("old", body("old.txt", OLD)),
        message("recent", body("recent.txt", RECENT)),
        message("broken", "{ not json".into()),
    ]});
    let (_, counts) = tracker::lambda::handle_counted(&tracker, batch).await.unwrap();
    assert_eq!(
        (counts.applied, counts.skipped_total(), counts.parked, counts.failed_messages, counts.messages),
        (1, 0, 1, 1, 3)
    );
    let line: serde_json::Value = serde_json::from_str(&counts.emf_lines(0)[0]).unwrap();
    assert_eq!(line["RecordsParked"], 1);
}

#[tokio::test]
async fn sqlite_keeps_its_tombstones_so_no_event_is_parked() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap();
    let tracker = Tracker::new(Arc::new(store), TrackingRules::default());
    assert_eq!(put(&tracker, "old.txt", "01", 5, OLD).await.outcome, Outcome::Applied);
    assert_eq!(tracker.ledger().totals(&bucket()).await.unwrap(), Totals { size_bytes: 5, object_count: 1 });
}
