//! A bucket tracked before the ledger spread its rows keeps working as it is after an upgrade (nothing to
//! migrate first), and `relayout` moves it to the spread layout in place, while a ledger that still knows
//! the old layout keeps writing: nothing is lost, nothing counted twice.

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{
    ApplyOutcome, BucketName, ChangeKind, History, Ledger, ObjectChange, ObjectKey, Sequencer, SkipReason,
    Totals,
};
use store_dynamodb::relayout::{Relayout, relayout};
use store_dynamodb::{DynamoStore, Layout, Tables};

fn change(bucket: &BucketName, key: &str, sequencer: &str, kind: ChangeKind) -> ObjectChange {
    ObjectChange {
        bucket: bucket.clone(),
        key: ObjectKey::parse(key).unwrap(),
        sequencer: Sequencer::parse(sequencer).unwrap(),
        kind,
    }
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The rows the ledger wrote before layouts: 150 live keys of `i` bytes and one tombstone under
/// `obj#<bucket>`, and one totals row.
async fn write_unspread_rows(
    client: &aws_sdk_dynamodb::Client,
    tables: &Tables,
    bucket: &BucketName,
) -> Totals {
    for i in 0..=150u64 {
        let present = i < 150;
        let mut put = client
            .put_item()
            .table_name(&tables.index)
            .item("pk", s(format!("obj#{bucket}")))
            .item("sk", s(format!("k/{i}")))
            .item("size", n(if present { i } else { 0 }))
            .item("sequencer", s("05"))
            .item("present", AttributeValue::Bool(present));
        if !present {
            put = put.item("expires_at", n(4_000_000_000u64));
        }
        put.send().await.unwrap();
    }
    let totals = Totals { size_bytes: (0..150).sum(), object_count: 150 };
    client
        .put_item()
        .table_name(&tables.index)
        .item("pk", s(format!("total#{bucket}")))
        .item("sk", s("-"))
        .item("size_bytes", n(totals.size_bytes))
        .item("object_count", n(totals.object_count))
        .item("version", n(151))
        .item("last_ts", n(1_000))
        .send()
        .await
        .unwrap();
    totals
}

async fn rows_under(client: &aws_sdk_dynamodb::Client, tables: &Tables, pk: String) -> i32 {
    let output = client
        .query()
        .table_name(&tables.index)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    output.count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unspread_bucket_works_as_it_is_and_moves_in_place() {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let b = BucketName::parse(testkit::unique_name("unspread")).unwrap();
    let before = write_unspread_rows(&client, &tables, &b).await;

    // After the upgrade, before any migration: the bucket keeps its rows and its totals.
    let stale = DynamoStore::new(client.clone(), &tables);
    assert_eq!(stale.totals(&b).await.unwrap(), before);
    let overwrite = change(&b, "k/0", "06", ChangeKind::Created { size: 1_000 });
    assert!(matches!(stale.apply(&overwrite).await.unwrap(), ApplyOutcome::Applied(_)));
    assert_eq!(rows_under(&client, &tables, format!("obj#{b}")).await, 151, "still under one partition key");
    let expected = Totals { size_bytes: before.size_bytes + 1_000, object_count: 150 };
    assert_eq!(stale.totals(&b).await.unwrap(), expected);

    let moved = relayout(&client, &tables.index, &b, Layout::DEFAULT).await.unwrap();
    assert_eq!(moved, Relayout::Moved { keys: 151, layout: Layout::DEFAULT });
    assert_eq!(rows_under(&client, &tables, format!("obj#{b}")).await, 0, "no key row left unspread");

    // A ledger that met the bucket before the move still writes it right: its first write hits the mark,
    // and it reads the new layout.
    let removal = change(&b, "k/1", "06", ChangeKind::Removed);
    assert!(matches!(stale.apply(&removal).await.unwrap(), ApplyOutcome::Applied(_)));
    let expected = Totals { size_bytes: expected.size_bytes - 1, object_count: 149 };
    let fresh = DynamoStore::new(client.clone(), &tables);
    assert_eq!(fresh.totals(&b).await.unwrap(), expected);
    assert_eq!(fresh.latest(&b).await.unwrap().map(|s| s.totals()), Some(expected));
    assert!(fresh.latest(&b).await.unwrap().unwrap().ts_ms > 1_000);
    // The moved rows keep refusing what they refused: a redelivery, and a put older than a tombstone.
    let outcome = fresh.apply(&overwrite).await.unwrap();
    assert!(matches!(outcome, ApplyOutcome::Skipped { reason: SkipReason::Duplicate, .. }), "{outcome:?}");
    let older = change(&b, "k/150", "04", ChangeKind::Created { size: 9 });
    assert!(matches!(
        fresh.apply(&older).await.unwrap(),
        ApplyOutcome::Skipped { reason: SkipReason::Stale, .. }
    ));
    assert_eq!(fresh.totals(&b).await.unwrap(), expected);

    assert_eq!(
        relayout(&client, &tables.index, &b, Layout::DEFAULT).await.unwrap(),
        Relayout::Already(Layout::DEFAULT)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_bucket_gets_the_spread_layout_and_relayout_has_nothing_to_move() {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let b = BucketName::parse(testkit::unique_name("spread")).unwrap();
    let store = DynamoStore::new(client.clone(), &tables);
    store.apply(&change(&b, "k", "1", ChangeKind::Created { size: 5 })).await.unwrap();
    assert_eq!(rows_under(&client, &tables, format!("obj#{b}")).await, 0, "spread from the start");
    assert_eq!(
        relayout(&client, &tables.index, &b, Layout::DEFAULT).await.unwrap(),
        Relayout::Already(Layout::DEFAULT)
    );
}
