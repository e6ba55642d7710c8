use async_trait::async_trait;
use domain::rollup::Rollup;
use domain::{BucketName, History, Sample, StoreError};

use crate::HistoryTables;
use crate::attributes::{Item, n, s, sample_from_item};
use crate::errors::OrStore;
use crate::rollups::{rollup_from_item, rollup_partition, write_rollups};

/// Items per Query page; DynamoDB also ends a page at 1 MB.
const DEFAULT_PAGE_SIZE: i32 = 1000;

/// The api's side of the store: reads the history table and its index by size.
#[derive(Clone)]
pub struct DynamoHistory {
    client: aws_sdk_dynamodb::Client,
    tables: HistoryTables,
    page_size: i32,
}

/// Which samples of a bucket one Query reads.
enum Range {
    /// All of them, by time.
    All,
    /// Those before `ts` (exclusive).
    Before(i64),
    /// Those with `from <= ts <= to`.
    Between(i64, i64),
    /// All of them, through the index ordered by size.
    BySize,
    /// The stored rollups of a level (under their own partition key) starting from `from` to `to`.
    Rollups { level_ms: i64, from: i64, to: i64 },
}

enum Order {
    OldestFirst,
    NewestFirst,
}

enum Pages {
    /// The first item only.
    First,
    /// Every page, following `LastEvaluatedKey`.
    Every,
    /// Pages until this many items were read.
    UpTo(usize),
}

impl DynamoHistory {
    pub fn new(client: aws_sdk_dynamodb::Client, tables: HistoryTables) -> Self {
        Self { client, tables, page_size: DEFAULT_PAGE_SIZE }
    }

    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// Opens the connection to DynamoDB (TLS included) with one cheap read, so that the first request
    /// after a cold start does not pay for it. A failure here is only logged: requests report their own.
    pub async fn warm_up(&self, bucket: &BucketName) {
        if let Err(error) = self.latest(bucket).await {
            tracing::warn!(%error, "warming the DynamoDB connection failed");
        }
    }

    /// The samples `range` selects, in `order`.
    async fn query(
        &self,
        bucket: &BucketName,
        range: Range,
        order: Order,
        pages: Pages,
    ) -> Result<Vec<Sample>, StoreError> {
        let items = self.items(bucket, range, order, pages).await?;
        items.iter().map(|item| sample_from_item(bucket, item)).collect()
    }

    /// The items `range` selects. Reads of the table itself are strongly consistent: a window never misses
    /// a sample that `latest` answered, so a rollup made from them is complete.
    async fn items(
        &self,
        bucket: &BucketName,
        range: Range,
        order: Order,
        pages: Pages,
    ) -> Result<Vec<Item>, StoreError> {
        let condition = match range {
            Range::All | Range::BySize => "#bucket = :bucket",
            Range::Before(_) => "#bucket = :bucket AND #ts < :from",
            Range::Between(..) | Range::Rollups { .. } => "#bucket = :bucket AND #ts BETWEEN :from AND :to",
        };
        let partition = match range {
            Range::Rollups { level_ms, .. } => rollup_partition(bucket, level_ms),
            _ => bucket.to_string(),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.history)
            .key_condition_expression(condition)
            .expression_attribute_names("#bucket", "bucket")
            .expression_attribute_values(":bucket", s(partition))
            .scan_index_forward(matches!(order, Order::OldestFirst))
            .consistent_read(!matches!(range, Range::BySize))
            .limit(match pages {
                Pages::First => 1,
                Pages::Every => self.page_size,
                Pages::UpTo(most) => self.page_size.min(i32::try_from(most).unwrap_or(i32::MAX)).max(1),
            });
        match range {
            Range::All => {}
            Range::BySize => request = request.index_name(&self.tables.gsi),
            Range::Before(from) => {
                request = request
                    .expression_attribute_names("#ts", "ts")
                    .expression_attribute_values(":from", n(from));
            }
            Range::Between(from, to) | Range::Rollups { from, to, .. } => {
                request = request
                    .expression_attribute_names("#ts", "ts")
                    .expression_attribute_values(":from", n(from))
                    .expression_attribute_values(":to", n(to));
            }
        }
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = request.clone().set_exclusive_start_key(start.take()).send().await.or_store()?;
            items.extend(output.items().iter().cloned());
            match (output.last_evaluated_key(), &pages) {
                (Some(key), Pages::Every) => start = Some(key.clone()),
                (Some(key), Pages::UpTo(most)) if items.len() < *most => start = Some(key.clone()),
                (_, Pages::UpTo(most)) => {
                    items.truncate(*most);
                    return Ok(items);
                }
                _ => return Ok(items),
            }
        }
    }
}

#[async_trait]
impl History for DynamoHistory {
    async fn samples(
        &self,
        bucket: &BucketName,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>, StoreError> {
        self.query(bucket, Range::Between(from_ms, to_ms), Order::OldestFirst, Pages::Every).await
    }

    async fn samples_from(
        &self,
        bucket: &BucketName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Sample>, StoreError> {
        self.query(bucket, Range::Between(from_ms, to_ms), Order::OldestFirst, Pages::UpTo(limit)).await
    }

    async fn carry_in(&self, bucket: &BucketName, before_ms: i64) -> Result<Option<Sample>, StoreError> {
        Ok(self.query(bucket, Range::Before(before_ms), Order::NewestFirst, Pages::First).await?.pop())
    }

    async fn max(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError> {
        Ok(self.query(bucket, Range::BySize, Order::NewestFirst, Pages::First).await?.pop())
    }

    async fn latest(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError> {
        Ok(self.query(bucket, Range::All, Order::NewestFirst, Pages::First).await?.pop())
    }

    async fn rollups(
        &self,
        bucket: &BucketName,
        level_ms: i64,
        first_start: i64,
        last_start: i64,
    ) -> Result<Vec<Rollup>, StoreError> {
        let range = Range::Rollups { level_ms, from: first_start, to: last_start };
        let items = self.items(bucket, range, Order::OldestFirst, Pages::Every).await?;
        items.iter().map(|item| rollup_from_item(bucket, level_ms, item)).collect()
    }

    async fn put_rollups(&self, bucket: &BucketName, rollups: &[Rollup]) -> Result<(), StoreError> {
        write_rollups(&self.client, &self.tables.history, bucket, rollups).await
    }
}
