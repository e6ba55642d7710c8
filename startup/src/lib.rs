//! What every binary does before its own work: logging, settings, and the AWS clients.

use aws_config::{BehaviorVersion, SdkConfig};
use store::Settings;
use tracing_subscriber::EnvFilter;

/// Whether the process runs inside AWS Lambda.
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
}

/// Logs to stderr: JSON in Lambda (CloudWatch parses it), readable lines elsewhere. `RUST_LOG` filters;
/// without it, `default_level` (e.g. `info` for servers, `warn` for command lines whose stdout is the output).
pub fn init_tracing(default_level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
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

/// Used when neither `AWS_REGION` nor `AWS_DEFAULT_REGION` is set, rather than probing the EC2 metadata
/// service, which a laptop does not have.
pub const FALLBACK_REGION: &str = "us-east-1";

/// The SDK configuration from the standard AWS variables (`AWS_REGION`, `AWS_ENDPOINT_URL`, credentials…).
pub async fn sdk_config() -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest());
    let region_set = ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().any(|name| std::env::var_os(name).is_some());
    let loader = if region_set { loader } else { loader.region(aws_config::Region::new(FALLBACK_REGION)) };
    loader.load().await
}

/// An S3 client for `sdk`. Addresses buckets by path when the endpoint is not AWS's own (the local
/// endpoint and moto serve every bucket on one host).
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk).force_path_style(sdk.endpoint_url().is_some());
    aws_sdk_s3::Client::from_conf(config.build())
}

/// The fixed names, ports and credentials of the local stack (`cargo run`), shared by its clients.
pub mod local {
    /// The bucket the local stack creates and tracks.
    pub const BUCKET: &str = "size-tracking-local";
    pub const S3_PORT: u16 = 4566;
    pub const API_PORT: u16 = 3000;
    /// The local S3 endpoint checks SigV4 signatures against these. They open nothing outside this machine.
    pub const ACCESS_KEY_ID: &str = "local-access-key";
    pub const SECRET_ACCESS_KEY: &str = "local-secret-key";
    pub const REGION: &str = "us-east-1";

    /// An SDK configuration for the local S3 endpoint at `endpoint_url`, with the local credentials.
    pub async fn sdk_config(endpoint_url: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(endpoint_url)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "local-stack",
            ))
            .load()
            .await
    }
}
