//! One lock per object key (striped), so that changes of one key reach the disk and take their sequencers
//! in the same order; and one read-write lock per bucket (striped), which every object change shares and
//! DeleteBucket takes alone, so a bucket is never removed between a change's check that it exists and
//! the change's announcement.

use std::hash::{DefaultHasher, Hash, Hasher};

use tokio::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Enough stripes that unrelated keys rarely wait for each other, few enough to allocate once.
const STRIPES: usize = 256;
/// Buckets are few, and only DeleteBucket waits for the others.
const BUCKET_STRIPES: usize = 16;

fn stripe(of: impl Hash, stripes: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    of.hash(&mut hasher);
    // The remainder is below `stripes`, so it fits in usize on every platform.
    (hasher.finish() % stripes as u64) as usize
}

#[derive(Debug)]
pub(crate) struct KeyLocks {
    stripes: Vec<Mutex<()>>,
}

impl KeyLocks {
    pub(crate) fn new() -> Self {
        Self { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect() }
    }

    pub(crate) async fn lock(&self, bucket: &str, key: &str) -> MutexGuard<'_, ()> {
        self.stripes[stripe((bucket, key), STRIPES)].lock().await
    }
}

/// A change holds at most one bucket's lock (a copy holds its destination's), so that waiting for a
/// bucket's lock never happens while holding another's.
#[derive(Debug)]
pub(crate) struct BucketLocks {
    stripes: Vec<RwLock<()>>,
}

impl BucketLocks {
    pub(crate) fn new() -> Self {
        Self { stripes: (0..BUCKET_STRIPES).map(|_| RwLock::new(())).collect() }
    }

    /// Held by an object change in `bucket`, from its check that the bucket exists to its announcement.
    pub(crate) async fn change(&self, bucket: &str) -> RwLockReadGuard<'_, ()> {
        self.stripes[stripe(bucket, BUCKET_STRIPES)].read().await
    }

    /// Held by DeleteBucket, from its check that `bucket` is empty to its removal.
    pub(crate) async fn removal(&self, bucket: &str) -> RwLockWriteGuard<'_, ()> {
        self.stripes[stripe(bucket, BUCKET_STRIPES)].write().await
    }
}
