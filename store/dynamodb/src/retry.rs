//! What is worth trying again, and how long to wait first. Lost races (a cancelled transaction) and
//! throttling are retried, with exponential back-off and full jitter; every other error is not: the
//! caller's change fails and is delivered again later, which is safe because applying is idempotent.

use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// The SDK's own first pause before resending a throttled or failed request. Its default (1 s, growing
/// to 20 s) suits services whose throttles last; DynamoDB's pass in milliseconds (as AWS's advice on
/// DynamoDB retries shows, 50 ms, 100 ms, 200 ms…), and a batch waiting a second for each throttled
/// request loses most of its throughput.
const SDK_INITIAL_BACKOFF: Duration = Duration::from_millis(25);

/// How this store wants the SDK to retry: its standard mode (3 attempts) with a short first pause; the
/// ledger's own loops retry throttling and lost races beyond that.
pub fn retry_config() -> aws_sdk_dynamodb::config::retry::RetryConfig {
    aws_sdk_dynamodb::config::retry::RetryConfig::standard().with_initial_backoff(SDK_INITIAL_BACKOFF)
}

/// A DynamoDB client for `sdk` that retries as [`retry_config`] says.
pub fn client(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(sdk).retry_config(retry_config()).build(),
    )
}

/// How often one step (a chunk's write, a read, a sample) is tried before giving up.
pub(crate) const MAX_ATTEMPTS: u32 = 200;

/// The error codes DynamoDB answers when a table, partition or account is over its throughput.
const THROTTLING: [&str; 4] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "LimitExceededException",
];

/// How a failed call should be handled.
pub(crate) enum Failure<E> {
    /// A transaction cancelled by a condition or a concurrent transaction: read again, then retry.
    LostRace,
    /// Throttled: wait, then send the same request again.
    Throttled,
    /// Anything else: give up on this step.
    Fatal(E),
}

fn code<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<&str> {
    match error {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

pub(crate) fn classify<E, R>(error: SdkError<E, R>) -> Failure<SdkError<E, R>>
where
    E: ProvideErrorMetadata,
{
    match code(&error) {
        Some("TransactionCanceledException" | "TransactionConflictException") => Failure::LostRace,
        Some(code) if THROTTLING.contains(&code) => Failure::Throttled,
        _ => Failure::Fatal(error),
    }
}

/// Waits before attempt `attempt + 1`: a random time up to 2^attempt ms, at most 100 ms.
pub(crate) async fn back_off(attempt: u32) {
    let ceiling_ms = 2u64.saturating_pow(attempt.min(7)).min(100);
    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=ceiling_ms))).await;
}

/// Makes a single call, sent again while it is throttled (up to [`MAX_ATTEMPTS`] in all); answers the
/// call's own result otherwise, so the caller still sees its other errors (a failed condition) as they are.
pub(crate) async fn unthrottled<T, E, R, F, Fut>(mut call: F) -> Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, R>>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(error)
                if code(&error).is_some_and(|code| THROTTLING.contains(&code))
                    && attempt + 1 < MAX_ATTEMPTS =>
            {
                attempt += 1;
                back_off(attempt).await;
            }
            result => return result,
        }
    }
}
