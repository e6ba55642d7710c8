//! The ledger on moto when DynamoDB misbehaves on purpose (`testkit::faults::FaultInjector`): races lost
//! again and again, batch reads that leave keys unprocessed, answers lost after a write.

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{
    ApplyOutcome, BucketName, ChangeKind, History, Ledger, ObjectChange, ObjectKey, Sequencer, StoreError,
    Totals,
};
use store_dynamodb::{DynamoStore, Tables};
use testkit::faults::{Attempt, Fault, FaultInjector, Reach};

/// The ledger's `MAX_ATTEMPTS`: how often a write that lost a race is tried before giving up.
const MAX_ATTEMPTS: u32 = 200;

fn bucket() -> BucketName {
    BucketName::parse(testkit::unique_name("faults")).unwrap()
}

fn created(bucket: &BucketName, key: &str, sequencer: &str, size: u64) -> ObjectChange {
    ObjectChange {
        bucket: bucket.clone(),
        key: ObjectKey::parse(key).unwrap(),
        sequencer: Sequencer::parse(sequencer).unwrap(),
        kind: ChangeKind::Created { size },
    }
}

/// A store on fresh tables whose requests pass through `injector`, and one on the same tables that nothing
/// disturbs, to look at what was written.
async fn stores(injector: &FaultInjector) -> (DynamoStore, DynamoStore, aws_sdk_dynamodb::Client, Tables) {
    let sdk = testkit::faults::quick_retries(&testkit::moto_sdk_config().await, 1);
    let tables = testkit::moto_tables(&sdk).await;
    let clean = aws_sdk_dynamodb::Client::new(&sdk);
    let faulty = DynamoStore::new(injector.dynamodb(&sdk), &tables);
    (faulty, DynamoStore::new(clean.clone(), &tables), clean, tables)
}

fn attempts_of<'a>(log: &'a [Attempt], operation: &str) -> Vec<&'a Attempt> {
    log.iter().filter(|attempt| attempt.operation == operation).collect()
}

async fn key_row(client: &aws_sdk_dynamodb::Client, tables: &Tables, bucket: &BucketName, key: &str) -> bool {
    let output = client
        .get_item()
        .table_name(&tables.index)
        .key("pk", AttributeValue::S(format!("obj#{bucket}")))
        .key("sk", AttributeValue::S(key.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    output.item().is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_lost_races_in_a_row_give_up_with_contention_and_write_nothing() {
    let injector = FaultInjector::new(1);
    let (faulty, clean, client, tables) = stores(&injector).await;
    let b = bucket();
    let before = clean.apply(&created(&b, "first.txt", "1", 10)).await.unwrap();
    let ApplyOutcome::Applied(before) = before else { panic!("the first change applies: {before:?}") };

    // From now on every transaction is cancelled before it reaches the table, as when another writer
    // always wins the race.
    let injector = injector.always("TransactWriteItems", Fault::TransactionCanceled(Reach::Withheld));
    let error = faulty.apply(&created(&b, "second.txt", "2", 20)).await.unwrap_err();
    match &error {
        StoreError::Contention { bucket, attempts } => {
            assert_eq!((bucket.as_str(), *attempts), (b.as_str(), MAX_ATTEMPTS));
        }
        other => panic!("expected contention after {MAX_ATTEMPTS} lost races, got {other}"),
    }
    let log = injector.log();
    let writes = attempts_of(&log, "TransactWriteItems");
    assert_eq!(writes.len(), MAX_ATTEMPTS as usize, "one write per attempt, no more");
    assert!(
        writes.iter().all(|w| w.error_code.as_deref() == Some("TransactionCanceledException")),
        "{writes:?}"
    );
    assert_eq!(attempts_of(&log, "TransactGetItems").len(), MAX_ATTEMPTS as usize, "each attempt re-reads");

    // Nothing of the second change was written: no key row, the same totals, no sample.
    assert!(!key_row(&client, &tables, &b, "second.txt").await, "no key row");
    assert_eq!(clean.totals(&b).await.unwrap(), Totals { size_bytes: 10, object_count: 1 });
    assert_eq!(clean.latest(&b).await.unwrap(), Some(before));
    assert_eq!(clean.window(&b, 0, i64::MAX).await.unwrap().samples.len(), 1);
    // And the change is still new to the ledger: delivered again, it applies.
    let again = clean.apply(&created(&b, "second.txt", "2", 20)).await.unwrap();
    assert!(
        matches!(again, ApplyOutcome::Applied(ref s) if s.totals() == Totals { size_bytes: 30, object_count: 2 }),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unprocessed_batch_get_keys_are_read_again_until_every_key_is_known() {
    // Every BatchGetItem answers for the first half of its keys only; the rest come back unprocessed.
    let injector = FaultInjector::new(1).always("BatchGetItem", Fault::UnprocessedKeys);
    let (faulty, clean, _client, _tables) = stores(&injector).await;
    let b = bucket();
    for i in 0..8u64 {
        clean.apply(&created(&b, &format!("known-{i}"), "5", 100)).await.unwrap();
    }
    // Known and new keys alternate, so that both halves of every batch hold keys the ledger knows.
    let listed: Vec<(ObjectKey, u64)> = (0..8)
        .flat_map(|i| [(format!("known-{i}"), 999), (format!("new-{i}"), 1)])
        .map(|(key, size)| (ObjectKey::parse(key).unwrap(), size))
        .collect();

    assert_eq!(faulty.seed(&b, &listed).await.unwrap(), 8, "only the 8 new keys are added");
    assert_eq!(clean.totals(&b).await.unwrap(), Totals { size_bytes: 800 + 8, object_count: 16 });

    let log = injector.log();
    // 16 keys: 8 answered and 8 unprocessed, then 4 and 4, 2 and 2, 1 and 1, and the last one.
    let reads = attempts_of(&log, "BatchGetItem");
    assert_eq!(reads.len(), 5, "{reads:?}");
    // Had the ledger taken the unprocessed keys for unknown ones, its transaction would have tried to add
    // known keys and been cancelled by their condition.
    let writes = attempts_of(&log, "TransactWriteItems");
    assert!(writes.iter().all(|w| w.status == Some(200)), "no seeding transaction was cancelled: {writes:?}");
    assert_eq!(writes.len(), 2, "the seeded keys, then the sample: {writes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_answer_is_lost_is_recognised_when_delivered_again() {
    // The transaction reaches the table and is written; only its answer is a cancellation.
    let injector = FaultInjector::new(1)
        .script("TransactWriteItems", [(0, Fault::TransactionCanceled(Reach::Processed))]);
    let (faulty, clean, _client, _tables) = stores(&injector).await;
    let b = bucket();
    let outcome = faulty.apply(&created(&b, "k", "0A", 7)).await.unwrap();
    // The ledger took the answer for a lost race, read again, and found its own write.
    assert!(
        matches!(outcome, ApplyOutcome::Skipped { reason: domain::SkipReason::Duplicate, .. }),
        "{outcome:?}"
    );
    assert_eq!(clean.totals(&b).await.unwrap(), Totals { size_bytes: 7, object_count: 1 });
    assert_eq!(clean.window(&b, 0, i64::MAX).await.unwrap().samples.len(), 1, "one sample for one change");
    assert_eq!(attempts_of(&injector.log(), "TransactWriteItems").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsent_request_fails_the_change_and_writes_nothing() {
    let injector = FaultInjector::new(1).always("TransactWriteItems", Fault::Unsent);
    let (faulty, clean, client, tables) = stores(&injector).await;
    let b = bucket();
    let error = faulty.apply(&created(&b, "k", "1", 7)).await.unwrap_err();
    assert!(matches!(error, StoreError::Backend { .. }) && testkit::faults::is_injected(&error), "{error}");
    assert!(!key_row(&client, &tables, &b, "k").await);
    assert_eq!(clean.totals(&b).await.unwrap(), Totals::default());
    assert_eq!(
        attempts_of(&injector.log(), "TransactWriteItems").len(),
        1,
        "a request that was not sent is not retried"
    );
}
