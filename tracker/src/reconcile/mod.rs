//! Makes the ledger agree with the bucket as a listing shows it (keys whose events were never received,
//! or whose changes were lost), and settles the keys of parked events: run when an existing bucket
//! joins, after a redrive of old events, by the local stack at every start, and on a schedule ([`tick`]:
//! a walk that outlasts one invocation resumes from its checkpoint at the next).

mod listing;
mod schedule;
mod walk;

pub use domain::checkpoint::Progress;
use domain::{BucketName, Ledger, Series, StoreError, Totals};
pub use schedule::{Schedule, TickOutcome, tick};
pub use walk::{Position, Walk};

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

/// What a reconcile of one series of a bucket found and did; printed as JSON by `tracker reconcile`
/// and logged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileReport {
    pub bucket: String,
    /// `current` (the objects, as listed) or `all-versions` (every version and delete marker).
    pub series: Series,
    #[serde(flatten)]
    pub progress: Progress,
    /// Keys of parked events settled from the bucket.
    pub settled: u64,
    /// The bucket's totals afterwards.
    pub size_bytes: u64,
    pub object_count: u64,
}

/// How many keys one step reads from the ledger and lists from the bucket (S3's most per listing page).
pub const PAGE_KEYS: usize = 1_000;

/// Makes the ledger agree with a listing of `bucket` (a bucket, or a bucket's all-versions series, which
/// lists its versions; see [`Series::of`]): keys listed but not tracked are added, keys
/// tracked but not listed are removed, sizes that differ are corrected (see [`domain::correction`]),
/// then parked events are settled. Each range of keys is read from the ledger before it is listed, and
/// each correction applies only if its key's row is still the one read, so an event applied meanwhile
/// is never undone and one still on its way still wins. Pages of the ledger and of the listing advance
/// together in key order (a listing page may be listed again from where the ledger's page ended), so
/// memory stays one page whatever the bucket holds.
pub async fn reconcile(
    s3: &aws_sdk_s3::Client,
    ledger: &dyn Ledger,
    bucket: &BucketName,
    reserved_prefixes: &[String],
    on_progress: impl FnMut(Progress),
) -> Result<ReconcileReport, ReconcileError> {
    reconcile_in_pages(s3, ledger, bucket, reserved_prefixes, PAGE_KEYS, on_progress).await
}

/// [`reconcile`], reading and listing `page_keys` keys at a time.
pub async fn reconcile_in_pages(
    s3: &aws_sdk_s3::Client,
    ledger: &dyn Ledger,
    bucket: &BucketName,
    reserved_prefixes: &[String],
    page_keys: usize,
    mut on_progress: impl FnMut(Progress),
) -> Result<ReconcileReport, ReconcileError> {
    let mut walk = Walk::resume(s3, ledger, bucket, reserved_prefixes, page_keys, Position::default());
    while !walk.is_done() {
        walk.step().await?;
        on_progress(walk.position().progress);
    }
    finish(s3, ledger, bucket, walk.position().progress).await
}

/// Ends a walk whose last range is reconciled: settles the parked changes, and reports (and logs) what
/// the walk did with the bucket's totals now.
pub async fn finish(
    s3: &aws_sdk_s3::Client,
    ledger: &dyn Ledger,
    bucket: &BucketName,
    progress: Progress,
) -> Result<ReconcileReport, ReconcileError> {
    let settled = settle_parked(ledger, s3, bucket).await?;
    let Totals { size_bytes, object_count } = ledger.totals(bucket).await?;
    let (owner, series) = Series::split(bucket);
    let report =
        ReconcileReport { bucket: owner.to_string(), series, progress, settled, size_bytes, object_count };
    tracing::info!(
        bucket = %owner,
        series = series.as_str(),
        listed = progress.listed,
        added = progress.added,
        removed = progress.removed,
        resized = progress.resized,
        raced = progress.raced,
        drift_bytes = progress.drift_bytes,
        drift_objects = progress.drift_objects,
        settled,
        size_bytes,
        object_count,
        "bucket reconciled"
    );
    Ok(report)
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
