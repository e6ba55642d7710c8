//! Brings keys that exist in the bucket, but were never notified, into the ledger, and settles the keys
//! of parked events: run once when an existing bucket joins, after a redrive of old events, and by the
//! local stack at every start.

use domain::{BucketName, Ledger, ObjectKey, StoreError, Totals};

use crate::current::{CurrentObjectError, CurrentObjects};

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("listing s3://{bucket} failed: {}", domain::ErrorChain(.source.as_ref()))]
    Listing {
        bucket: BucketName,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    CurrentObject(#[from] CurrentObjectError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Objects listed so far (reserved prefixes excluded).
    pub listed: u64,
    /// Of them, keys the ledger did not know.
    pub added: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileReport {
    pub bucket: String,
    pub listed: u64,
    pub added: u64,
    /// Keys of parked events settled from the bucket.
    pub settled: u64,
    pub size_bytes: u64,
    pub object_count: u64,
}

/// Lists the bucket page by page and seeds each page.
pub async fn reconcile(
    s3: &aws_sdk_s3::Client,
    ledger: &dyn Ledger,
    bucket: &BucketName,
    reserved_prefixes: &[String],
    mut on_progress: impl FnMut(Progress),
) -> Result<ReconcileReport, ReconcileError> {
    let listing_failed = |source: Box<dyn std::error::Error + Send + Sync>| ReconcileError::Listing {
        bucket: bucket.clone(),
        source,
    };
    let mut progress = Progress::default();
    let mut pages = s3.list_objects_v2().bucket(bucket.as_str()).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| listing_failed(e.into()))?;
        let mut objects = Vec::with_capacity(page.contents().len());
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            let key = ObjectKey::parse(key).map_err(|e| listing_failed(e.into()))?;
            if key.is_under_any(reserved_prefixes) {
                continue;
            }
            let size = u64::try_from(object.size().unwrap_or(0)).unwrap_or(0);
            objects.push((key, size));
        }
        progress.listed += objects.len() as u64;
        progress.added += ledger.seed(bucket, &objects).await?;
        on_progress(progress);
    }
    let settled = settle_parked(ledger, s3, bucket).await?;
    let Totals { size_bytes, object_count } = ledger.totals(bucket).await?;
    Ok(ReconcileReport {
        bucket: bucket.to_string(),
        listed: progress.listed,
        added: progress.added,
        settled,
        size_bytes,
        object_count,
    })
}

/// Settles the bucket's parked changes from its current objects: each key's state now (read through
/// `current`) is applied under the parked change's sequencer, so anything newer the ledger knows still
/// wins and nothing older comes back; then the changes are unparked. Answers how many were settled.
pub async fn settle_parked(
    ledger: &dyn Ledger,
    current: &dyn CurrentObjects,
    bucket: &BucketName,
) -> Result<u64, ReconcileError> {
    let parked = ledger.parked(bucket).await?;
    if parked.is_empty() {
        return Ok(0);
    }
    let mut settled = Vec::with_capacity(parked.len());
    for change in &parked {
        settled.push(current.as_it_is_now(change, change.sequencer.clone()).await?);
    }
    for result in ledger.apply_batch(&settled).await {
        result.map_err(StoreError::Shared)?;
    }
    ledger.unpark(&parked).await?;
    Ok(parked.len() as u64)
}
