//! One chunk of a batch: up to 99 steps of one bucket (changes or corrections), each deciding its key, written with one
//! totals shard as one `TransactWriteItems` (at most 100 items). Each key row is conditioned on the row
//! that was read, so the chunk commits only if no other writer moved any of its keys; the shard row is
//! added to, unconditioned, so concurrent chunks of the bucket never conflict on it unless they pick the
//! same shard at the same moment.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use domain::correction::Correction;
use domain::transition::{Delta, KeyState, Transition, transition};
use domain::{BucketName, ObjectChange, ObjectKey, Sequencer, StoreError};

use crate::attributes::{Item, boolean, n, number, s, string};
use crate::errors::{OrStore, corrupt};
use crate::layout::{Layout, Layouts};
use crate::reads::read_all;
use crate::retry::{Failure, MAX_ATTEMPTS, back_off, classify};

/// A transaction holds at most 100 items: the chunk's key rows and one totals shard.
pub(crate) const CHANGES_PER_CHUNK: usize = 99;

/// How long a tombstone is kept (`expires_at`, for DynamoDB's TTL).
const TOMBSTONE_TTL_SECONDS: i64 = domain::TOMBSTONE_LIFETIME.as_secs() as i64;

/// A write of one key, decided from the key's row as the chunk reads it.
pub(crate) trait KeyStep: Sync {
    fn key(&self) -> &ObjectKey;
    fn decide(&self, current: Option<&KeyState>) -> Transition;
}

impl KeyStep for ObjectChange {
    fn key(&self) -> &ObjectKey {
        &self.key
    }
    fn decide(&self, current: Option<&KeyState>) -> Transition {
        transition(current, self)
    }
}

impl KeyStep for Correction {
    fn key(&self) -> &ObjectKey {
        &self.key
    }
    fn decide(&self, current: Option<&KeyState>) -> Transition {
        self.transition(current)
    }
}

pub(crate) struct ChunkWriter<'a> {
    pub client: &'a aws_sdk_dynamodb::Client,
    pub table: &'a str,
    pub layouts: &'a Layouts,
    pub bucket: &'a BucketName,
    pub now_ms: i64,
}

impl ChunkWriter<'_> {
    /// Writes the chunk; answers each step's transition as it was committed. A lost race reads the
    /// chunk's keys again and retries it; throttling waits and retries; other errors fail the chunk.
    pub(crate) async fn write<S: KeyStep>(&self, steps: &[&S]) -> Result<Vec<Transition>, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            let layout = self.layouts.of(self.client, self.table, self.bucket).await?;
            let current = self.read_keys(layout, steps).await?;
            let transitions: Vec<Transition> =
                steps.iter().map(|step| step.decide(current.get(step.key().as_str()))).collect();
            let mut items = Vec::with_capacity(steps.len() + 1);
            let mut delta = Delta::default();
            for (step, transition) in steps.iter().zip(&transitions) {
                if let Transition::Apply { next, delta: moved } = transition {
                    items.push(self.key_put(layout, step.key(), current.get(step.key().as_str()), next)?);
                    delta = delta.plus(*moved);
                }
            }
            if items.is_empty() {
                return Ok(transitions);
            }
            items.push(self.shard_add(layout, delta)?);
            match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
                Ok(_) => return Ok(transitions),
                Err(error) if shard_was_moved(&error) => {
                    self.layouts.forget(self.bucket);
                    back_off(attempt).await;
                }
                Err(error) => match classify(error) {
                    Failure::Fatal(error) => return Err(error).or_store(),
                    Failure::LostRace | Failure::Throttled => back_off(attempt).await,
                },
            }
        }
        Err(StoreError::Contention { bucket: self.bucket.to_string(), attempts: MAX_ATTEMPTS })
    }

    /// The chunk's key rows that exist, by key.
    async fn read_keys<S: KeyStep>(
        &self,
        layout: Layout,
        steps: &[&S],
    ) -> Result<HashMap<String, KeyState>, StoreError> {
        let keys = steps.iter().map(|step| layout.key_row(self.bucket, step.key())).collect();
        let items = read_all(self.client, self.table, keys, self.bucket.as_str()).await?;
        items.iter().map(|item| Ok((string(item, "sk")?.to_owned(), key_state(item)?))).collect()
    }

    /// The key's new row, conditioned on the row that was read (its sequencer, presence and size: a
    /// correction keeps the sequencer, so the sequencer alone would not tell it from another correction).
    fn key_put(
        &self,
        layout: Layout,
        key: &ObjectKey,
        current: Option<&KeyState>,
        next: &KeyState,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item: Item = layout.key_row(self.bucket, key);
        item.insert("size".into(), n(next.size));
        item.insert("sequencer".into(), s(next.sequencer.as_str()));
        item.insert("present".into(), AttributeValue::Bool(next.present));
        if !next.present {
            item.insert("expires_at".into(), n(self.now_ms / 1000 + TOMBSTONE_TTL_SECONDS));
        }
        let put = Put::builder().table_name(self.table).set_item(Some(item));
        let put = match current {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(current) => put
                .condition_expression("sequencer = :sequencer AND #present = :present AND #size = :size")
                .expression_attribute_names("#present", "present")
                .expression_attribute_names("#size", "size")
                .expression_attribute_values(":sequencer", s(current.sequencer.as_str()))
                .expression_attribute_values(":present", AttributeValue::Bool(current.present))
                .expression_attribute_values(":size", n(current.size)),
        };
        Ok(TransactWriteItem::builder().put(put.build().or_store()?).build())
    }

    /// Adds the chunk's delta to a shard picked at random, and counts the write in the shard's version;
    /// unless the shard was moved to another layout, which cancels the chunk.
    fn shard_add(&self, layout: Layout, delta: Delta) -> Result<TransactWriteItem, StoreError> {
        let shard = fastrand::u32(0..layout.totals_shards.max(1));
        let update = Update::builder()
            .table_name(self.table)
            .set_key(Some(layout.totals_row(self.bucket, shard)))
            .update_expression("ADD size_bytes :size, object_count :count, version :one")
            .condition_expression("attribute_not_exists(moved)")
            .expression_attribute_values(":size", n(delta.size_bytes))
            .expression_attribute_values(":count", n(delta.object_count))
            .expression_attribute_values(":one", n(1))
            .build()
            .or_store()?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

/// The state a key row holds.
pub(crate) fn key_state(item: &Item) -> Result<KeyState, StoreError> {
    Ok(KeyState {
        sequencer: Sequencer::parse(string(item, "sequencer")?).map_err(|e| corrupt(e.to_string()))?,
        present: boolean(item, "present")?,
        size: number(item, "size")?,
    })
}

/// Whether a chunk was cancelled by its shard's condition: the bucket's totals were moved to another
/// layout after this writer read it (the shard is the chunk's last item).
fn shard_was_moved<R>(error: &SdkError<TransactWriteItemsError, R>) -> bool {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = error.as_service_error()
    else {
        return false;
    };
    cancelled.cancellation_reasons().last().and_then(|reason| reason.code()) == Some("ConditionalCheckFailed")
}
