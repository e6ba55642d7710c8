//! A stand-in for what API Gateway checks before a protected REST API's request reaches the function: a
//! method that requires an API key lets in a request whose `x-api-key` is the key's value; one with IAM
//! authorization lets in a request whose SigV4 signature (service `execute-api`) is right for the
//! credentials it names. Anything else is answered 403 `{"message": "Forbidden"}`, as API Gateway does,
//! and never reaches the api behind it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

/// An enabled API key made on moto's API Gateway (`sdk`'s endpoint): its id and its value.
pub async fn new_api_key(sdk: &aws_config::SdkConfig) -> (String, String) {
    let value = format!("{}-0123456789abcdefghij", crate::unique_name("key"));
    let created = aws_sdk_apigateway::Client::new(sdk)
        .create_api_key()
        .name(crate::unique_name("plot-api"))
        .value(&value)
        .enabled(true)
        .send()
        .await
        .expect("create an API key on moto");
    (created.id.expect("the key's id"), value)
}

/// What the gate lets in.
#[derive(Debug, Clone)]
pub enum Gate {
    /// Every request (an open api, `apiAuth=none`).
    Open,
    /// Requests whose `x-api-key` is this value.
    ApiKey(String),
    /// Requests signed by these credentials for `execute-api` in `region`.
    Iam { access_key_id: String, secret_access_key: String, region: String },
}

impl Gate {
    /// IAM authorization that knows the tests' access key (`crate::sdk_config_for`'s) by `secret_access_key`:
    /// the tests' own secret lets their signed requests in, any other refuses them.
    pub fn iam_of_test_key(secret_access_key: &str) -> Self {
        Self::Iam {
            access_key_id: crate::TEST_ACCESS_KEY_ID.into(),
            secret_access_key: secret_access_key.into(),
            region: crate::TEST_REGION.into(),
        }
    }
}

/// One request the gate saw, and whether it let it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub path: String,
    pub let_in: bool,
}

#[derive(Clone)]
struct Shared {
    gate: Gate,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// The gate in front of `api`, on a free port of 127.0.0.1, until it is dropped.
pub struct GatedApi {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    server: tokio::task::JoinHandle<()>,
}

impl GatedApi {
    pub async fn start(gate: Gate, api: Router) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { gate, seen: Arc::clone(&seen) };
        let app = api.layer(middleware::from_fn_with_state(shared, check));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address: SocketAddr = listener.local_addr().expect("an address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url: format!("http://{address}/"), seen, server }
    }

    /// Every request so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

impl Drop for GatedApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn check(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let let_in = match &shared.gate {
        Gate::Open => true,
        Gate::ApiKey(value) => header(request.headers(), "x-api-key") == Some(value.as_str()),
        Gate::Iam { access_key_id, secret_access_key, region } => {
            signed_by(&request, access_key_id, secret_access_key, region)
        }
    };
    let path = request.uri().path().to_owned();
    shared.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(Seen { path, let_in });
    if !let_in {
        let body = Body::from(r#"{"message":"Forbidden"}"#);
        return (StatusCode::FORBIDDEN, [("content-type", "application/json")], body).into_response();
    }
    next.run(request).await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Whether `request`'s SigV4 signature is the one these credentials make for it: the signature is computed
/// again from the request as it arrived (its method, URL and the headers it says it signed, at its
/// `x-amz-date`) and compared.
fn signed_by(request: &Request, access_key_id: &str, secret_access_key: &str, region: &str) -> bool {
    let headers = request.headers();
    let (Some(authorization), Some(date), Some(host)) =
        (header(headers, "authorization"), header(headers, "x-amz-date"), header(headers, "host"))
    else {
        return false;
    };
    let Some(fields) = authorization.strip_prefix("AWS4-HMAC-SHA256 ") else { return false };
    let field = |name: &str| {
        fields.split(", ").find_map(|part| part.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
    };
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (field("Credential"), field("SignedHeaders"), field("Signature"))
    else {
        return false;
    };
    let Some(time) = chrono::NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ").ok() else { return false };
    let scope = format!("{}/{region}/execute-api/aws4_request", time.format("%Y%m%d"));
    if credential != format!("{access_key_id}/{scope}") {
        return false;
    }
    let signed: Vec<&str> = signed_headers.split(';').collect();
    let kept: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(name, _)| signed.contains(&name.as_str()) && name.as_str() != "authorization")
        .filter_map(|(name, value)| value.to_str().ok().map(|value| (name.as_str(), value)))
        .collect();
    let url = format!("http://{host}{}", request.uri().path_and_query().map_or("/", |pq| pq.as_str()));
    let identity: Identity = Credentials::new(access_key_id, secret_access_key, None, None, "gate").into();
    let at = SystemTime::from(time.and_utc());
    let Ok(params) = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("execute-api")
        .time(at)
        .settings(SigningSettings::default())
        .build()
    else {
        return false;
    };
    let params = params.into();
    let Ok(signable) = SignableRequest::new(
        request.method().as_str(),
        url.as_str(),
        kept.into_iter(),
        SignableBody::Bytes(&[]),
    ) else {
        return false;
    };
    sign(signable, &params).is_ok_and(|output| output.signature() == signature)
}
