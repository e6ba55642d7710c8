//! A ledger in front of another, for tests that fail, count, slow down or interleave its calls: each call
//! goes to the inner ledger through [`Around::around`], which may run it, fail it, or do something first.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use domain::correction::{Correction, KeyRows};
use domain::transition::Transition;
use domain::{BucketName, ChangeResult, Ledger, ObjectChange, ObjectKey, StoreError, Totals};

/// Which call of the ledger is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerCall {
    ApplyBatch,
    KeyRows,
    Correct,
    Park,
    Parked,
    Unpark,
    Totals,
}

/// The inner ledger's work for one call.
pub type Work<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What a test does around each call of the ledger.
#[async_trait]
pub trait Around: Send + Sync {
    /// Answers the call: `work`'s answer when it runs it, or an error of its own.
    async fn around<'a, T: Send + 'a>(&'a self, call: LedgerCall, work: Work<'a, T>)
    -> Result<T, StoreError>;
}

/// `inner`, each of its calls made through `around`. A failed `apply_batch` answers the error for
/// every change.
pub struct Wrapped<A> {
    pub inner: Arc<dyn Ledger>,
    pub around: A,
}

impl<A: Around> Wrapped<A> {
    pub fn new(inner: Arc<dyn Ledger>, around: A) -> Self {
        Self { inner, around }
    }
}

#[async_trait]
impl<A: Around> Ledger for Wrapped<A> {
    async fn apply_batch(&self, changes: &[ObjectChange]) -> Vec<ChangeResult> {
        let work: Work<'_, Vec<ChangeResult>> = Box::pin(async { Ok(self.inner.apply_batch(changes).await) });
        match self.around.around(LedgerCall::ApplyBatch, work).await {
            Ok(results) => results,
            Err(error) => {
                let error = Arc::new(error);
                changes.iter().map(|_| Err(Arc::clone(&error))).collect()
            }
        }
    }

    async fn key_rows(
        &self,
        bucket: &BucketName,
        after: Option<&ObjectKey>,
        limit: usize,
    ) -> Result<KeyRows, StoreError> {
        self.around.around(LedgerCall::KeyRows, self.inner.key_rows(bucket, after, limit)).await
    }

    async fn correct(
        &self,
        bucket: &BucketName,
        corrections: &[Correction],
    ) -> Result<Vec<Transition>, StoreError> {
        self.around.around(LedgerCall::Correct, self.inner.correct(bucket, corrections)).await
    }

    fn tombstone_lifetime(&self) -> Option<std::time::Duration> {
        self.inner.tombstone_lifetime()
    }

    async fn park(&self, changes: &[ObjectChange]) -> Result<(), StoreError> {
        self.around.around(LedgerCall::Park, self.inner.park(changes)).await
    }

    async fn parked(&self, bucket: &BucketName) -> Result<Vec<ObjectChange>, StoreError> {
        self.around.around(LedgerCall::Parked, self.inner.parked(bucket)).await
    }

    async fn unpark(&self, changes: &[ObjectChange]) -> Result<(), StoreError> {
        self.around.around(LedgerCall::Unpark, self.inner.unpark(changes)).await
    }

    async fn totals(&self, bucket: &BucketName) -> Result<Totals, StoreError> {
        self.around.around(LedgerCall::Totals, self.inner.totals(bucket)).await
    }
}
