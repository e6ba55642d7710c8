//! A bucket's key rows in key order, for reconcile. They are spread over the layout's partitions by a
//! hash, and each partition is sorted by key (the sort key, compared as UTF-8 bytes: S3's listing order),
//! so one page is a Query of each partition from the same key, merged: it is whole up to the smallest of
//! the last keys of the partitions that had more, and rows past that are read again by the next page.

use aws_sdk_dynamodb::types::AttributeValue;
use domain::correction::KeyRows;
use domain::transition::KeyState;
use domain::{ObjectKey, StoreError};
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::attributes::{Item, string};
use crate::chunk::key_state;
use crate::errors::{OrStore, corrupt};
use crate::retry::unthrottled;

/// How many partitions are queried at once.
const QUERIES_IN_FLIGHT: usize = 8;

/// About `limit` rows after `after` of the partitions `partitions`, and the key they are whole up to.
pub(crate) async fn read(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    partitions: &[String],
    after: Option<&ObjectKey>,
    limit: usize,
) -> Result<KeyRows, StoreError> {
    // Twice the even share, so the partition that ends first still leaves about `limit` rows before it.
    let per_partition = (2 * limit).div_ceil(partitions.len().max(1)).clamp(1, 1_000);
    let partials: Vec<Partition> = stream::iter(partitions.to_vec())
        .map(|pk| read_partition(client, table, pk, after, per_partition))
        .buffer_unordered(QUERIES_IN_FLIGHT)
        .try_collect()
        .await?;
    let through = partials.iter().filter_map(|partition| partition.more_after.as_ref()).min().cloned();
    let mut rows: Vec<(ObjectKey, KeyState)> = partials
        .into_iter()
        .flat_map(|partition| partition.rows)
        .filter(|(key, _)| through.as_ref().is_none_or(|through| key <= through))
        .collect();
    rows.sort_by(|(a, _), (b, _)| a.cmp(b));
    Ok(KeyRows { rows, through })
}

/// One partition's rows after the start key.
struct Partition {
    rows: Vec<(ObjectKey, KeyState)>,
    /// The last key read, when the partition has rows after it.
    more_after: Option<ObjectKey>,
}

async fn read_partition(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: String,
    after: Option<&ObjectKey>,
    limit: usize,
) -> Result<Partition, StoreError> {
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    let mut start: Option<Item> = None;
    loop {
        let output = unthrottled(|| {
            let query = client
                .query()
                .table_name(table)
                .consistent_read(true)
                .limit(limit)
                .set_exclusive_start_key(start.clone())
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()));
            match after {
                Some(after) => query
                    .key_condition_expression("pk = :pk AND sk > :after")
                    .expression_attribute_values(":after", AttributeValue::S(after.as_str().to_owned())),
                None => query.key_condition_expression("pk = :pk"),
            }
            .send()
        })
        .await
        .or_store()?;
        let rows = output
            .items()
            .iter()
            .map(|item| {
                let key = ObjectKey::parse(string(item, "sk")?).map_err(|e| corrupt(e.to_string()))?;
                Ok((key, key_state(item)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let more = output.last_evaluated_key().is_some_and(|key| !key.is_empty());
        // A page cut short by DynamoDB's 1 MB before any row is read again from where it stopped.
        if rows.is_empty() && more {
            start = output.last_evaluated_key().cloned();
            continue;
        }
        let more_after = if more { rows.last().map(|(key, _)| key.clone()) } else { None };
        return Ok(Partition { rows, more_after });
    }
}
