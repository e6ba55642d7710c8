//! What every binary does before its own work: logging and the AWS clients. Whether a binary runs in
//! Lambda is not detected: the Lambda functions are binaries of their own (`lambdas/`), and they say so.

use std::io::IsTerminal;

use aws_config::{BehaviorVersion, SdkConfig};
use tracing_subscriber::EnvFilter;

fn filter(default_level: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level))
}

/// Logs for a Lambda function: JSON lines on stderr, which CloudWatch parses; `RUST_LOG` filters
/// (default `info`). Each line logged during an invocation carries its request id (`span.requestId`, from
/// the runtime's `Lambda runtime invoke` span), so one invocation's lines can be found together.
pub fn init_lambda_logs() {
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = lambda_logs(filter("info"), std::io::stderr).try_init();
}

/// The subscriber of [`init_lambda_logs`], writing to `writer`.
fn lambda_logs<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .finish()
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

    #[test]
    fn the_local_urls_name_the_local_ports() {
        assert_eq!(local::S3_URL, format!("http://127.0.0.1:{}", local::S3_PORT));
        assert_eq!(local::API_URL, format!("http://127.0.0.1:{}", local::API_PORT));
    }

    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_lambda_log_line_is_json_with_the_invocations_request_id_and_its_fields() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = lambda_logs(EnvFilter::new("info"), move || writer.clone());
        tracing::subscriber::with_default(subscriber, || {
            // The span lambda_runtime opens around each invocation.
            tracing::info_span!("Lambda runtime invoke", requestId = "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
                .in_scope(|| {
                    tracing::info!(
                        bucket = "b-1",
                        key = "k",
                        sequencer = "0A",
                        outcome = "applied",
                        "record handled"
                    )
                });
            tracing::info!("outside any invocation");
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let logged: Vec<serde_json::Value> =
            text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        assert_eq!(logged.len(), 2, "{text}");
        assert_eq!(logged[0]["span"]["requestId"], "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
        assert_eq!(logged[0]["fields"]["message"], "record handled");
        for (field, value) in [("bucket", "b-1"), ("key", "k"), ("sequencer", "0A"), ("outcome", "applied")] {
            assert_eq!(logged[0]["fields"][field], value, "{field}");
        }
        assert_eq!(logged[0]["level"], "INFO");
        assert!(logged[1].get("span").is_none(), "{}", logged[1]);
    }
}
