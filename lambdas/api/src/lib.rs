//! The api function: its configuration and its start. It links the DynamoDB store only.

mod config;

use std::process::ExitCode;
use std::sync::Arc;

use api::{ApiConfig, Application, TrackedBuckets};
pub use config::{ApiLambdaConfig, Mode};
use store_dynamodb::DynamoHistory;

/// Builds the app once (SDK clients, their connections warmed), then serves it in the configured mode.
pub async fn run(config: ApiLambdaConfig) -> ExitCode {
    let sdk = startup::sdk_config().await;
    let mode = config.mode;
    let app = application(config, store_dynamodb::client(&sdk), startup::s3_client(&sdk)).await;
    let result = match mode {
        Mode::WebAdapter(addr) => match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                tracing::info!("Plot API listening on http://{addr} for the Lambda Web Adapter");
                app.serve(listener, api::serve::shutdown_signal()).await.map_err(|e| e.to_string())
            }
            Err(error) => Err(format!("cannot listen on {addr}: {error}")),
        },
        Mode::Native => lambda_http::run(app.router()).await.map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            tracing::error!("{problem}");
            ExitCode::FAILURE
        }
    }
}

/// The app the function serves, on `dynamodb` and `s3`, their connections opened.
pub async fn application(
    config: ApiLambdaConfig,
    dynamodb: aws_sdk_dynamodb::Client,
    s3: aws_sdk_s3::Client,
) -> Application {
    let history = DynamoHistory::new(dynamodb, config.tables);
    tokio::join!(history.warm_up(&config.bucket), warm_up_s3(&s3, &config.bucket));
    let served = ApiConfig::new(config.bucket).tracking(TrackedBuckets::Listed(config.tracked));
    Application::build_with(Arc::new(history), s3, served, domain::system_clock())
}

/// Opens the connection to S3 (TLS included) with one HEAD of the latest plot, which the function may
/// read; a missing plot is an answer too. Only logged: requests report their own failures.
async fn warm_up_s3(s3: &aws_sdk_s3::Client, bucket: &domain::BucketName) {
    let head = s3.head_object().bucket(bucket.as_str()).key(domain::LATEST_PLOT_KEY).send().await;
    if let Err(error) = head
        && !error.as_service_error().is_some_and(|e| e.is_not_found())
    {
        tracing::warn!(error = %domain::ErrorChain(&error), "warming the S3 connection failed");
    }
}
