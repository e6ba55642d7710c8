//! What every binary does before its own work: logging and the AWS clients. Whether a binary runs in
//! Lambda is not detected: the Lambda functions are binaries of their own (`lambdas/`), and they say so.

use std::io::IsTerminal;

use aws_config::{BehaviorVersion, SdkConfig};
use tracing_subscriber::EnvFilter;

fn filter(default_level: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level))
}

/// Logs for a Lambda function: JSON lines on stderr, which CloudWatch parses; `RUST_LOG` filters
/// (default `info`).
pub fn init_lambda_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter("info"))
        .with_writer(std::io::stderr)
        .json()
        .with_current_span(false)
        .without_time()
        .try_init();
}

/// Logs for a program people run: readable lines on stderr, coloured only on a terminal. `RUST_LOG`
/// filters; without it, `default_level` (e.g. `warn` for command lines whose stdout is the output).
pub fn init_terminal_logs(default_level: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(default_level))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
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
    /// The endpoint's and the api's default URLs (a test checks they name the ports above).
    pub const S3_URL: &str = "http://127.0.0.1:4566";
    pub const API_URL: &str = "http://127.0.0.1:3000";

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

#[cfg(test)]
mod tests {
    use super::local;

    #[test]
    fn the_local_urls_name_the_local_ports() {
        assert_eq!(local::S3_URL, format!("http://127.0.0.1:{}", local::S3_PORT));
        assert_eq!(local::API_URL, format!("http://127.0.0.1:{}", local::API_PORT));
    }
}
