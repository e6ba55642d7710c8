//! The object's state as S3 holds it now: what settles a tie between two changes of one key that carry
//! the same time-derived sequencer, and the key of a parked event.

use async_trait::async_trait;
use domain::{BucketName, ChangeKind, ObjectChange, ObjectKey, Sequencer};

/// Reading an object's current state failed.
#[derive(Debug, thiserror::Error)]
#[error("reading the current state of s3://{bucket}/{key} failed: {}", domain::ErrorChain(.source.as_ref()))]
pub struct CurrentObjectError {
    pub bucket: BucketName,
    pub key: ObjectKey,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Reads whether an object exists now, and its size.
#[async_trait]
pub trait CurrentObjects: Send + Sync {
    /// `Some(size)` when the object exists, `None` when it does not.
    async fn size_of(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>>;

    /// `change`'s key as the object is now (created with its size, or removed), under `sequencer`.
    async fn as_it_is_now(
        &self,
        change: &ObjectChange,
        sequencer: Sequencer,
    ) -> Result<ObjectChange, CurrentObjectError> {
        let size = self.size_of(&change.bucket, &change.key).await.map_err(|source| CurrentObjectError {
            bucket: change.bucket.clone(),
            key: change.key.clone(),
            source,
        })?;
        let kind = size.map_or(ChangeKind::Removed, |size| ChangeKind::Created { size });
        Ok(ObjectChange { sequencer, kind, ..change.clone() })
    }
}

#[async_trait]
impl CurrentObjects for aws_sdk_s3::Client {
    async fn size_of(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>> {
        match self.head_object().bucket(bucket.as_str()).key(key.as_str()).send().await {
            Ok(head) => Ok(Some(u64::try_from(head.content_length().unwrap_or(0)).unwrap_or(0))),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}
