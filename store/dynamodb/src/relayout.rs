//! Moving a bucket tracked before the ledger spread its rows ([`Layout::UNSPREAD`]: key rows under one
//! partition key, one totals row) to a spread layout, in place and safe to run while the tracker runs:
//!
//! 1. the old totals row is marked `moved`; from then on no chunk written under the old layout can commit
//!    (its shard update is conditioned on the mark), so the key rows and totals stand still;
//! 2. every key row is copied to its partition in the new layout, then deleted from the old one;
//! 3. the totals become shard 0 of the new layout (with the version and the last sample's time);
//! 4. the new layout is recorded. Writers that hit the mark forget the layout they knew, read this one and
//!    retry; until step 4 they retry against the mark, so a change waits (or is delivered again) but is
//!    never lost.
//!
//! Every step can run again: a run that stopped part-way is finished by the next one.

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use domain::{BucketName, ObjectKey, StoreError};

use crate::attributes::{Item, string};
use crate::errors::{OrStore, corrupt};
use crate::layout::{Layout, has_unspread_rows, layout_item, read_layout, record_layout, row_key};
use crate::retry::{Failure, MAX_ATTEMPTS, back_off, classify};

/// What a relayout did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relayout {
    /// The bucket's rows were moved to this layout.
    Moved { keys: u64, layout: Layout },
    /// The bucket already had this (spread) layout, or no rows at all and now this one: nothing to move.
    Already(Layout),
}

/// The most items one `BatchWriteItem` takes.
const WRITES_PER_REQUEST: usize = 25;

/// Moves `bucket` from the unspread layout to `to` (see the module's documentation).
pub async fn relayout(
    client: &aws_sdk_dynamodb::Client,
    index_table: &str,
    bucket: &BucketName,
    to: Layout,
) -> Result<Relayout, StoreError> {
    if to == Layout::UNSPREAD || to.object_partitions == 0 || to.totals_shards == 0 {
        return Err(corrupt(format!("{to:?} is not a spread layout")));
    }
    match read_layout(client, index_table, bucket).await? {
        Some(layout) if layout != Layout::UNSPREAD => return Ok(Relayout::Already(layout)),
        Some(_) => {}
        None if !has_unspread_rows(client, index_table, bucket).await? => {
            record_layout(client, index_table, bucket, to).await?;
            return Ok(Relayout::Already(to));
        }
        None => {}
    }
    let totals = mark_moved(client, index_table, bucket).await?;
    let keys = move_key_rows(client, index_table, bucket, to).await?;
    let mut shard = to.totals_row(bucket, 0);
    for name in ["size_bytes", "object_count", "version", "last_ts"] {
        if let Some(value) = totals.get(name) {
            shard.insert(name.into(), value.clone());
        }
    }
    let put = client
        .put_item()
        .table_name(index_table)
        .set_item(Some(shard))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    if let Err(error) = put {
        // Written by an earlier run that stopped before recording the layout: it holds the same totals.
        if !error.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) {
            return Err(error).or_store();
        }
    }
    let layout = layout_item(bucket, to);
    client.put_item().table_name(index_table).set_item(Some(layout)).send().await.or_store()?;
    Ok(Relayout::Moved { keys, layout: to })
}

/// Marks the old totals row moved and answers it as it stands from then on.
async fn mark_moved(
    client: &aws_sdk_dynamodb::Client,
    index_table: &str,
    bucket: &BucketName,
) -> Result<Item, StoreError> {
    let output = client
        .update_item()
        .table_name(index_table)
        .set_key(Some(Layout::UNSPREAD.totals_row(bucket, 0)))
        .update_expression("SET moved = :moved")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":moved", AttributeValue::Bool(true))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
        .send()
        .await
        .or_store()?;
    output.attributes().cloned().ok_or_else(|| corrupt(format!("the totals row of {bucket} vanished")))
}

/// Copies each key row under `obj#<bucket>` to its partition in `to`, then deletes it; answers how many.
async fn move_key_rows(
    client: &aws_sdk_dynamodb::Client,
    index_table: &str,
    bucket: &BucketName,
    to: Layout,
) -> Result<u64, StoreError> {
    let mut pages = client
        .query()
        .table_name(index_table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("obj#{bucket}")))
        .consistent_read(true)
        .into_paginator()
        .send();
    let mut moved = 0;
    while let Some(page) = pages.next().await {
        let page = page.or_store()?;
        let mut copies = Vec::with_capacity(page.items().len());
        let mut deletions = Vec::with_capacity(page.items().len());
        for item in page.items() {
            let sk = string(item, "sk")?;
            let key = ObjectKey::parse(sk).map_err(|e| corrupt(e.to_string()))?;
            let mut copy = item.clone();
            copy.extend(to.key_row(bucket, &key));
            copies.push(
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(copy)).build().or_store()?)
                    .build(),
            );
            let old = row_key(format!("obj#{bucket}"), sk);
            deletions.push(
                WriteRequest::builder()
                    .delete_request(DeleteRequest::builder().set_key(Some(old)).build().or_store()?)
                    .build(),
            );
        }
        write_all(client, index_table, copies).await?;
        write_all(client, index_table, deletions).await?;
        moved += page.items().len() as u64;
    }
    Ok(moved)
}

async fn write_all(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    requests: Vec<WriteRequest>,
) -> Result<(), StoreError> {
    for chunk in requests.chunks(WRITES_PER_REQUEST) {
        let mut pending = chunk.to_vec();
        let mut attempt = 0;
        while !pending.is_empty() {
            match client.batch_write_item().request_items(table, pending.clone()).send().await {
                Ok(output) => {
                    pending =
                        output.unprocessed_items().and_then(|u| u.get(table)).cloned().unwrap_or_default();
                }
                Err(error) => match classify(error) {
                    Failure::Fatal(error) => return Err(error).or_store(),
                    Failure::LostRace | Failure::Throttled => {}
                },
            }
            attempt += 1;
            if !pending.is_empty() {
                if attempt >= MAX_ATTEMPTS {
                    return Err(StoreError::Contention { bucket: table.to_owned(), attempts: MAX_ATTEMPTS });
                }
                back_off(attempt).await;
            }
        }
    }
    Ok(())
}
