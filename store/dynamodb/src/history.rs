use async_trait::async_trait;
use domain::{BucketName, History, Sample, StoreError, Window};

use crate::HistoryTables;
use crate::attributes::{Item, n, s, sample_from_item};
use crate::errors::OrStore;

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

    async fn query(
        &self,
        bucket: &BucketName,
        range: Range,
        order: Order,
        pages: Pages,
    ) -> Result<Vec<Sample>, StoreError> {
        let condition = match range {
            Range::All | Range::BySize => "#bucket = :bucket",
            Range::Before(_) => "#bucket = :bucket AND #ts < :from",
            Range::Between(..) => "#bucket = :bucket AND #ts BETWEEN :from AND :to",
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.history)
            .key_condition_expression(condition)
            .expression_attribute_names("#bucket", "bucket")
            .expression_attribute_values(":bucket", s(bucket.as_str()))
            .scan_index_forward(matches!(order, Order::OldestFirst))
            .limit(match pages {
                Pages::First => 1,
                Pages::Every => self.page_size,
            });
        match range {
            Range::All => {}
            Range::BySize => request = request.index_name(&self.tables.gsi),
            Range::Before(from) => {
                request = request
                    .expression_attribute_names("#ts", "ts")
                    .expression_attribute_values(":from", n(from));
            }
            Range::Between(from, to) => {
                request = request
                    .expression_attribute_names("#ts", "ts")
                    .expression_attribute_values(":from", n(from))
                    .expression_attribute_values(":to", n(to));
            }
        }
        let mut samples = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = request.clone().set_exclusive_start_key(start.take()).send().await.or_store()?;
            for item in output.items() {
                samples.push(sample_from_item(bucket, item)?);
            }
            match (output.last_evaluated_key(), &pages) {
                (Some(key), Pages::Every) => start = Some(key.clone()),
                _ => return Ok(samples),
            }
        }
    }
}

#[async_trait]
impl History for DynamoHistory {
    async fn window(&self, bucket: &BucketName, from_ms: i64, to_ms: i64) -> Result<Window, StoreError> {
        let carry_in =
            self.query(bucket, Range::Before(from_ms), Order::NewestFirst, Pages::First).await?.pop();
        let samples =
            self.query(bucket, Range::Between(from_ms, to_ms), Order::OldestFirst, Pages::Every).await?;
        Ok(Window { carry_in, samples })
    }

    async fn max(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError> {
        Ok(self.query(bucket, Range::BySize, Order::NewestFirst, Pages::First).await?.pop())
    }

    async fn latest(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError> {
        Ok(self.query(bucket, Range::All, Order::NewestFirst, Pages::First).await?.pop())
    }
}
