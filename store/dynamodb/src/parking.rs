//! Changes too old to apply safely, kept until reconcile settles their keys: one row each under
//! `parked#<bucket>`, sort key `<sequencer>|<key>` (a sequencer holds no `|`). Parked changes are rare
//! (only an event redriven long after it happened), so each is one request.

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{BucketName, ChangeKind, ObjectChange, ObjectKey, Sequencer, StoreError};

use crate::attributes::{Item, n, optional_number, s, string};
use crate::errors::{OrStore, corrupt};
use crate::layout::row_key;
use crate::retry::unthrottled;

fn parked_pk(bucket: &BucketName) -> String {
    format!("parked#{bucket}")
}

fn parked_row(change: &ObjectChange) -> Item {
    row_key(parked_pk(&change.bucket), &format!("{}|{}", change.sequencer.as_str(), change.key.as_str()))
}

pub(crate) async fn park(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    changes: &[ObjectChange],
) -> Result<(), StoreError> {
    for change in changes {
        let mut item = parked_row(change);
        item.insert("key".into(), s(change.key.as_str()));
        item.insert("sequencer".into(), s(change.sequencer.as_str()));
        if let ChangeKind::Created { size } = change.kind {
            item.insert("size".into(), n(size));
        }
        unthrottled(|| client.put_item().table_name(table).set_item(Some(item.clone())).send())
            .await
            .or_store()?;
    }
    Ok(())
}

pub(crate) async fn parked(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    bucket: &BucketName,
) -> Result<Vec<ObjectChange>, StoreError> {
    let mut pages = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(parked_pk(bucket)))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send();
    let mut changes = Vec::new();
    while let Some(item) = pages.next().await {
        let item = item.or_store()?;
        changes.push(ObjectChange {
            bucket: bucket.clone(),
            key: ObjectKey::parse(string(&item, "key")?).map_err(|e| corrupt(e.to_string()))?,
            sequencer: Sequencer::parse(string(&item, "sequencer")?).map_err(|e| corrupt(e.to_string()))?,
            kind: optional_number(&item, "size")?
                .map_or(ChangeKind::Removed, |size| ChangeKind::Created { size }),
        });
    }
    Ok(changes)
}

pub(crate) async fn unpark(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    changes: &[ObjectChange],
) -> Result<(), StoreError> {
    for change in changes {
        unthrottled(|| client.delete_item().table_name(table).set_key(Some(parked_row(change))).send())
            .await
            .or_store()?;
    }
    Ok(())
}
