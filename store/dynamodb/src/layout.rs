//! Where a bucket's rows live in the index table. A bucket's key rows are spread over
//! `object_partitions` partition keys and its totals over `totals_shards` rows, so that no single item
//! or partition carries all of a busy bucket's writes. Both numbers are recorded per bucket the first
//! time the ledger meets it, so changing the default later never loses a shard of a bucket that exists.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use domain::{BucketName, ObjectKey, StoreError, fnv1a};

use crate::attributes::{Item, n, number, s};
use crate::errors::{OrStore, corrupt};
use crate::retry::unthrottled;

/// How one bucket's rows are spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// S: the partition keys its key rows are spread over, by a hash of the key.
    pub object_partitions: u32,
    /// N: the rows its totals are split over, summed on read.
    pub totals_shards: u32,
}

impl Layout {
    /// For buckets the ledger meets for the first time. 32 partitions of key rows carry 32 × 500
    /// transactional writes/s; 8 totals shards keep concurrent chunks of one bucket from colliding on one
    /// row. BENCHMARKS.md derives the per-bucket ceiling from these.
    pub const DEFAULT: Self = Self { object_partitions: 32, totals_shards: 8 };

    /// The layout of the ledger before buckets were spread: one partition key `obj#<bucket>` and one totals
    /// row `total#<bucket>`. A bucket tracked then keeps it, so an upgrade loses nothing.
    pub const UNSPREAD: Self = Self { object_partitions: 1, totals_shards: 1 };

    /// The index table key of `key`'s row.
    pub(crate) fn key_row(&self, bucket: &BucketName, key: &ObjectKey) -> Item {
        let partition = fnv1a(key.as_str().as_bytes()) % u64::from(self.object_partitions.max(1));
        row_key(self.key_partition(bucket, partition), key.as_str())
    }

    /// The partition keys of the bucket's key rows.
    pub(crate) fn key_partitions(&self, bucket: &BucketName) -> Vec<String> {
        (0..u64::from(self.object_partitions.max(1))).map(|p| self.key_partition(bucket, p)).collect()
    }

    fn key_partition(&self, bucket: &BucketName, partition: u64) -> String {
        if self.object_partitions <= 1 {
            format!("obj#{bucket}")
        } else {
            format!("obj#{bucket}#{partition}")
        }
    }

    /// The index table key of totals shard `shard` (`0 <= shard < totals_shards`).
    pub(crate) fn totals_row(&self, bucket: &BucketName, shard: u32) -> Item {
        if self.totals_shards <= 1 {
            row_key(format!("total#{bucket}"), "-")
        } else {
            row_key(format!("total#{bucket}#{shard}"), "-")
        }
    }

    pub(crate) fn totals_rows(&self, bucket: &BucketName) -> Vec<Item> {
        (0..self.totals_shards.max(1)).map(|shard| self.totals_row(bucket, shard)).collect()
    }
}

/// The row that records a bucket's layout.
fn layout_row(bucket: &BucketName) -> Item {
    row_key(format!("layout#{bucket}"), "-")
}

pub(crate) fn row_key(pk: String, sk: &str) -> Item {
    Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// The layouts of the buckets met so far (a new bucket gets [`Layout::DEFAULT`]).
#[derive(Default)]
pub(crate) struct Layouts {
    known: Mutex<HashMap<BucketName, Layout>>,
}

impl Layouts {
    /// Drops what is known of the bucket's layout: its rows were found moved (see [`crate::relayout`]).
    pub(crate) fn forget(&self, bucket: &BucketName) {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).remove(bucket);
    }

    /// The bucket's recorded layout; recorded now if it has none: the unspread one when the bucket has
    /// rows from before, else the one for new buckets. A layout once recorded never changes.
    pub(crate) async fn of(
        &self,
        client: &aws_sdk_dynamodb::Client,
        table: &str,
        bucket: &BucketName,
    ) -> Result<Layout, StoreError> {
        if let Some(layout) = self.known.lock().unwrap_or_else(|p| p.into_inner()).get(bucket) {
            return Ok(*layout);
        }
        let layout = match read_layout(client, table, bucket).await? {
            Some(layout) => layout,
            None => {
                let layout = if has_unspread_rows(client, table, bucket).await? {
                    Layout::UNSPREAD
                } else {
                    Layout::DEFAULT
                };
                record_layout(client, table, bucket, layout).await?
            }
        };
        self.known.lock().unwrap_or_else(|p| p.into_inner()).insert(bucket.clone(), layout);
        Ok(layout)
    }
}

/// Whether the bucket has a totals row from before layouts (the unspread one).
pub(crate) async fn has_unspread_rows(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    bucket: &BucketName,
) -> Result<bool, StoreError> {
    let output = unthrottled(|| {
        client
            .get_item()
            .table_name(table)
            .set_key(Some(Layout::UNSPREAD.totals_row(bucket, 0)))
            .consistent_read(true)
            .projection_expression("pk")
            .send()
    })
    .await
    .or_store()?;
    Ok(output.item().is_some())
}

/// The row that records `layout` for `bucket`.
pub(crate) fn layout_item(bucket: &BucketName, layout: Layout) -> Item {
    let mut item = layout_row(bucket);
    item.insert("object_partitions".into(), n(layout.object_partitions));
    item.insert("totals_shards".into(), n(layout.totals_shards));
    item
}

pub(crate) async fn read_layout(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    bucket: &BucketName,
) -> Result<Option<Layout>, StoreError> {
    let output = unthrottled(|| {
        client.get_item().table_name(table).set_key(Some(layout_row(bucket))).consistent_read(true).send()
    })
    .await
    .or_store()?;
    output
        .item()
        .map(|item| {
            let layout = Layout {
                object_partitions: number(item, "object_partitions")?,
                totals_shards: number(item, "totals_shards")?,
            };
            if layout.object_partitions == 0 || layout.totals_shards == 0 {
                return Err(corrupt(format!("the layout of {bucket} has zero partitions or shards")));
            }
            Ok(layout)
        })
        .transpose()
}

/// Records `layout` unless another writer recorded one first; answers the one that stands.
pub(crate) async fn record_layout(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    bucket: &BucketName,
    layout: Layout,
) -> Result<Layout, StoreError> {
    let item = layout_item(bucket, layout);
    let put = unthrottled(|| {
        client
            .put_item()
            .table_name(table)
            .set_item(Some(item.clone()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
    })
    .await;
    match put {
        Ok(_) => Ok(layout),
        Err(SdkError::ServiceError(error))
            if matches!(error.err(), PutItemError::ConditionalCheckFailedException(_)) =>
        {
            read_layout(client, table, bucket)
                .await?
                .ok_or_else(|| corrupt(format!("the layout of {bucket} vanished")))
        }
        Err(error) => Err(error).or_store(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unspread_layout_names_the_rows_as_before() {
        let bucket = BucketName::parse("b-1").unwrap();
        let key = ObjectKey::parse("k").unwrap();
        assert_eq!(Layout::UNSPREAD.key_row(&bucket, &key), row_key("obj#b-1".into(), "k"));
        assert_eq!(Layout::UNSPREAD.totals_rows(&bucket), vec![row_key("total#b-1".into(), "-")]);
    }

    #[test]
    fn a_spread_layout_uses_every_partition_and_shard() {
        let bucket = BucketName::parse("b-1").unwrap();
        let layout = Layout { object_partitions: 4, totals_shards: 3 };
        let partitions: std::collections::HashSet<String> = (0..200)
            .map(|i| {
                let row = layout.key_row(&bucket, &ObjectKey::parse(format!("key-{i}")).unwrap());
                crate::attributes::string(&row, "pk").unwrap().to_owned()
            })
            .collect();
        let expected: std::collections::HashSet<String> = (0..4).map(|p| format!("obj#b-1#{p}")).collect();
        assert_eq!(partitions, expected);
        let shards: Vec<Item> = layout.totals_rows(&bucket);
        assert_eq!(shards.len(), 3);
        assert_eq!(shards[2], row_key("total#b-1#2".into(), "-"));
    }
}
