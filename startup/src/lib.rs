//! What every binary does before its own work: logging, settings, and the AWS clients.

use aws_config::{BehaviorVersion, SdkConfig};
use store::Settings;
use tracing_subscriber::EnvFilter;

/// Whether the process runs inside AWS Lambda.
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
}

/// Logs to stderr: JSON in Lambda (CloudWatch parses it), readable lines elsewhere. `RUST_LOG` filters.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if in_lambda() {
        builder.json().with_current_span(false).without_time().try_init()
    } else {
        builder.with_target(false).try_init()
    };
}

/// The settings, or one line naming the bad variable and exit code 2.
pub fn settings_or_exit() -> Settings {
    Settings::from_env().unwrap_or_else(|error| {
        eprintln!("error: bad setting {error}");
        std::process::exit(2);
    })
}

/// The SDK configuration from the standard AWS variables (`AWS_REGION`, `AWS_ENDPOINT_URL`, credentials…).
pub async fn sdk_config() -> SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// An S3 client for `sdk`. Addresses buckets by path when the endpoint is not AWS's own (the local
/// endpoint and moto serve every bucket on one host).
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk).force_path_style(sdk.endpoint_url().is_some());
    aws_sdk_s3::Client::from_conf(config.build())
}
