//! The tracker function: its configuration and its start. It links the DynamoDB store only, and reads
//! the bucket only where a versioned bucket's record leaves the current version open.

mod config;

use std::process::ExitCode;
use std::sync::Arc;

pub use config::TrackerLambdaConfig;
use store_dynamodb::DynamoLedger;
use tracker::Tracker;

/// Builds the tracker once (the SDK clients, the DynamoDB connection warmed), then serves invocations.
pub async fn run(config: TrackerLambdaConfig) -> ExitCode {
    let sdk = startup::sdk_config().await;
    let tracker = tracker(config, store_dynamodb::client(&sdk), startup::s3_client(&sdk)).await;
    match tracker::lambda::run(tracker).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}

/// The tracker the function runs, on `dynamodb`, its connection opened; it reads the bucket through `s3`
/// where a record alone cannot say what a key is now (a version removed for good).
pub async fn tracker(
    config: TrackerLambdaConfig,
    dynamodb: aws_sdk_dynamodb::Client,
    s3: aws_sdk_s3::Client,
) -> Tracker {
    let ledger = DynamoLedger::new(dynamodb, config.tables);
    ledger.warm_up().await;
    Tracker::new(Arc::new(ledger), config.rules).with_current_objects(Arc::new(s3))
}
