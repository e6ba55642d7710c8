//! The tracker function: its configuration and its start. It links the DynamoDB store only.

mod config;

use std::process::ExitCode;
use std::sync::Arc;

pub use config::TrackerLambdaConfig;
use store_dynamodb::DynamoLedger;
use tracker::Tracker;

/// Builds the tracker once (the SDK client, its connection warmed), then serves invocations.
pub async fn run(config: TrackerLambdaConfig) -> ExitCode {
    let sdk = startup::sdk_config().await;
    let tracker = tracker(config, store_dynamodb::client(&sdk)).await;
    match tracker::lambda::run(tracker).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}

/// The tracker the function runs, on `dynamodb`, its connection opened.
pub async fn tracker(config: TrackerLambdaConfig, dynamodb: aws_sdk_dynamodb::Client) -> Tracker {
    let ledger = DynamoLedger::new(dynamodb, config.tables);
    ledger.warm_up().await;
    Tracker::new(Arc::new(ledger), config.rules)
}
