//! Brings keys that exist in the bucket, but were never notified, into the ledger: run once when an
//! existing bucket joins, and by the local stack at every start.

use domain::{BucketName, Ledger, ObjectKey, StoreError, Totals};

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("listing s3://{bucket} failed: {}", domain::ErrorChain(.source.as_ref()))]
    Listing {
        bucket: BucketName,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
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
    let Totals { size_bytes, object_count } = ledger.totals(bucket).await?;
    Ok(ReconcileReport {
        bucket: bucket.to_string(),
        listed: progress.listed,
        added: progress.added,
        size_bytes,
        object_count,
    })
}
