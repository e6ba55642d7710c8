//! Which buckets the api serves: the ones a deployment tracks (its configuration), or, on this machine,
//! every bucket of the local S3 endpoint (the local stack tracks each bucket created on it).

use domain::BucketName;

/// Where the list of tracked buckets comes from, besides the default bucket (always tracked).
#[derive(Debug, Clone)]
pub enum TrackedBuckets {
    /// A fixed list: a deployment's `TRACKED_BUCKETS`.
    Listed(Vec<BucketName>),
    /// Every bucket the S3 endpoint holds, asked at each request (the local stack).
    OnEndpoint(aws_sdk_s3::Client),
}

/// The endpoint's bucket list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ListBucketsError {
    #[error("listing the endpoint's buckets failed")]
    Request(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the endpoint listed a bucket with an invalid name")]
    InvalidName(#[source] domain::DomainError),
}

impl TrackedBuckets {
    /// The tracked buckets, `default` first, each once; the others in the list's order (by name on an
    /// endpoint).
    pub async fn list(&self, default: &BucketName) -> Result<Vec<BucketName>, ListBucketsError> {
        let mut names = match self {
            Self::Listed(names) => names.clone(),
            Self::OnEndpoint(s3) => endpoint_buckets(s3).await?,
        };
        names.retain(|name| name != default);
        names.insert(0, default.clone());
        Ok(names)
    }

    /// Whether `bucket` is one of these (the default is tracked either way).
    pub async fn contains(&self, bucket: &BucketName) -> Result<bool, ListBucketsError> {
        match self {
            Self::Listed(names) => Ok(names.contains(bucket)),
            Self::OnEndpoint(s3) => Ok(endpoint_buckets(s3).await?.contains(bucket)),
        }
    }
}

/// Every bucket the S3 endpoint holds, by name.
pub async fn endpoint_buckets(s3: &aws_sdk_s3::Client) -> Result<Vec<BucketName>, ListBucketsError> {
    let listed = s3.list_buckets().send().await.map_err(|e| ListBucketsError::Request(e.into()))?;
    let mut names = listed
        .buckets()
        .iter()
        .filter_map(|bucket| bucket.name())
        .map(BucketName::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ListBucketsError::InvalidName)?;
    names.sort();
    Ok(names)
}
