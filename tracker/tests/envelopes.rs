//! Every shape S3 events reach the tracker in (`tests/fixtures/`, copied from the documented formats): an
//! SQS batch of notifications or of EventBridge events, an EventBridge event alone, the on-failure
//! destination record, a lifecycle expiration. A malformed SQS message fails only itself.

use std::path::PathBuf;
use std::sync::Arc;

use domain::{BucketName, ChangeKind, Totals};
use store_sqlite::SqliteStore;
use tracker::event::{Envelope, Notification, Record, envelope_from_slice};
use tracker::lambda::{Answer, BatchResponse, ItemFailure, handle};
use tracker::{Tracker, TrackingRules};

fn fixture(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

async fn tracker() -> (Tracker, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap();
    (Tracker::new(Arc::new(store), TrackingRules::default()).with_clock(fixtures_era()), dir)
}

async fn totals(tracker: &Tracker) -> Totals {
    tracker.ledger().totals(&BucketName::parse("size-tracking-local").unwrap()).await.unwrap()
}

fn no_failures() -> Answer {
    Answer::Batch(BatchResponse { batch_item_failures: vec![] })
}

#[tokio::test]
async fn an_sqs_batch_of_notifications_is_applied_message_by_message() {
    let (tracker, _dir) = tracker().await;
    // A test event, puts of 18 and 27 B, a delete, a put of 2 B.
    assert_eq!(handle(&tracker, fixture("sqs-batch-s3.json")).await.unwrap(), no_failures());
    assert_eq!(totals(&tracker).await, Totals { size_bytes: 2, object_count: 1 });
    // A redelivered batch changes nothing.
    assert_eq!(handle(&tracker, fixture("sqs-batch-s3.json")).await.unwrap(), no_failures());
    assert_eq!(totals(&tracker).await, Totals { size_bytes: 2, object_count: 1 });
}

#[tokio::test]
async fn a_malformed_message_fails_only_itself() {
    let (tracker, _dir) = tracker().await;
    let mut batch = fixture("sqs-batch-s3.json");
    let messages = batch["Records"].as_array_mut().unwrap();
    messages[4]["body"] = serde_json::Value::String("{\"Records\": [".into());
    let failed_id = messages[4]["messageId"].as_str().unwrap().to_owned();
    let answer = handle(&tracker, batch).await.unwrap();
    assert_eq!(
        answer,
        Answer::Batch(BatchResponse {
            batch_item_failures: vec![ItemFailure { item_identifier: failed_id }]
        })
    );
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "059f36b4-87a3-44ab-83d2-661975210004"}]})
    );
    // The others were applied: 18, 27, deleted; the 2 B put was the malformed one.
    assert_eq!(totals(&tracker).await, Totals::default());
}

#[tokio::test]
async fn eventbridge_events_alone_or_in_sqs_are_changes() {
    let Envelope::Single(Notification::Records(created)) =
        envelope_from_slice(&serde_json::to_vec(&fixture("eventbridge-object-created.json")).unwrap())
            .unwrap()
    else {
        panic!("one notification")
    };
    let [Record::Change(change, ..)] = created.as_slice() else { panic!("{created:?}") };
    assert_eq!(change.key.as_str(), "reports/2026 Q3+final.txt", "the key is URL-decoded");
    assert_eq!(change.kind, ChangeKind::Created { size: 1024 });
    assert_eq!(change.sequencer.as_str(), "00617F08299329D189");

    for name in ["eventbridge-object-deleted.json", "eventbridge-lifecycle-expiration.json"] {
        let Envelope::Single(Notification::Records(records)) =
            envelope_from_slice(&serde_json::to_vec(&fixture(name)).unwrap()).unwrap()
        else {
            panic!("{name}: one notification")
        };
        assert!(
            matches!(records.as_slice(), [Record::Change(c, ..)] if c.kind == ChangeKind::Removed),
            "{name}"
        );
    }

    let (tracker, _dir) = tracker().await;
    // Created 1 KiB, deleted (a delete marker), and another key expired by lifecycle.
    assert_eq!(handle(&tracker, fixture("sqs-batch-eventbridge.json")).await.unwrap(), no_failures());
    assert_eq!(totals(&tracker).await, Totals::default());
}

#[tokio::test]
async fn an_on_failure_record_applies_the_event_it_carries() {
    let (tracker, _dir) = tracker().await;
    let Answer::Summary(summary) =
        handle(&tracker, fixture("lambda-destination-on-failure.json")).await.unwrap()
    else {
        panic!("a single notification is answered with a summary")
    };
    assert_eq!((summary.records, summary.applied), (1, 1));
    assert_eq!(totals(&tracker).await, Totals { size_bytes: 18, object_count: 1 });
}

#[tokio::test]
async fn a_lifecycle_expiration_removes_the_object() {
    let (tracker, _dir) = tracker().await;
    let put = serde_json::json!({"Records": [{
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "size-tracking-local"},
               "object": {"key": "logs/old.log", "size": 700, "sequencer": "0062B1A6F0A1B2C300"}}
    }]});
    handle(&tracker, put).await.unwrap();
    assert_eq!(totals(&tracker).await, Totals { size_bytes: 700, object_count: 1 });
    handle(&tracker, fixture("s3-lifecycle-expiration.json")).await.unwrap();
    assert_eq!(totals(&tracker).await, Totals::default());
}

/// The fixtures' events happened around 2026-11-24 and 2026-12-01: the tracker's clock stands between them,
/// so that none of them is too old to apply.
fn fixtures_era() -> domain::Clock {
    std::sync::Arc::new(|| 1_796_040_000_000) // 2026-11-30T12:00:00Z
}

#[test]
fn a_version_removed_for_good_is_told_apart_from_a_delete_marker() {
    let records = |value: serde_json::Value| match envelope_from_slice(&serde_json::to_vec(&value).unwrap()) {
        Ok(Envelope::Single(Notification::Records(records))) => records,
        other => panic!("one notification, got {other:?}"),
    };
    let put = records(fixture("s3-versioned-put.json"));
    assert!(
        matches!(put.as_slice(), [Record::Change(c, ..)] if matches!(c.kind, ChangeKind::Created { .. }))
    );
    let marker = records(fixture("s3-versioned-delete-marker.json"));
    assert!(
        matches!(marker.as_slice(), [Record::Change(c, ..)] if c.kind == ChangeKind::Removed),
        "{marker:?}"
    );
    let removed = records(fixture("s3-versioned-delete-version.json"));
    assert!(
        matches!(removed.as_slice(), [Record::VersionRemoved(c, ..)] if c.key.as_str() == "doc.txt"),
        "{removed:?}"
    );

    // Through EventBridge: a version permanently deleted, as against a delete marker created.
    let mut permanently = fixture("eventbridge-object-deleted.json");
    permanently["detail"]["deletion-type"] = "Permanently Deleted".into();
    assert!(matches!(records(permanently.clone()).as_slice(), [Record::VersionRemoved(..)]));
    assert!(matches!(records(fixture("eventbridge-object-deleted.json")).as_slice(), [Record::Change(..)]));
    // Unversioned, a permanent deletion names no version: the key is gone.
    permanently["detail"]["object"].as_object_mut().unwrap().remove("version-id");
    assert!(
        matches!(records(permanently).as_slice(), [Record::Change(c, ..)] if c.kind == ChangeKind::Removed)
    );
}

#[test]
fn each_record_names_its_change_of_the_version_in_the_all_versions_series() {
    let version_of = |value: serde_json::Value| {
        let Ok(Envelope::Single(Notification::Records(records))) =
            envelope_from_slice(&serde_json::to_vec(&value).unwrap())
        else {
            panic!("one notification")
        };
        let [Record::Change(_, _, version) | Record::VersionRemoved(_, _, version)] = records.as_slice()
        else {
            panic!("one change: {records:?}")
        };
        let version = version.clone().expect("a version row");
        assert_eq!(version.bucket.as_str(), "size-tracking-local:all-versions");
        (version.key.as_str().to_owned(), version.kind)
    };
    // A put makes its version; a delete marker is a version of 0 bytes; a deletion removes its version.
    let cases = [
        ("s3-versioned-put.json", "doc.txt\u{0}3HL4kqtJvjVBH40Nrjfkd", ChangeKind::Created { size: 20 }),
        ("s3-versioned-delete-marker.json", "doc.txt\0GhQ7lOKp1NzA9W3mxdEc", ChangeKind::Created { size: 0 }),
        ("s3-versioned-delete-version.json", "doc.txt\u{0}2XKl9dh6Nv8bCdpSm3Ok", ChangeKind::Removed),
        // Unversioned: the `null` version.
        ("s3-put.json", "assignment1.txt\0null", ChangeKind::Created { size: 18 }),
        ("s3-delete.json", "assignment1.txt\0null", ChangeKind::Removed),
    ];
    for (name, row, kind) in cases {
        assert_eq!(version_of(fixture(name)), (row.to_owned(), kind), "{name}");
    }
    // Through EventBridge: a delete marker created, or a version permanently deleted.
    let marker = fixture("eventbridge-object-deleted.json");
    let (row, kind) = version_of(marker.clone());
    assert_eq!(
        (row.ends_with("\u{0}1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF"), kind),
        (true, ChangeKind::Created { size: 0 })
    );
    let mut permanently = marker;
    permanently["detail"]["deletion-type"] = "Permanently Deleted".into();
    assert_eq!(version_of(permanently).1, ChangeKind::Removed);
}

#[tokio::test]
async fn a_removed_version_with_no_bucket_to_read_fails_its_message_and_no_other() {
    let (tracker, _dir) = tracker().await;
    let mut batch = fixture("sqs-batch-s3.json");
    let messages = batch["Records"].as_array_mut().unwrap();
    messages.truncate(2);
    messages[0]["body"] = fixture("s3-put.json").to_string().into();
    messages[1]["body"] = fixture("s3-versioned-delete-version.json").to_string().into();
    let failed = messages[1]["messageId"].as_str().unwrap().to_owned();
    assert_eq!(
        handle(&tracker, batch).await.unwrap(),
        Answer::Batch(BatchResponse { batch_item_failures: vec![ItemFailure { item_identifier: failed }] })
    );
    assert_eq!(totals(&tracker).await, Totals { size_bytes: 18, object_count: 1 }, "the put was applied");
}
