use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;

use super::DynamoStore;
use super::attributes::{Item, n, s, sample_from_item};
use crate::{BucketName, History, Sample, StoreError, Window};

impl DynamoStore {
    /// Runs one Query on the history table (or its GSI), following `LastEvaluatedKey` until the end,
    /// or stopping after the first page when `limit` is set.
    async fn query(
        &self,
        bucket: &BucketName,
        index: Option<&str>,
        condition: &str,
        values: &[(&str, String)],
        newest_first: bool,
        limit: Option<i32>,
    ) -> Result<Vec<Sample>, StoreError> {
        let mut samples = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.tables.history)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression(condition)
                .expression_attribute_names("#bucket", "bucket")
                .expression_attribute_values(":bucket", s(bucket.as_str()))
                .scan_index_forward(!newest_first)
                .limit(limit.unwrap_or(self.page_size))
                .set_exclusive_start_key(start.take());
            if condition.contains("#ts") {
                request = request.expression_attribute_names("#ts", "ts");
            }
            for (name, value) in values {
                request = request.expression_attribute_values(*name, n(value));
            }
            let output = request.send().await.map_err(|e| StoreError::dynamodb(DisplayErrorContext(e)))?;
            for item in output.items() {
                samples.push(sample_from_item(bucket, item)?);
            }
            match output.last_evaluated_key() {
                Some(key) if limit.is_none() => start = Some(key.clone()),
                _ => return Ok(samples),
            }
        }
    }
}

#[async_trait]
impl History for DynamoStore {
    async fn window(&self, bucket: &BucketName, from_ms: i64, to_ms: i64) -> Result<Window, StoreError> {
        let carry_in = self
            .query(
                bucket,
                None,
                "#bucket = :bucket AND #ts < :from",
                &[(":from", from_ms.to_string())],
                true,
                Some(1),
            )
            .await?
            .pop();
        let samples = self
            .query(
                bucket,
                None,
                "#bucket = :bucket AND #ts BETWEEN :from AND :to",
                &[(":from", from_ms.to_string()), (":to", to_ms.to_string())],
                false,
                None,
            )
            .await?;
        Ok(Window { carry_in, samples })
    }

    async fn max(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError> {
        let gsi = self.tables.history_gsi.clone();
        Ok(self.query(bucket, Some(&gsi), "#bucket = :bucket", &[], true, Some(1)).await?.pop())
    }

    async fn latest(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError> {
        Ok(self.query(bucket, None, "#bucket = :bucket", &[], true, Some(1)).await?.pop())
    }
}
