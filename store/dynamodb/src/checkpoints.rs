//! Where each bucket's scheduled reconcile stands: one row `reconcile#<bucket>` / `-` in the index table
//! with `started_ms`, `after` (absent before the first page), the progress counts, `finished_ms` (absent
//! while the walk is under way), `leased_until_ms` and a `revision` every store conditions on.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::checkpoint::{Checkpoint, Progress, Revised};
use domain::{BucketName, Checkpoints, ObjectKey, StoreError};

use crate::DynamoLedger;
use crate::attributes::{Item, n, number, optional_number, s, string};
use crate::errors::{OrStore, corrupt};
use crate::layout::row_key;
use crate::retry::unthrottled;

fn checkpoint_row(bucket: &BucketName) -> Item {
    row_key(format!("reconcile#{bucket}"), "-")
}

fn item_of(bucket: &BucketName, checkpoint: &Checkpoint, revision: u64) -> Item {
    let mut item = checkpoint_row(bucket);
    item.insert("started_ms".into(), n(checkpoint.started_ms));
    if let Some(after) = &checkpoint.after {
        item.insert("after".into(), s(after.as_str()));
    }
    if let Some(finished_ms) = checkpoint.finished_ms {
        item.insert("finished_ms".into(), n(finished_ms));
    }
    item.insert("leased_until_ms".into(), n(checkpoint.leased_until_ms));
    item.insert("revision".into(), n(revision));
    let Progress { listed, added, removed, resized, raced, drift_bytes, drift_objects } = checkpoint.progress;
    for (name, count) in
        [("listed", listed), ("added", added), ("removed", removed), ("resized", resized), ("raced", raced)]
    {
        item.insert(name.into(), n(count));
    }
    item.insert("drift_bytes".into(), n(drift_bytes));
    item.insert("drift_objects".into(), n(drift_objects));
    item
}

fn checkpoint_of(item: &Item) -> Result<Revised<Checkpoint>, StoreError> {
    let after = match item.get("after") {
        None => None,
        Some(_) => Some(ObjectKey::parse(string(item, "after")?).map_err(|e| corrupt(e.to_string()))?),
    };
    let progress = Progress {
        listed: number(item, "listed")?,
        added: number(item, "added")?,
        removed: number(item, "removed")?,
        resized: number(item, "resized")?,
        raced: number(item, "raced")?,
        drift_bytes: number(item, "drift_bytes")?,
        drift_objects: number(item, "drift_objects")?,
    };
    let value = Checkpoint {
        started_ms: number(item, "started_ms")?,
        after,
        progress,
        finished_ms: optional_number(item, "finished_ms")?,
        leased_until_ms: number(item, "leased_until_ms")?,
    };
    Ok(Revised { value, revision: number(item, "revision")? })
}

#[async_trait]
impl Checkpoints for DynamoLedger {
    async fn checkpoint(&self, bucket: &BucketName) -> Result<Option<Revised<Checkpoint>>, StoreError> {
        let (client, table) = self.index();
        let read = unthrottled(|| {
            client
                .get_item()
                .table_name(table)
                .set_key(Some(checkpoint_row(bucket)))
                .consistent_read(true)
                .send()
        })
        .await
        .or_store()?;
        read.item().map(checkpoint_of).transpose()
    }

    async fn store_checkpoint(
        &self,
        bucket: &BucketName,
        checkpoint: &Checkpoint,
        over: Option<u64>,
    ) -> Result<Option<u64>, StoreError> {
        let (client, table) = self.index();
        let revision = over.map_or(1, |over| over + 1);
        let item = item_of(bucket, checkpoint, revision);
        let put = unthrottled(|| {
            let put = client.put_item().table_name(table).set_item(Some(item.clone()));
            match over {
                None => put.condition_expression("attribute_not_exists(pk)"),
                Some(over) => put
                    .condition_expression("revision = :over")
                    .expression_attribute_values(":over", AttributeValue::N(over.to_string())),
            }
            .send()
        })
        .await;
        match put {
            Ok(_) => Ok(Some(revision)),
            Err(SdkError::ServiceError(error))
                if matches!(error.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(None)
            }
            Err(error) => Err(error).or_store(),
        }
    }
}
