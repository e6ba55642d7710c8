//! One lock per object key (striped), so that changes of one key reach the disk and take their sequencers
//! in the same order.

use std::hash::{DefaultHasher, Hash, Hasher};

use tokio::sync::{Mutex, MutexGuard};

/// Enough stripes that unrelated keys rarely wait for each other, few enough to allocate once.
const STRIPES: usize = 256;

#[derive(Debug)]
pub(crate) struct KeyLocks {
    stripes: Vec<Mutex<()>>,
}

impl KeyLocks {
    pub(crate) fn new() -> Self {
        Self { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect() }
    }

    pub(crate) async fn lock(&self, bucket: &str, key: &str) -> MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        (bucket, key).hash(&mut hasher);
        // The remainder is below STRIPES, so it fits in usize on every platform.
        let stripe = (hasher.finish() % STRIPES as u64) as usize;
        self.stripes[stripe].lock().await
    }
}
