//! Samples of a bucket whose totals are split over shards.
//!
//! The totals are the sum of the shards, read consistently one by one (not as one snapshot: under load a
//! `TransactGetItems` is cancelled by any shard write in flight). Each shard counts its writes in a
//! `version`, so one read of the shards is described by their versions. The bucket's sample pointer
//! (`sampled#<bucket>`) holds the `ts`, totals and shard versions of its latest sample; a new sample is
//! written only with a pointer update conditioned on the pointer that was read, in one transaction, so
//! samples get strictly increasing timestamps, and each shows shard versions at least as new as the one
//! before it (the pointer is read before the shards, whose versions only grow): never an older state
//! after a newer one. A writer whose changes are already shown by the latest sample (every shard's
//! version in the pointer at least the one it read after committing) writes none.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use domain::transition::next_sample_ts;
use domain::{BucketName, Sample, StoreError, Totals};

use crate::LedgerTables;
use crate::attributes::{Item, n, number, optional_number, sample_item};
use crate::errors::{OrStore, corrupt};
use crate::layout::{Layouts, row_key};
use crate::reads::read_all;
use crate::retry::{Failure, MAX_ATTEMPTS, back_off, classify, unthrottled};

/// One read of a bucket's shards.
struct Shards {
    totals: Totals,
    versions: Vec<u64>,
    /// The latest sample's `ts` as an unspread totals row records it (that row kept it before pointers).
    last_ts: Option<i64>,
}

/// The latest sample, as its pointer records it.
struct Pointer {
    ts: i64,
    totals: Totals,
    versions: Vec<u64>,
}

fn pointer_row(bucket: &BucketName) -> Item {
    row_key(format!("sampled#{bucket}"), "-")
}

pub(crate) struct Sampler<'a> {
    pub client: &'a aws_sdk_dynamodb::Client,
    pub tables: &'a LedgerTables,
    pub layouts: &'a Layouts,
    pub bucket: &'a BucketName,
}

impl Sampler<'_> {
    /// The bucket's current totals.
    pub(crate) async fn totals(&self) -> Result<Totals, StoreError> {
        Ok(self.read_shards().await?.totals)
    }

    /// A sample that shows every change committed before this call: the latest one if it does, else a new
    /// one of the totals now.
    pub(crate) async fn settle(&self, now_ms: i64) -> Result<Sample, StoreError> {
        let mut committed: Option<Vec<u64>> = None;
        for attempt in 0..MAX_ATTEMPTS {
            let pointer = self.read_pointer().await?;
            let shards = self.read_shards().await?;
            let committed = committed.get_or_insert_with(|| shards.versions.clone());
            match &pointer {
                Some(pointer) if shows(&pointer.versions, committed) => {
                    return Ok(self.sample(pointer.ts, pointer.totals));
                }
                // Nothing was ever written for the bucket: there is nothing to sample.
                None if committed.iter().all(|&version| version == 0) => {
                    return Ok(self.sample(now_ms, shards.totals));
                }
                _ => {}
            }
            let last_ts = pointer.as_ref().map(|p| p.ts).max(shards.last_ts);
            let sample = self.sample(next_sample_ts(now_ms, last_ts), shards.totals);
            let items = vec![
                self.pointer_put(&sample, &shards.versions, pointer.as_ref())?,
                self.sample_put(&sample)?,
            ];
            match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
                Ok(_) => return Ok(sample),
                Err(error) => match classify(error) {
                    Failure::Fatal(error) => return Err(error).or_store(),
                    Failure::LostRace | Failure::Throttled => back_off(attempt).await,
                },
            }
        }
        Err(StoreError::Contention { bucket: self.bucket.to_string(), attempts: MAX_ATTEMPTS })
    }

    fn sample(&self, ts_ms: i64, totals: Totals) -> Sample {
        Sample {
            bucket: self.bucket.clone(),
            ts_ms,
            size_bytes: totals.size_bytes,
            object_count: totals.object_count,
        }
    }

    /// The shards of the bucket's current layout (read again under the new one if they were moved).
    async fn read_shards(&self) -> Result<Shards, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            let layout = self.layouts.of(self.client, &self.tables.index, self.bucket).await?;
            let keys = layout.totals_rows(self.bucket);
            let items = read_all(self.client, &self.tables.index, keys.clone(), self.bucket.as_str()).await?;
            if items.iter().any(|item| item.contains_key("moved")) {
                self.layouts.forget(self.bucket);
                back_off(attempt).await;
                continue;
            }
            return self.summed(&keys, &items);
        }
        Err(StoreError::Contention { bucket: self.bucket.to_string(), attempts: MAX_ATTEMPTS })
    }

    fn summed(&self, keys: &[Item], items: &[Item]) -> Result<Shards, StoreError> {
        let shard_count = keys.len();
        let mut versions = vec![0; shard_count];
        let (mut size, mut count) = (0i128, 0i128);
        let mut last_ts = None;
        for item in items {
            let shard = keys
                .iter()
                .position(|key| key.get("pk") == item.get("pk"))
                .ok_or_else(|| corrupt(format!("an unasked totals row of {}", self.bucket)))?;
            versions[shard] = number(item, "version")?;
            size += number::<i128>(item, "size_bytes")?;
            count += number::<i128>(item, "object_count")?;
            last_ts = last_ts.max(optional_number::<i64>(item, "last_ts")?);
        }
        if size < 0 || count < 0 {
            tracing::warn!(bucket = %self.bucket, size, count, "the shards sum below zero; clamping at zero");
        }
        let totals = Totals {
            size_bytes: u64::try_from(size.max(0)).unwrap_or(u64::MAX),
            object_count: u64::try_from(count.max(0)).unwrap_or(u64::MAX),
        };
        Ok(Shards { totals, versions, last_ts })
    }

    async fn read_pointer(&self) -> Result<Option<Pointer>, StoreError> {
        let output = unthrottled(|| {
            self.client
                .get_item()
                .table_name(&self.tables.index)
                .set_key(Some(pointer_row(self.bucket)))
                .consistent_read(true)
                .send()
        })
        .await
        .or_store()?;
        output
            .item()
            .map(|item| {
                let versions = match item.get("versions") {
                    Some(AttributeValue::L(list)) => list
                        .iter()
                        .map(|v| match v {
                            AttributeValue::N(text) => {
                                text.parse().map_err(|_| corrupt(format!("version {text:?}")))
                            }
                            other => Err(corrupt(format!("a shard version is not a number: {other:?}"))),
                        })
                        .collect::<Result<Vec<u64>, _>>()?,
                    other => return Err(corrupt(format!("versions is not a list: {other:?}"))),
                };
                Ok(Pointer {
                    ts: number(item, "ts")?,
                    totals: Totals {
                        size_bytes: number(item, "size_bytes")?,
                        object_count: number(item, "object_count")?,
                    },
                    versions,
                })
            })
            .transpose()
    }

    fn pointer_put(
        &self,
        sample: &Sample,
        versions: &[u64],
        read: Option<&Pointer>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = pointer_row(self.bucket);
        item.insert("ts".into(), n(sample.ts_ms));
        item.insert("size_bytes".into(), n(sample.size_bytes));
        item.insert("object_count".into(), n(sample.object_count));
        item.insert("versions".into(), AttributeValue::L(versions.iter().map(n).collect()));
        let put = Put::builder().table_name(&self.tables.index).set_item(Some(item));
        let put = match read {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(read) => put.condition_expression("ts = :ts").expression_attribute_values(":ts", n(read.ts)),
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
}

/// Whether a sample of shard versions `sampled` shows every write counted in `committed`.
fn shows(sampled: &[u64], committed: &[u64]) -> bool {
    sampled.len() == committed.len() && sampled.iter().zip(committed).all(|(s, c)| s >= c)
}

#[cfg(test)]
mod tests {
    use super::shows;

    #[test]
    fn a_sample_shows_a_commit_when_every_shard_is_at_least_as_new() {
        assert!(shows(&[3, 5], &[3, 4]));
        assert!(shows(&[3, 5], &[3, 5]));
        assert!(!shows(&[3, 5], &[4, 1]));
        assert!(!shows(&[3], &[3, 0]), "another number of shards shows nothing");
    }
}
