use std::sync::Arc;

use async_trait::async_trait;

use crate::{ApplyOutcome, BucketName, ObjectChange, ObjectKey, Sample, StoreError, Totals, Window};

/// The tracker's side of the port: the per-key ledger and the bucket totals it keeps exact.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Applies one change atomically: the key's row, the bucket's totals and a new sample move together,
    /// or nothing moves. A change whose sequencer is not newer than the key's is skipped, which makes
    /// applying idempotent and order-independent.
    async fn apply(&self, change: &ObjectChange) -> Result<ApplyOutcome, StoreError>;

    /// Applies a batch of changes, in any order and of any buckets, with the same result as applying them
    /// one by one: per key the highest sequencer wins. Answers one result per change, in the order given;
    /// a change whose write failed answers the error (shared by the changes that failed with it), and is
    /// safe to apply again.
    async fn apply_batch(&self, changes: &[ObjectChange]) -> Vec<ChangeResult> {
        let mut results = Vec::with_capacity(changes.len());
        for change in changes {
            results.push(self.apply(change).await.map_err(Arc::new));
        }
        results
    }

    /// Adds the listed objects whose keys the ledger has never seen (with the lowest sequencer, so any
    /// real event wins over them) and records one sample if anything was added. Returns the number added.
    async fn seed(&self, bucket: &BucketName, objects: &[(ObjectKey, u64)]) -> Result<u64, StoreError>;

    /// The bucket's current totals (zero for a bucket never seen).
    async fn totals(&self, bucket: &BucketName) -> Result<Totals, StoreError>;
}

/// What applying one change of a batch did.
pub type ChangeResult = Result<ApplyOutcome, Arc<StoreError>>;

/// The api's side of the port: reading the size history.
#[async_trait]
pub trait History: Send + Sync {
    /// Samples with `from_ms <= ts <= to_ms`, oldest first, every page read, plus the last sample before `from_ms`.
    async fn window(&self, bucket: &BucketName, from_ms: i64, to_ms: i64) -> Result<Window, StoreError>;

    /// The sample with the largest size ever recorded.
    async fn max(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError>;

    /// The most recent sample.
    async fn latest(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError>;
}

/// Both sides, as one adapter provides them.
pub trait SizeStore: Ledger + History {}

impl<T: Ledger + History> SizeStore for T {}
