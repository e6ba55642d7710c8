use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Get, KeysAndAttributes, Put, TransactGetItem, TransactWriteItem};
use domain::transition::{Delta, KeyState, Transition, next_sample_ts, transition};
use domain::{
    ApplyOutcome, BucketName, Clock, Ledger, ObjectChange, ObjectKey, Sample, Sequencer, StoreError, Totals,
    system_clock,
};

use crate::LedgerTables;
use crate::attributes::{Item, boolean, n, number, optional_number, s, sample_item, string};
use crate::errors::{OrStore, corrupt};

/// The tracker's side of the store: the per-key ledger, the bucket totals and the samples they produce.
#[derive(Clone)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    tables: LedgerTables,
    clock: Clock,
}

/// How often a write that lost a race is tried again before giving up.
const MAX_ATTEMPTS: u32 = 200;
/// Tombstones outlive any redelivery of the events they refuse, then DynamoDB's TTL removes them.
const TOMBSTONE_TTL_SECONDS: i64 = 24 * 60 * 60;
/// A transaction holds at most 100 items: the seeded keys plus the totals row.
const SEED_CHUNK: usize = 90;

/// The bucket's totals row as read, with what the next write must be conditioned on.
struct TotalsRow {
    totals: Totals,
    /// 0 when the row does not exist yet.
    version: u64,
    last_ts: Option<i64>,
}

enum Written {
    Done,
    LostRace,
}

fn object_pk(bucket: &BucketName) -> String {
    format!("obj#{bucket}")
}

fn totals_pk(bucket: &BucketName) -> String {
    format!("total#{bucket}")
}

fn key_of(pk: String, sk: &str) -> Item {
    Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn totals_row_from(item: Option<&Item>) -> Result<TotalsRow, StoreError> {
    let Some(item) = item else {
        return Ok(TotalsRow { totals: Totals::default(), version: 0, last_ts: None });
    };
    Ok(TotalsRow {
        totals: Totals {
            size_bytes: number(item, "size_bytes")?,
            object_count: number(item, "object_count")?,
        },
        version: number(item, "version")?,
        last_ts: optional_number(item, "last_ts")?,
    })
}

fn key_state_from(item: Option<&Item>) -> Result<Option<KeyState>, StoreError> {
    item.map(|item| {
        Ok(KeyState {
            sequencer: Sequencer::parse(string(item, "sequencer")?).map_err(|e| corrupt(e.to_string()))?,
            present: boolean(item, "present")?,
            size: number(item, "size")?,
        })
    })
    .transpose()
}

async fn back_off(attempt: u32) {
    let ceiling_ms = 2u64.saturating_pow(attempt.min(6)).min(50);
    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=ceiling_ms))).await;
}

impl DynamoLedger {
    pub fn new(client: aws_sdk_dynamodb::Client, tables: LedgerTables) -> Self {
        Self { client, tables, clock: system_clock() }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Opens the connection to DynamoDB (TLS included) with one cheap read, so that the first event after
    /// a cold start does not pay for it. A failure here is only logged: events report their own.
    pub async fn warm_up(&self) {
        let read = self
            .client
            .get_item()
            .table_name(&self.tables.index)
            .set_key(Some(key_of("warm-up".into(), "-")))
            .send()
            .await;
        if let Err(error) = read {
            tracing::warn!(error = %domain::ErrorChain(&error), "warming the DynamoDB connection failed");
        }
    }

    async fn read_key_and_totals(
        &self,
        change: &ObjectChange,
    ) -> Result<(Option<KeyState>, TotalsRow), StoreError> {
        let get = |key: Item| -> Result<TransactGetItem, StoreError> {
            let get = Get::builder().table_name(&self.tables.index).set_key(Some(key)).build().or_store()?;
            Ok(TransactGetItem::builder().get(get).build())
        };
        let output = self
            .client
            .transact_get_items()
            .transact_items(get(key_of(object_pk(&change.bucket), change.key.as_str()))?)
            .transact_items(get(key_of(totals_pk(&change.bucket), "-"))?)
            .send()
            .await
            .or_store()?;
        let responses = output.responses();
        let item = |i: usize| responses.get(i).and_then(|r| r.item());
        Ok((key_state_from(item(0))?, totals_row_from(item(1))?))
    }

    async fn read_totals(&self, bucket: &BucketName) -> Result<TotalsRow, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.index)
            .set_key(Some(key_of(totals_pk(bucket), "-")))
            .consistent_read(true)
            .send()
            .await
            .or_store()?;
        totals_row_from(output.item())
    }

    /// The totals row as it will be after this write, conditioned on the version that was read.
    fn totals_put(
        &self,
        bucket: &BucketName,
        read: &TotalsRow,
        totals: Totals,
        last_ts: Option<i64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = key_of(totals_pk(bucket), "-");
        item.insert("size_bytes".into(), n(totals.size_bytes));
        item.insert("object_count".into(), n(totals.object_count));
        item.insert("version".into(), n(read.version + 1));
        if let Some(ts) = last_ts {
            item.insert("last_ts".into(), n(ts));
        }
        let put = Put::builder().table_name(&self.tables.index).set_item(Some(item));
        let put = if read.version == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :version")
                .expression_attribute_values(":version", n(read.version))
        };
        Ok(TransactWriteItem::builder().put(put.build().or_store()?).build())
    }

    fn sample_put(&self, sample: &Sample) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.tables.history)
            .set_item(Some(sample_item(sample)))
            .condition_expression("attribute_not_exists(ts)")
            .build()
            .or_store()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn key_put(
        &self,
        change: &ObjectChange,
        current: Option<&KeyState>,
        next: &KeyState,
        now_ms: i64,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = key_of(object_pk(&change.bucket), change.key.as_str());
        item.insert("size".into(), n(next.size));
        item.insert("sequencer".into(), s(next.sequencer.as_str()));
        item.insert("present".into(), aws_sdk_dynamodb::types::AttributeValue::Bool(next.present));
        if !next.present {
            item.insert("expires_at".into(), n(now_ms / 1000 + TOMBSTONE_TTL_SECONDS));
        }
        let put = Put::builder().table_name(&self.tables.index).set_item(Some(item));
        let put = match current {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(current) => put
                .condition_expression("sequencer = :sequencer")
                .expression_attribute_values(":sequencer", s(current.sequencer.as_str())),
        };
        Ok(TransactWriteItem::builder().put(put.build().or_store()?).build())
    }

    async fn write(&self, items: Vec<TransactWriteItem>) -> Result<Written, StoreError> {
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(Written::Done),
            Err(SdkError::ServiceError(error))
                if matches!(error.err(), TransactWriteItemsError::TransactionCanceledException(_)) =>
            {
                Ok(Written::LostRace)
            }
            Err(error) => Err(error).or_store(),
        }
    }

    /// Which of `keys` already have a row, read consistently.
    async fn existing_keys(
        &self,
        bucket: &BucketName,
        keys: &[&ObjectKey],
    ) -> Result<HashSet<String>, StoreError> {
        let mut request = KeysAndAttributes::builder()
            .set_keys(Some(keys.iter().map(|k| key_of(object_pk(bucket), k.as_str())).collect()))
            .consistent_read(true)
            .projection_expression("sk")
            .build()
            .or_store()?;
        let mut found = HashSet::new();
        for attempt in 0..MAX_ATTEMPTS {
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.tables.index, request)
                .send()
                .await
                .or_store()?;
            for item in output.responses().and_then(|r| r.get(&self.tables.index)).into_iter().flatten() {
                found.insert(string(item, "sk")?.to_owned());
            }
            match output.unprocessed_keys().and_then(|u| u.get(&self.tables.index)) {
                Some(rest) if !rest.keys().is_empty() => {
                    request = rest.clone();
                    back_off(attempt).await;
                }
                _ => return Ok(found),
            }
        }
        Err(StoreError::Contention { bucket: bucket.to_string(), attempts: MAX_ATTEMPTS })
    }

    /// Adds one chunk of listed keys that have no row yet; returns how many it added.
    async fn seed_chunk(&self, bucket: &BucketName, chunk: &[(ObjectKey, u64)]) -> Result<u64, StoreError> {
        let mut pending: Vec<&(ObjectKey, u64)> = chunk.iter().collect();
        for attempt in 0..MAX_ATTEMPTS {
            let keys: Vec<&ObjectKey> = pending.iter().map(|(key, _)| key).collect();
            let existing = self.existing_keys(bucket, &keys).await?;
            pending.retain(|(key, _)| !existing.contains(key.as_str()));
            if pending.is_empty() {
                return Ok(0);
            }
            let read = self.read_totals(bucket).await?;
            let delta = pending.iter().fold(Delta::default(), |sum, (_, size)| {
                sum.plus(Delta { size_bytes: i128::from(*size), object_count: 1 })
            });
            let mut items = Vec::with_capacity(pending.len() + 1);
            for (key, size) in &pending {
                let mut item = key_of(object_pk(bucket), key.as_str());
                item.insert("size".into(), n(size));
                item.insert("sequencer".into(), s(Sequencer::lowest().as_str()));
                item.insert("present".into(), aws_sdk_dynamodb::types::AttributeValue::Bool(true));
                let put = Put::builder()
                    .table_name(&self.tables.index)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .or_store()?;
                items.push(TransactWriteItem::builder().put(put).build());
            }
            items.push(self.totals_put(bucket, &read, read.totals.shifted(delta), read.last_ts)?);
            match self.write(items).await? {
                Written::Done => return Ok(pending.len() as u64),
                Written::LostRace => back_off(attempt).await,
            }
        }
        Err(StoreError::Contention { bucket: bucket.to_string(), attempts: MAX_ATTEMPTS })
    }

    /// Writes a sample of the current totals.
    async fn record_sample(&self, bucket: &BucketName) -> Result<Sample, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            let read = self.read_totals(bucket).await?;
            let ts = next_sample_ts((self.clock)(), read.last_ts);
            let sample = Sample {
                bucket: bucket.clone(),
                ts_ms: ts,
                size_bytes: read.totals.size_bytes,
                object_count: read.totals.object_count,
            };
            let items =
                vec![self.totals_put(bucket, &read, read.totals, Some(ts))?, self.sample_put(&sample)?];
            match self.write(items).await? {
                Written::Done => return Ok(sample),
                Written::LostRace => back_off(attempt).await,
            }
        }
        Err(StoreError::Contention { bucket: bucket.to_string(), attempts: MAX_ATTEMPTS })
    }
}

#[async_trait]
impl Ledger for DynamoLedger {
    async fn apply(&self, change: &ObjectChange) -> Result<ApplyOutcome, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            let (current, read) = self.read_key_and_totals(change).await?;
            let (next, delta) = match transition(current.as_ref(), change) {
                Transition::Skip(reason) => {
                    return Ok(ApplyOutcome::Skipped { reason, totals: read.totals });
                }
                Transition::Apply { next, delta } => (next, delta),
            };
            let now_ms = (self.clock)();
            let ts = next_sample_ts(now_ms, read.last_ts);
            let totals = read.totals.shifted(delta);
            let sample = Sample {
                bucket: change.bucket.clone(),
                ts_ms: ts,
                size_bytes: totals.size_bytes,
                object_count: totals.object_count,
            };
            let items = vec![
                self.key_put(change, current.as_ref(), &next, now_ms)?,
                self.totals_put(&change.bucket, &read, totals, Some(ts))?,
                self.sample_put(&sample)?,
            ];
            match self.write(items).await? {
                Written::Done => return Ok(ApplyOutcome::Applied(sample)),
                Written::LostRace => back_off(attempt).await,
            }
        }
        Err(StoreError::Contention { bucket: change.bucket.to_string(), attempts: MAX_ATTEMPTS })
    }

    async fn seed(&self, bucket: &BucketName, objects: &[(ObjectKey, u64)]) -> Result<u64, StoreError> {
        let mut added = 0;
        for chunk in objects.chunks(SEED_CHUNK) {
            added += self.seed_chunk(bucket, chunk).await?;
        }
        if added > 0 {
            self.record_sample(bucket).await?;
        }
        Ok(added)
    }

    async fn totals(&self, bucket: &BucketName) -> Result<Totals, StoreError> {
        Ok(self.read_totals(bucket).await?.totals)
    }
}
