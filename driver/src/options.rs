//! What a run is told: from the command line (clap) or from a Lambda event and the environment, into
//! one validated [`Options`].

use std::time::Duration;

use clap::Parser;
use domain::BucketName;
use reqwest::Url;
use serde::Deserialize;

use crate::api_auth::{ApiAuthChoice, ApiAuthMode};
use crate::error::{DriverError, InvalidOption};
use crate::s3::S3Endpoint;
use crate::scenario::{Scenario, Step, classic_steps};

pub const DEFAULT_SLEEP: Duration = Duration::from_secs(2);
pub const DEFAULT_WINDOW_SECONDS: u32 = 10;
/// The longest sleep between steps (a Lambda invocation lasts at most 15 minutes).
pub const MAX_SLEEP: Duration = Duration::from_secs(15 * 60);
pub use domain::MAX_WINDOW_SECONDS;

/// One run, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The Plot API's base URL (it may end with a stage path such as `/dev/`).
    pub api_url: Url,
    /// How the driver is let in by a protected api.
    pub api_auth: ApiAuthChoice,
    pub bucket: BucketName,
    /// The pause after each step (so each change becomes its own sample, seconds apart).
    pub sleep: Duration,
    /// The plot's window, in seconds.
    pub window: u32,
    pub scenario: Scenario,
}

/// Plays a scenario of puts and deletes against an S3 bucket, sleeping after each step, then asks the
/// Plot API for the plot of the last seconds. With no flags: the classic scenario against the local stack
/// (`cargo run`).
#[derive(Debug, Parser)]
#[command(name = "driver", version)]
pub struct Cli {
    /// The Plot API's base URL (an API Gateway stage URL such as https://…/dev/ works too).
    #[arg(long, env = "PLOT_API_URL", value_name = "URL", default_value = startup::local::API_URL, value_parser = parse_api_url)]
    pub api_url: Url,

    /// How a protected Plot API lets the driver in: none; api-key (the deployment's apiAuth=apiKey: the
    /// key's value is read from API Gateway by --api-key-id); iam (apiAuth=iam: each request is signed with
    /// SigV4 with the AWS credentials).
    #[arg(long, env = "PLOT_API_AUTH", value_name = "none|api-key|iam")]
    pub api_auth: Option<ApiAuthMode>,

    /// The id of the Plot API's key (the ApiKeyId output); implies --api-auth api-key.
    #[arg(long, env = "PLOT_API_KEY_ID", value_name = "ID")]
    pub api_key_id: Option<String>,

    /// The S3 endpoint, or `aws` for AWS's own with the standard AWS variables. The local stack's endpoint
    /// (and any endpoint when no AWS credentials are set) is signed with the local stack's credentials.
    #[arg(long, env = "DRIVER_ENDPOINT_URL", value_name = "URL|aws", default_value = startup::local::S3_URL, value_parser = parse_endpoint)]
    pub endpoint_url: S3Endpoint,

    /// The bucket to change.
    #[arg(long, env = "BUCKET_NAME", value_name = "NAME", default_value = startup::local::BUCKET, value_parser = parse_bucket)]
    pub bucket: BucketName,

    /// The pause after each step, e.g. 500ms, 2s (at most 15min).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_sleep)]
    pub sleep: Duration,

    /// The plot's window in seconds (1 to 2678400).
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_WINDOW_SECONDS, value_parser = parse_window)]
    pub window: u32,

    /// A prefix for every step's key, e.g. `runs/7/`.
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub prefix: String,

    /// A step, replacing the classic scenario; repeat for more, in order. put:KEY=BODY creates or
    /// overwrites KEY with BODY; delete:KEY deletes it. The classic scenario is put:assignment1.txt=Empty
    /// Assignment 1, put:assignment1.txt=Empty Assignment 2222222222, delete:assignment1.txt,
    /// put:assignment2.txt=33.
    #[arg(long = "step", value_name = "STEP", value_parser = parse_step)]
    pub steps: Vec<Step>,

    /// Print one JSON summary at the end instead of progress lines.
    #[arg(long)]
    pub json: bool,
}

/// A command line, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliOptions {
    pub options: Options,
    pub endpoint: S3Endpoint,
    pub json: bool,
}

impl Cli {
    /// Checks what flags alone cannot: the steps' keys with the prefix.
    pub fn into_options(self) -> Result<CliOptions, InvalidOption> {
        let steps = if self.steps.is_empty() { classic_steps() } else { self.steps };
        let scenario = Scenario::new(&self.prefix, steps)?;
        let api_auth = ApiAuthChoice::new(self.api_auth, self.api_key_id.as_deref())
            .map_err(|reason| InvalidOption::new("--api-auth", reason))?;
        Ok(CliOptions {
            options: Options {
                api_url: self.api_url,
                api_auth,
                bucket: self.bucket,
                sleep: self.sleep,
                window: self.window,
                scenario,
            },
            endpoint: self.endpoint_url,
            json: self.json,
        })
    }
}

/// An `http`/`https` URL with a host, and no query or fragment.
pub fn parse_api_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|error| format!("not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must have no query or fragment".into());
    }
    Ok(url)
}

/// `aws`, or an `http`/`https` URL with a host.
pub fn parse_endpoint(text: &str) -> Result<S3Endpoint, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("aws") {
        return Ok(S3Endpoint::Aws);
    }
    let url = parse_api_url(text)?;
    Ok(S3Endpoint::Url(url.as_str().trim_end_matches('/').to_owned()))
}

pub fn parse_bucket(text: &str) -> Result<BucketName, String> {
    BucketName::parse(text.trim()).map_err(|error| error.to_string())
}

/// A humantime duration (`500ms`, `2s`, `1m 30s`), at most 15 minutes.
pub fn parse_sleep(text: &str) -> Result<Duration, String> {
    let sleep = humantime::parse_duration(text.trim())
        .map_err(|error| format!("not a duration ({error}); e.g. 500ms, 2s"))?;
    check_sleep(sleep)
}

fn check_sleep(sleep: Duration) -> Result<Duration, String> {
    if sleep > MAX_SLEEP {
        return Err(format!("must be at most {}", humantime::format_duration(MAX_SLEEP)));
    }
    Ok(sleep)
}

pub fn parse_window(text: &str) -> Result<u32, String> {
    let window: i64 = text.trim().parse().map_err(|_| format!("not a whole number of seconds: {text:?}"))?;
    check_window(window)
}

fn check_window(window: i64) -> Result<u32, String> {
    if window < 1 {
        return Err("must be at least 1 second".into());
    }
    u32::try_from(window)
        .ok()
        .filter(|window| *window <= MAX_WINDOW_SECONDS)
        .ok_or_else(|| format!("must be at most {MAX_WINDOW_SECONDS} seconds (31 days)"))
}

pub fn parse_step(text: &str) -> Result<Step, String> {
    text.parse()
}

/// The Lambda invocation event; every field is optional, and unknown fields are refused.
///
/// ```json
/// {"sleep": "2s", "window": 10, "prefix": "runs/7/",
///  "steps": [{"put": {"key": "a.txt", "body": "hello"}}, {"delete": "a.txt"}]}
/// ```
///
/// `sleep` is a humantime duration (`"500ms"`); `sleep_ms` gives it in milliseconds instead (not both).
/// Without `steps`, the classic scenario runs. An empty or `null` event runs everything by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub sleep: Option<String>,
    pub sleep_ms: Option<u64>,
    pub window: Option<i64>,
    pub prefix: Option<String>,
    pub steps: Option<Vec<Step>>,
}

/// What the Lambda function reads from its environment: `BUCKET_NAME` and `PLOT_API_URL` (both required),
/// and how a protected api lets it in, `PLOT_API_AUTH` (`none`, `api-key`, `iam`) and `PLOT_API_KEY_ID`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LambdaEnv {
    pub bucket: Option<String>,
    pub api_url: Option<String>,
    pub api_auth: Option<String>,
    pub api_key_id: Option<String>,
}

impl LambdaEnv {
    /// Reads them all; a missing or bad one fails each invocation, naming it (see [`Event::into_options`]).
    pub fn read(env: &settings::Env) -> Self {
        Self {
            bucket: env.optional("BUCKET_NAME"),
            api_url: env.optional("PLOT_API_URL"),
            api_auth: env.optional("PLOT_API_AUTH"),
            api_key_id: env.optional("PLOT_API_KEY_ID"),
        }
    }

    pub fn from_env() -> Self {
        Self::read(&settings::Env::process())
    }
}

impl Event {
    /// Reads an event payload; `null` counts as `{}`.
    pub fn from_value(payload: serde_json::Value) -> Result<Self, InvalidOption> {
        if payload.is_null() {
            return Ok(Self::default());
        }
        serde_json::from_value(payload).map_err(|error| InvalidOption::new("event", error.to_string()))
    }

    /// The options for this event, with the bucket and the api from `env`.
    pub fn into_options(self, env: &LambdaEnv) -> Result<Options, DriverError> {
        let setting = |variable: &'static str, value: &Option<String>| {
            value.clone().ok_or(DriverError::Setting { variable, reason: "not set".into() })
        };
        let bucket = parse_bucket(&setting("BUCKET_NAME", &env.bucket)?)
            .map_err(|reason| DriverError::Setting { variable: "BUCKET_NAME", reason })?;
        let api_url = parse_api_url(&setting("PLOT_API_URL", &env.api_url)?)
            .map_err(|reason| DriverError::Setting { variable: "PLOT_API_URL", reason })?;
        let mode = env
            .api_auth
            .as_deref()
            .map(str::parse::<ApiAuthMode>)
            .transpose()
            .map_err(|reason| DriverError::Setting { variable: "PLOT_API_AUTH", reason })?;
        let api_auth = ApiAuthChoice::new(mode, env.api_key_id.as_deref())
            .map_err(|reason| DriverError::Setting { variable: "PLOT_API_KEY_ID", reason })?;

        let sleep = match (self.sleep, self.sleep_ms) {
            (Some(_), Some(_)) => {
                return Err(InvalidOption::new("sleep", "give sleep or sleep_ms, not both").into());
            }
            (Some(text), None) => parse_sleep(&text).map_err(|reason| InvalidOption::new("sleep", reason))?,
            (None, Some(ms)) => check_sleep(Duration::from_millis(ms))
                .map_err(|reason| InvalidOption::new("sleep_ms", reason))?,
            (None, None) => DEFAULT_SLEEP,
        };
        let window = match self.window {
            Some(window) => check_window(window).map_err(|reason| InvalidOption::new("window", reason))?,
            None => DEFAULT_WINDOW_SECONDS,
        };
        let steps = self.steps.unwrap_or_else(classic_steps);
        let scenario = Scenario::new(self.prefix.as_deref().unwrap_or_default(), steps)?;
        Ok(Options { api_url, api_auth, bucket, sleep, window, scenario })
    }
}
