use std::sync::Arc;

use async_trait::async_trait;

use crate::checkpoint::{Checkpoint, Revised};
use crate::correction::{Correction, KeyRows};
use crate::rollup::{ReducedWindow, Rollup};
use crate::transition::Transition;
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

    /// The bucket's key rows (tombstones included) after `after`, in key order (the byte order of the keys,
    /// which is S3's listing order), read consistently: about `limit` of them, and every row up to the
    /// answer's `through`.
    async fn key_rows(
        &self,
        bucket: &BucketName,
        after: Option<&ObjectKey>,
        limit: usize,
    ) -> Result<KeyRows, StoreError>;

    /// Applies corrections of one bucket, each only if its key's row is still the one it saw (see
    /// [`crate::correction`]), with the key rows and the totals moving together, and records a sample if
    /// any applied. Answers what each did, in order. On an error, some may have applied: reading the rows
    /// again and correcting what still disagrees is safe.
    async fn correct(
        &self,
        bucket: &BucketName,
        corrections: &[Correction],
    ) -> Result<Vec<Transition>, StoreError>;

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

/// Where each bucket's scheduled reconcile stands (see [`crate::checkpoint`]).
#[async_trait]
pub trait Checkpoints: Send + Sync {
    /// The bucket's checkpoint, read consistently; `None` before its first walk.
    async fn checkpoint(&self, bucket: &BucketName) -> Result<Option<Revised<Checkpoint>>, StoreError>;

    /// Stores the bucket's checkpoint if the stored one is still at `over` (`None`: there is none yet).
    /// Answers the new revision, or `None` when another writer stored one first (nothing is written).
    async fn store_checkpoint(
        &self,
        bucket: &BucketName,
        checkpoint: &Checkpoint,
        over: Option<u64>,
    ) -> Result<Option<u64>, StoreError>;
}

/// What applying one change of a batch did.
pub type ChangeResult = Result<ApplyOutcome, Arc<StoreError>>;

/// The api's side of the port: reading the size history, and keeping its rollups.
#[async_trait]
pub trait History: Send + Sync {
    /// Samples with `from_ms <= ts <= to_ms`, oldest first, every page read, consistently (a sample that
    /// [`Self::latest`] answered is among them).
    async fn samples(&self, bucket: &BucketName, from_ms: i64, to_ms: i64)
    -> Result<Vec<Sample>, StoreError>;

    /// At most `limit` of the samples with `from_ms <= ts <= to_ms`, oldest first, read consistently.
    async fn samples_from(
        &self,
        bucket: &BucketName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Sample>, StoreError>;

    /// The last sample before `before_ms`.
    async fn carry_in(&self, bucket: &BucketName, before_ms: i64) -> Result<Option<Sample>, StoreError>;

    /// The sample with the largest size ever recorded.
    async fn max(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError>;

    /// The most recent sample, read consistently.
    async fn latest(&self, bucket: &BucketName) -> Result<Option<Sample>, StoreError>;

    /// The stored rollups of `level_ms` whose intervals start in `first_start ..= last_start`.
    async fn rollups(
        &self,
        bucket: &BucketName,
        level_ms: i64,
        first_start: i64,
        last_start: i64,
    ) -> Result<Vec<Rollup>, StoreError>;

    /// Stores rollups of finished intervals. Storing one again stores the same item: a finished interval's
    /// samples never change.
    async fn put_rollups(&self, bucket: &BucketName, rollups: &[Rollup]) -> Result<(), StoreError>;

    /// The samples of `from_ms ..= to_ms` and the last sample before them.
    async fn window(&self, bucket: &BucketName, from_ms: i64, to_ms: i64) -> Result<Window, StoreError> {
        let carry_in = self.carry_in(bucket, from_ms).await?;
        let samples = self.samples(bucket, from_ms, to_ms).await?;
        Ok(Window { carry_in, samples })
    }

    /// The window `from_ms ..= to_ms` for `points` points, in about as many items whatever it holds:
    /// see [`crate::rollup`].
    async fn reduced_window(
        &self,
        bucket: &BucketName,
        from_ms: i64,
        to_ms: i64,
        points: usize,
    ) -> Result<ReducedWindow, StoreError> {
        crate::rollup::reduced_window(self, bucket, from_ms, to_ms, points).await
    }
}

/// Both sides, as one adapter provides them.
pub trait SizeStore: Ledger + History {}

impl<T: Ledger + History> SizeStore for T {}
