//! Senders that give no sequencer (moto, some S3-compatible servers) order changes by `eventTime`
//! alone, so two changes of one key in the same instant tie. Only the object itself says which came last:
//! the tracker settles the tie from its current state, in whatever order the records arrive.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use domain::{BucketName, ObjectKey, Totals};
use store_sqlite::SqliteStore;
use tracker::event::notification_from_value;
use tracker::{CurrentObjects, Tracker, TrackingRules};

const BUCKET: &str = "tie-bucket";
const INSTANT: &str = "2026-12-01T21:30:54.913Z";

/// The bucket as S3 holds it now.
#[derive(Default)]
struct Objects(Mutex<HashMap<String, u64>>);

#[async_trait]
impl CurrentObjects for Objects {
    async fn size_of(
        &self,
        _bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.0.lock().unwrap().get(key.as_str()).copied())
    }
}

/// One record with no sequencer, stamped `INSTANT`: a put of `size` bytes, or a delete.
fn record(key: &str, put: Option<u64>) -> serde_json::Value {
    let (name, object) = match put {
        Some(size) => ("ObjectCreated:Put", serde_json::json!({"key": key, "size": size})),
        None => ("ObjectRemoved:Delete", serde_json::json!({"key": key})),
    };
    serde_json::json!({"Records": [{
        "eventName": name,
        "eventTime": INSTANT,
        "s3": {"bucket": {"name": BUCKET}, "object": object}
    }]})
}

async fn deliver_all(tracker: &Tracker, records: &[&serde_json::Value]) -> Totals {
    for record in records {
        tracker.handle(&notification_from_value((*record).clone()).unwrap()).await.unwrap();
    }
    tracker.ledger().totals(&BucketName::parse(BUCKET).unwrap()).await.unwrap()
}

async fn tracker_over(objects: Arc<Objects>) -> (Tracker, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap();
    (Tracker::new(Arc::new(store), TrackingRules::default()).with_current_objects(objects), dir)
}

#[tokio::test]
async fn two_puts_in_one_instant_end_as_the_object_is_in_any_order() {
    let (first, second) = (record("k.txt", Some(10)), record("k.txt", Some(20)));
    let orders: [&[&serde_json::Value]; 4] = [
        &[&first, &second],
        &[&second, &first],
        &[&first, &second, &first, &second],
        &[&second, &second, &first, &first],
    ];
    for order in orders {
        let objects = Arc::new(Objects::default());
        objects.0.lock().unwrap().insert("k.txt".into(), 20);
        let (tracker, _dir) = tracker_over(objects).await;
        assert_eq!(deliver_all(&tracker, order).await, Totals { size_bytes: 20, object_count: 1 });
    }
}

#[tokio::test]
async fn a_put_and_a_delete_in_one_instant_end_as_the_object_is() {
    let (put, delete) = (record("k.txt", Some(10)), record("k.txt", None));
    for order in [[&put, &delete], [&delete, &put]] {
        let (tracker, _dir) = tracker_over(Arc::new(Objects::default())).await;
        assert_eq!(deliver_all(&tracker, &order).await, Totals::default(), "the object is gone");
    }
}

#[tokio::test]
async fn a_later_change_still_orders_after_a_settled_tie() {
    let objects = Arc::new(Objects::default());
    objects.0.lock().unwrap().insert("k.txt".into(), 20);
    let (tracker, _dir) = tracker_over(objects).await;
    let later = serde_json::json!({"Records": [{
        "eventName": "ObjectCreated:Put",
        "eventTime": "2026-12-01T21:30:54.914Z",
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": "k.txt", "size": 7}}
    }]});
    let (first, second) = (record("k.txt", Some(10)), record("k.txt", Some(20)));
    let totals = deliver_all(&tracker, &[&first, &second, &later]).await;
    assert_eq!(totals, Totals { size_bytes: 7, object_count: 1 });
}
