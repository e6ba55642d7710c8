//! The ledger on moto when DynamoDB misbehaves on purpose (`testkit::faults::FaultInjector`): races lost
//! again and again, batch reads that leave keys unprocessed, answers lost after a write, one chunk of a
//! batch failing, throttling.

use aws_sdk_dynamodb::types::AttributeValue;
use domain::correction::Correction;
use domain::transition::{KeyState, Transition};
use domain::{
    ApplyOutcome, BucketName, ChangeKind, History, Ledger, ObjectChange, ObjectKey, Sequencer, StoreError,
    Totals,
};
use store_dynamodb::{DynamoStore, Tables};
use testkit::faults::{Attempt, Fault, FaultInjector, Reach};

/// The ledger's `MAX_ATTEMPTS`: how often a chunk that lost a race is tried before giving up.
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

/// Whether the ledger has a row for `key` of `bucket`, whichever partition of the bucket holds it.
async fn key_row(client: &aws_sdk_dynamodb::Client, tables: &Tables, bucket: &BucketName, key: &str) -> bool {
    let output = client
        .scan()
        .table_name(&tables.index)
        .filter_expression("begins_with(pk, :prefix) AND sk = :key")
        .expression_attribute_values(":prefix", AttributeValue::S(format!("obj#{bucket}")))
        .expression_attribute_values(":key", AttributeValue::S(key.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    output.count() > 0
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
    // Each attempt re-reads the chunk's keys; then the sample's read of the shards finds nothing new.
    assert_eq!(attempts_of(&log, "BatchGetItem").len(), MAX_ATTEMPTS as usize + 1, "each attempt re-reads");

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
    // Reconcile found the known keys at another size, and the new ones.
    let known = KeyState { sequencer: Sequencer::parse("5").unwrap(), present: true, size: 100 };
    let corrections: Vec<Correction> = (0..8)
        .flat_map(|i| {
            [
                Correction {
                    key: ObjectKey::parse(format!("known-{i}")).unwrap(),
                    seen: Some(known.clone()),
                    listed: Some(999),
                },
                Correction {
                    key: ObjectKey::parse(format!("new-{i}")).unwrap(),
                    seen: None,
                    listed: Some(1),
                },
            ]
        })
        .collect();

    let transitions = faulty.correct(&b, &corrections).await.unwrap();
    assert!(transitions.iter().all(|t| matches!(t, Transition::Apply { .. })), "{transitions:?}");
    // Had the ledger taken the unprocessed keys for unknown ones, their corrections would have been
    // skipped as raced (the row differs from the one seen), leaving 800 + 8.
    assert_eq!(clean.totals(&b).await.unwrap(), Totals { size_bytes: 8 * 999 + 8, object_count: 16 });

    let log = injector.log();
    // 16 keys: 8 answered and 8 unprocessed, then 4 and 4, 2 and 2, 1 and 1, and the last one; then the
    // sample's read of the bucket's 8 totals shards: 4 and 4, 2 and 2, 1 and 1, and the last one.
    let reads = attempts_of(&log, "BatchGetItem");
    assert_eq!(reads.len(), 5 + 4, "{reads:?}");
    // Had the ledger taken the unprocessed keys for unknown ones, its transaction would have tried to add
    // known keys and been cancelled by their condition.
    let writes = attempts_of(&log, "TransactWriteItems");
    assert!(
        writes.iter().all(|w| w.status == Some(200)),
        "no correcting transaction was cancelled: {writes:?}"
    );
    assert_eq!(writes.len(), 2, "the corrected keys, then the sample: {writes:?}");
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
    assert_eq!(
        attempts_of(&injector.log(), "TransactWriteItems").len(),
        2,
        "the change's chunk (its answer lost, not sent again), then the sample"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_chunk_fails_only_its_changes_and_the_rest_are_sampled() {
    // 250 keys are three chunks (99, 99, 52); the second chunk write to reach DynamoDB is never sent.
    let injector = FaultInjector::new(1).script("TransactWriteItems", [(1, Fault::Unsent)]);
    let (faulty, clean, _client, _tables) = stores(&injector).await;
    let b = bucket();
    let batch: Vec<ObjectChange> = (0..250u64).map(|i| created(&b, &format!("k/{i}"), "1", i + 1)).collect();
    let results = faulty.apply_batch(&batch).await;

    let failed: Vec<usize> = (0..batch.len()).filter(|&i| results[i].is_err()).collect();
    assert!([99, 52].contains(&failed.len()), "one chunk failed: {} changes", failed.len());
    assert!(
        failed.iter().all(|&i| results[i].as_ref().is_err_and(|e| testkit::faults::is_injected(e.as_ref())))
    );
    let applied: Totals =
        (0..batch.len()).filter(|i| !failed.contains(i)).fold(Totals::default(), |sum, i| Totals {
            size_bytes: sum.size_bytes + i as u64 + 1,
            object_count: sum.object_count + 1,
        });
    assert_eq!(clean.totals(&b).await.unwrap(), applied, "the other chunks committed");
    assert_eq!(clean.latest(&b).await.unwrap().map(|s| s.totals()), Some(applied), "and were sampled");

    // Delivered again, the failed changes apply and the others are duplicates.
    let again = clean.apply_batch(&batch).await;
    for (i, result) in again.iter().enumerate() {
        let applied_now = matches!(result, Ok(ApplyOutcome::Applied(_)));
        assert_eq!(applied_now, failed.contains(&i), "change {i}: {result:?}");
    }
    let all = Totals { size_bytes: (1..=250).sum(), object_count: 250 };
    assert_eq!(clean.totals(&b).await.unwrap(), all);
    assert_eq!(clean.latest(&b).await.unwrap().map(|s| s.totals()), Some(all));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifth_of_requests_throttled_still_applies_every_change_once() {
    // The SDK makes one attempt per call here, so each throttle reaches the ledger's own retries.
    let injector =
        FaultInjector::new(7).fraction(testkit::faults::ANY, 0.2, Fault::Throttling(Reach::Withheld));
    let (faulty, clean, _client, _tables) = stores(&injector).await;
    let b = bucket();
    let mut batch: Vec<ObjectChange> = (0..300u64).map(|i| created(&b, &format!("k/{i}"), "1", 2)).collect();
    batch.extend((0..300u64).step_by(3).map(|i| created(&b, &format!("k/{i}"), "2", 5)));
    let results = faulty.apply_batch(&batch).await;
    assert!(results.iter().all(Result::is_ok), "{:?}", results.iter().find(|r| r.is_err()));
    let expected = Totals { size_bytes: 200 * 2 + 100 * 5, object_count: 300 };
    assert_eq!(clean.totals(&b).await.unwrap(), expected);
    assert_eq!(clean.latest(&b).await.unwrap().map(|s| s.totals()), Some(expected));
    assert!(injector.injected() > 0, "some requests were throttled");
}
