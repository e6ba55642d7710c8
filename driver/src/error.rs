//! What can stop the driver, each with one message that says what failed and where.

use std::fmt;

use lambda_runtime::Diagnostic;

/// An option (CLI flag or Lambda event field) that cannot be used: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct InvalidOption {
    pub field: String,
    pub reason: String,
}

impl InvalidOption {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

/// Why a run failed. Nothing is undone on failure: the steps already taken stay, as the scenario left them.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error(transparent)]
    Invalid(#[from] InvalidOption),

    /// A setting from the environment (Lambda) is missing or malformed.
    #[error("bad setting {variable}: {reason}")]
    Setting { variable: &'static str, reason: String },

    /// No connection to the Plot API (refused, unknown host, timed out…).
    #[error("cannot reach the Plot API at {url}: {reason}{hint}", hint = LocalHint(url))]
    ApiUnreachable { url: String, reason: String },

    /// The Plot API answered with a status outside 2xx; `message` is its `error` (and `detail`) text.
    #[error("the Plot API answered {status}: {message}")]
    ApiStatus { status: u16, message: String },

    /// The API key's value could not be read from API Gateway (`apiAuth=apiKey`).
    #[error("cannot read the value of the Plot API's key {id} from API Gateway: {reason}")]
    ApiKey { id: String, reason: String },

    /// A request to the Plot API could not be signed (`apiAuth=iam`).
    #[error("cannot sign the request to the Plot API: {reason}")]
    ApiSigning { reason: String },

    /// The Plot API answered 2xx with a body that is not the plot answer.
    #[error("the Plot API at {url} answered with an unreadable body: {reason}")]
    ApiBody { url: String, reason: String },

    /// No connection to the S3 endpoint.
    #[error("cannot reach S3 at {endpoint}: {reason}{hint}", hint = LocalHint(endpoint))]
    S3Unreachable { endpoint: String, reason: String },

    #[error("bucket {bucket} does not exist at {endpoint}")]
    BucketMissing { bucket: String, endpoint: String },

    /// S3 refused or failed an operation (access denied, bad credentials, internal error…).
    #[error("S3 at {endpoint} failed to {action}: {message}")]
    S3 { endpoint: String, action: String, message: String },

    /// The Lambda invocation has too little time left for the scenario's sleeps.
    #[error(
        "the scenario needs about {needed_s} s but the invocation has {left_s} s left: use fewer steps or a shorter sleep"
    )]
    NotEnoughTime { needed_s: u64, left_s: u64 },
}

impl DriverError {
    /// Whether the invocation's event asked for something impossible: the caller's mistake, which the
    /// function reports to the caller and does not log as its own error.
    pub fn is_callers_mistake(&self) -> bool {
        matches!(self, Self::Invalid(_) | Self::NotEnoughTime { .. })
    }

    /// A stable name for the kind of failure (the Lambda error result's `errorType`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "InvalidOption",
            Self::Setting { .. } => "BadSetting",
            Self::ApiUnreachable { .. } => "PlotApiUnreachable",
            Self::ApiStatus { .. } => "PlotApiError",
            Self::ApiBody { .. } => "PlotApiBadAnswer",
            Self::ApiKey { .. } => "PlotApiKeyUnreadable",
            Self::ApiSigning { .. } => "PlotApiUnsigned",
            Self::S3Unreachable { .. } => "S3Unreachable",
            Self::BucketMissing { .. } => "BucketMissing",
            Self::S3 { .. } => "S3Error",
            Self::NotEnoughTime { .. } => "NotEnoughTime",
        }
    }
}

impl From<DriverError> for Diagnostic {
    fn from(error: DriverError) -> Self {
        Diagnostic { error_type: error.kind().into(), error_message: error.to_string() }
    }
}

/// Appends "— is `cargo run` running?" to messages about a service on this machine (the local stack).
struct LocalHint<'a>(&'a str);

impl fmt::Display for LocalHint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_loopback(self.0) { f.write_str(" — is `cargo run` running?") } else { Ok(()) }
    }
}

fn is_loopback(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url).ok().and_then(|url| url.host_str().map(str::to_owned)) else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The cause of a transport failure in a few words: the innermost I/O error ("connection refused"), else
/// the innermost error's own text.
pub(crate) fn transport_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    let mut current = Some(error);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
                std::io::ErrorKind::ConnectionReset => "connection reset".into(),
                std::io::ErrorKind::TimedOut => "timed out".into(),
                _ => io.to_string(),
            };
        }
        innermost = err;
        current = err.source();
    }
    innermost.to_string()
}
