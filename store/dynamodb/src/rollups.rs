//! Rollups in the history table, beside the samples: each level of a bucket under its own partition key,
//! `rollup#<level ms>#<bucket>` (a bucket name has no `#`, so no bucket's samples share it), sorted by the
//! interval's start in `ts`. A rollup has no `size_bytes` attribute, so the index by size (the all-time
//! max) never sees one.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use domain::rollup::{Rollup, Span};
use domain::{BucketName, Sample, StoreError};

use crate::attributes::{Item, n, number, s};
use crate::errors::OrStore;
use crate::retry::{Failure, MAX_ATTEMPTS, back_off, classify};

/// The most items one `BatchWriteItem` takes.
const ITEMS_PER_REQUEST: usize = 25;

pub(crate) fn rollup_partition(bucket: &BucketName, level_ms: i64) -> String {
    format!("rollup#{level_ms}#{bucket}")
}

fn rollup_item(bucket: &BucketName, rollup: &Rollup) -> Item {
    let mut item = HashMap::from([
        ("bucket".to_owned(), s(rollup_partition(bucket, rollup.level_ms))),
        ("ts".to_owned(), n(rollup.start_ms)),
        ("count".to_owned(), n(rollup.span.as_ref().map_or(0, |span| span.count))),
    ]);
    if let Some(span) = &rollup.span {
        item.extend([
            ("min_bytes".to_owned(), n(span.min_size_bytes)),
            ("max_bytes".to_owned(), n(span.max_size_bytes)),
            ("first_ts".to_owned(), n(span.first.ts_ms)),
            ("first_bytes".to_owned(), n(span.first.size_bytes)),
            ("first_objects".to_owned(), n(span.first.object_count)),
            ("last_ts".to_owned(), n(span.last.ts_ms)),
            ("last_bytes".to_owned(), n(span.last.size_bytes)),
            ("last_objects".to_owned(), n(span.last.object_count)),
        ]);
    }
    item
}

pub(crate) fn rollup_from_item(
    bucket: &BucketName,
    level_ms: i64,
    item: &Item,
) -> Result<Rollup, StoreError> {
    let count: u64 = number(item, "count")?;
    let sample = |prefix: &str| -> Result<Sample, StoreError> {
        Ok(Sample {
            bucket: bucket.clone(),
            ts_ms: number(item, &format!("{prefix}_ts"))?,
            size_bytes: number(item, &format!("{prefix}_bytes"))?,
            object_count: number(item, &format!("{prefix}_objects"))?,
        })
    };
    let span = match count {
        0 => None,
        count => Some(Span {
            count,
            min_size_bytes: number(item, "min_bytes")?,
            max_size_bytes: number(item, "max_bytes")?,
            first: sample("first")?,
            last: sample("last")?,
        }),
    };
    Ok(Rollup { level_ms, start_ms: number(item, "ts")?, span })
}

/// Writes the rollups, 25 a request, unprocessed items sent again. Plain puts: a finished interval's
/// rollup is a function of samples that never change, so a second writer writes the same item.
pub(crate) async fn write_rollups(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    bucket: &BucketName,
    rollups: &[Rollup],
) -> Result<(), StoreError> {
    for chunk in rollups.chunks(ITEMS_PER_REQUEST) {
        let mut pending: Vec<WriteRequest> = chunk
            .iter()
            .map(|rollup| {
                let put =
                    PutRequest::builder().set_item(Some(rollup_item(bucket, rollup))).build().or_store()?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<_, StoreError>>()?;
        let mut attempt = 0;
        while !pending.is_empty() {
            match client.batch_write_item().request_items(table, pending.clone()).send().await {
                Ok(output) => {
                    pending =
                        output.unprocessed_items().and_then(|u| u.get(table)).cloned().unwrap_or_default();
                    if pending.is_empty() {
                        break;
                    }
                }
                Err(error) => match classify(error) {
                    Failure::Fatal(error) => return Err(error).or_store(),
                    Failure::LostRace | Failure::Throttled => {}
                },
            }
            attempt += 1;
            if attempt >= MAX_ATTEMPTS {
                return Err(StoreError::Contention { bucket: bucket.to_string(), attempts: MAX_ATTEMPTS });
            }
            back_off(attempt).await;
        }
    }
    Ok(())
}
