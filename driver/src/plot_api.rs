//! The HTTP client for the Plot API: `GET {api}/plot?window=N` and `GET {api}/window?window=N`, with their
//! failures turned into [`DriverError`]s.

use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::api_auth::ApiAuth;
use crate::error::{DriverError, transport_cause};

/// How long the plot request may take (API Gateway gives up after 29 s).
pub const PLOT_TIMEOUT: Duration = Duration::from_secs(60);
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// One sample as the api answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiSample {
    /// Epoch milliseconds.
    pub ts: i64,
    pub size_bytes: u64,
    pub object_count: u64,
}

/// The api's answer to `GET /plot` (JSON): where the plot is; the window's samples are `/window`'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlotAnswer {
    pub bucket: String,
    pub window_seconds: u64,
    /// The all-time largest sample.
    #[serde(default)]
    pub max: Option<ApiSample>,
    /// Where the plot was stored, e.g. `plots/plot.png`.
    pub key: String,
    /// A presigned GET URL for the plot.
    pub url: String,
    /// Seconds the URL stays valid.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// The api's answer to `GET /window` (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowAnswer {
    pub bucket: String,
    pub window_seconds: u64,
    /// The samples inside the window, oldest first (one per interval when `downsampled`).
    pub samples: Vec<ApiSample>,
    /// The last sample before the window (the size the window starts with).
    #[serde(default)]
    pub carry_in: Option<ApiSample>,
    #[serde(default)]
    pub downsampled: bool,
}

/// The most points the driver asks `/window` for: every change of a scenario, however many.
const WINDOW_POINTS: u32 = 10_000;

/// The api's error body, `{"error": …, "detail": …}`; `message` is API Gateway's own form.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    error: Option<String>,
    detail: Option<String>,
    message: Option<String>,
}

/// The Plot API at a base URL. The base may carry a path (API Gateway's stage, `…/dev/`) with or without
/// a trailing slash: paths are joined under it with exactly one `/`.
#[derive(Debug, Clone)]
pub struct PlotApi {
    base: Url,
    http: reqwest::Client,
    auth: ApiAuth,
}

impl PlotApi {
    /// The api at `base`, open to anyone.
    pub fn new(base: Url) -> Self {
        Self::with_auth(base, ApiAuth::None)
    }

    /// The api at `base`, each request carrying what `auth` says.
    pub fn with_auth(base: Url, auth: ApiAuth) -> Self {
        let mut base = base;
        let path = format!("{}/", base.path().trim_end_matches('/'));
        base.set_path(&path);
        base.set_query(None);
        base.set_fragment(None);
        let http = reqwest::Client::builder().timeout(PLOT_TIMEOUT).build().expect("a default HTTP client");
        Self { base, http, auth }
    }

    /// The base URL as messages show it (no trailing slash).
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `path` (relative, e.g. `plot`) under the base.
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path.trim_start_matches('/')).expect("a relative path joins any http(s) base")
    }

    /// Fails when nothing answers at the api's address. Any HTTP answer, whatever its status, counts as
    /// reachable: this only checks the connection (through `GET healthz`), before the bucket is changed.
    pub async fn check_reachable(&self) -> Result<(), DriverError> {
        self.send(self.http.get(self.url("healthz")).timeout(PROBE_TIMEOUT)).await.map(drop)
    }

    /// Sends `request` with what lets it in.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, DriverError> {
        let mut request = request.build().map_err(|error| self.unreachable(&error))?;
        self.auth.authorize(&mut request).await?;
        self.http.execute(request).await.map_err(|error| self.unreachable(&error))
    }

    /// `GET plot?window=N&bucket=B` with `Accept: application/json`.
    pub async fn plot(&self, bucket: &str, window_seconds: u32) -> Result<PlotAnswer, DriverError> {
        let query = [("window", window_seconds.to_string()), ("bucket", bucket.to_owned())];
        self.get_json("plot", &query).await
    }

    /// `GET window?window=N&bucket=B&max_points=10000`: the window's samples.
    pub async fn window(&self, bucket: &str, window_seconds: u32) -> Result<WindowAnswer, DriverError> {
        let query = [
            ("window", window_seconds.to_string()),
            ("bucket", bucket.to_owned()),
            ("max_points", WINDOW_POINTS.to_string()),
        ];
        self.get_json("window", &query).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, DriverError> {
        let response = self
            .send(
                self.http
                    .get(self.url(path))
                    .query(query)
                    .header(reqwest::header::ACCEPT, "application/json"),
            )
            .await?;
        let status = response.status();
        let body = response.bytes().await.map_err(|error| DriverError::ApiBody {
            url: self.base().to_owned(),
            reason: format!("the answer broke off: {}", transport_cause(&error)),
        })?;
        if !status.is_success() {
            return Err(DriverError::ApiStatus {
                status: status.as_u16(),
                message: error_message(status, &body),
            });
        }
        serde_json::from_slice(&body)
            .map_err(|error| DriverError::ApiBody { url: self.base().to_owned(), reason: error.to_string() })
    }

    fn unreachable(&self, error: &reqwest::Error) -> DriverError {
        let reason = if error.is_timeout() { "no answer in time".to_owned() } else { transport_cause(error) };
        DriverError::ApiUnreachable { url: self.base().to_owned(), reason }
    }
}

/// The api's `error` text (with its `detail` in parentheses), else the body's first line, else the status
/// reason.
fn error_message(status: reqwest::StatusCode, body: &[u8]) -> String {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let clean = |text: Option<String>| text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let (error, detail) = (clean(parsed.error.or(parsed.message)), clean(parsed.detail));
    match (error, detail) {
        (Some(error), Some(detail)) if detail != error => format!("{error} ({detail})"),
        (Some(error), _) => error,
        (None, Some(detail)) => detail,
        (None, None) => {
            let text = String::from_utf8_lossy(body);
            let line = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or_default();
            if line.is_empty() {
                status.canonical_reason().unwrap_or("no reason given").to_owned()
            } else {
                line.chars().take(200).collect()
            }
        }
    }
}
