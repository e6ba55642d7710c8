//! Reading and writing typed values in DynamoDB items.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use domain::{BucketName, Sample, StoreError};

use crate::errors::corrupt;

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn number<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(text)) => {
            text.parse().map_err(|_| corrupt(format!("{name} is not a valid number: {text:?}")))
        }
        other => Err(corrupt(format!("{name} is not a number: {other:?}"))),
    }
}

pub(super) fn optional_number<T: std::str::FromStr>(
    item: &Item,
    name: &str,
) -> Result<Option<T>, StoreError> {
    if item.contains_key(name) { number(item, name).map(Some) } else { Ok(None) }
}

pub(super) fn string<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(text)) => Ok(text),
        other => Err(corrupt(format!("{name} is not a string: {other:?}"))),
    }
}

pub(super) fn boolean(item: &Item, name: &str) -> Result<bool, StoreError> {
    match item.get(name) {
        Some(AttributeValue::Bool(value)) => Ok(*value),
        other => Err(corrupt(format!("{name} is not a boolean: {other:?}"))),
    }
}

pub(super) fn sample_item(sample: &Sample) -> Item {
    HashMap::from([
        ("bucket".to_owned(), s(sample.bucket.as_str())),
        ("ts".to_owned(), n(sample.ts_ms)),
        ("size_bytes".to_owned(), n(sample.size_bytes)),
        ("object_count".to_owned(), n(sample.object_count)),
    ])
}

pub(super) fn sample_from_item(bucket: &BucketName, item: &Item) -> Result<Sample, StoreError> {
    Ok(Sample {
        bucket: bucket.clone(),
        ts_ms: number(item, "ts")?,
        size_bytes: number(item, "size_bytes")?,
        object_count: number(item, "object_count")?,
    })
}
