//! Any history of puts, overwrites and deletes, delivered with duplicates and in any order, ends with
//! exact totals: thousands of histories on SQLite, a few dozen on DynamoDB (moto).

use std::sync::Arc;

use chrono::Utc;
use domain::{BucketName, Ledger, Totals};
use proptest::prelude::*;
use store_dynamodb::DynamoStore;
use store_sqlite::SqliteStore;
use tracker::Tracker;
use tracker::event::compose::{OutgoingKind, OutgoingRecord, notification_json};
use tracker::event::notification_from_value;

const BUCKET: &str = "property-bucket";
const KEYS: [&str; 4] = ["a.txt", "dir/b.txt", "c d.txt", "plots/ignored.png"];

#[derive(Debug, Clone, Copy)]
enum Op {
    Put(u64),
    Delete,
}

/// The events of a history (sequencers rise in history order) and the order they are delivered in.
fn scenario() -> impl Strategy<Value = (Vec<(usize, Op)>, Vec<usize>)> {
    let op = prop_oneof![3 => (0u64..5_000).prop_map(Op::Put), 1 => Just(Op::Delete)];
    prop::collection::vec((0..KEYS.len(), op), 1..40)
        .prop_flat_map(|history| {
            let n = history.len();
            (Just(history), prop::collection::vec(1..=3usize, n))
        })
        .prop_flat_map(|(history, copies)| {
            let deliveries: Vec<usize> =
                copies.iter().enumerate().flat_map(|(i, &c)| std::iter::repeat_n(i, c)).collect();
            (Just(history), Just(deliveries).prop_shuffle())
        })
}

fn expected_totals(history: &[(usize, Op)]) -> Totals {
    let mut last: [Option<Op>; KEYS.len()] = [None; KEYS.len()];
    for &(key, op) in history {
        last[key] = Some(op);
    }
    let mut totals = Totals::default();
    for (key, op) in last.iter().enumerate() {
        if let (Some(Op::Put(size)), false) = (op, KEYS[key].starts_with("plots/")) {
            totals.size_bytes += size;
            totals.object_count += 1;
        }
    }
    totals
}

async fn deliver(tracker: &Tracker, history: &[(usize, Op)], deliveries: &[usize]) -> Totals {
    for &i in deliveries {
        let (key, op) = history[i];
        let kind = match op {
            Op::Put(size) => OutgoingKind::Created { how: "Put", size, etag: format!("{i:x}") },
            Op::Delete => OutgoingKind::Removed,
        };
        let record = OutgoingRecord {
            bucket: BUCKET.into(),
            key: KEYS[key].into(),
            kind,
            sequencer: format!("{:016X}", i + 1),
            time: Utc::now(),
        };
        let notification = notification_from_value(notification_json(&[record])).unwrap();
        tracker.handle(&notification).await.unwrap();
    }
    tracker.ledger().totals(&BucketName::parse(BUCKET).unwrap()).await.unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    #[test]
    fn any_delivery_order_gives_exact_totals_on_sqlite((history, deliveries) in scenario()) {
        let totals = runtime().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store: Arc<dyn Ledger> = Arc::new(SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap());
            deliver(&Tracker::new(store, tracker::TrackingRules::default()), &history, &deliveries).await
        });
        prop_assert_eq!(totals, expected_totals(&history));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn any_delivery_order_gives_exact_totals_on_dynamodb((history, deliveries) in scenario()) {
        let totals = runtime().block_on(async {
            let sdk = testkit::moto_sdk_config().await;
            let tables = testkit::moto_tables(&sdk).await;
            let store: Arc<dyn Ledger> = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &tables));
            deliver(&Tracker::new(store, tracker::TrackingRules::default()), &history, &deliveries).await
        });
        prop_assert_eq!(totals, expected_totals(&history));
    }
}
