use std::sync::Arc;

use async_trait::async_trait;

use crate::{ApplyOutcome, BucketName, ObjectChange, ObjectKey, Sample, StoreError, Totals, Window};

/// The tracker's side of the port: the per-key ledger and the bucket totals it keeps exact.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Applies a batch of changes, in any order and of any buckets, with the same result as applying them
    /// one by one in sequencer order: per key the highest sequencer wins, and a change whose sequencer is
    /// not newer than the key's is skipped, which makes applying idempotent and order-independent. Each key
    /// row moves together with its bucket's totals; every bucket the batch changed gets a sample written
    /// after its changes. Answers one result per change, in the order given; a change whose write failed
    /// answers the error (shared by the changes that failed with it) and is safe to apply again.
    async fn apply_batch(&self, changes: &[ObjectChange]) -> Vec<ChangeResult>;

    /// Applies one change: a batch of one.
    async fn apply(&self, change: &ObjectChange) -> Result<ApplyOutcome, StoreError> {
        crate::batch::only_result(self.apply_batch(std::slice::from_ref(change)).await)
    }

    /// Adds the listed objects whose keys the ledger has never seen (with the lowest sequencer, so any
    /// real event wins over them, and a tombstone refuses them) and records a sample if anything was
    /// added. Returns the number added.
    async fn seed(&self, bucket: &BucketName, objects: &[(ObjectKey, u64)]) -> Result<u64, StoreError> {
        let changes: Vec<ObjectChange> = objects
            .iter()
            .map(|(key, size)| ObjectChange {
                bucket: bucket.clone(),
                key: key.clone(),
                sequencer: crate::Sequencer::lowest(),
                kind: crate::ChangeKind::Created { size: *size },
            })
            .collect();
        let mut added = 0;
        for result in self.apply_batch(&changes).await {
            match result {
                Ok(ApplyOutcome::Applied(_)) => added += 1,
                Ok(ApplyOutcome::Skipped { .. }) => {}
                Err(error) => return Err(StoreError::Shared(error)),
            }
        }
        Ok(added)
    }

    /// How long the ledger keeps a tombstone, or `None` for as long as the key's row: an event older than
    /// this may find its key forgotten, and is parked instead of applied.
    fn tombstone_lifetime(&self) -> Option<std::time::Duration> {
        Some(crate::TOMBSTONE_LIFETIME)
    }

    /// Keeps changes too old to apply safely (older than [`Self::tombstone_lifetime`]: the tombstone that
    /// would refuse one may be gone) until reconcile settles their keys from the bucket. Parking one twice
    /// keeps it once.
    async fn park(&self, changes: &[ObjectChange]) -> Result<(), StoreError>;

    /// The bucket's parked changes.
    async fn parked(&self, bucket: &BucketName) -> Result<Vec<ObjectChange>, StoreError>;

    /// Forgets parked changes whose keys were settled.
    async fn unpark(&self, changes: &[ObjectChange]) -> Result<(), StoreError>;

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
