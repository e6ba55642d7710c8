//! How the driver is let in by a protected Plot API: not at all (an open api, the default), with the API
//! key of the deployment's usage plan (`apiAuth=apiKey`: its value read from API Gateway by the key's id,
//! sent as `x-api-key`), or by signing each request with SigV4 (`apiAuth=iam`, service `execute-api`).

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::error::DriverError;

/// The header an API key travels in.
pub const API_KEY_HEADER: &str = "x-api-key";
/// The service name requests to API Gateway's `execute-api` are signed for.
const EXECUTE_API: &str = "execute-api";

/// How the Plot API is protected (`PLOT_API_AUTH`, `--api-auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiAuthMode {
    #[default]
    None,
    ApiKey,
    Iam,
}

impl ApiAuthMode {
    pub const NAMES: [&'static str; 3] = ["none", "api-key", "iam"];
}

impl FromStr for ApiAuthMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "none" => Ok(Self::None),
            "api-key" => Ok(Self::ApiKey),
            "iam" => Ok(Self::Iam),
            other => Err(format!("must be one of {}, got {other:?}", Self::NAMES.join(", "))),
        }
    }
}

impl fmt::Display for ApiAuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::ApiKey => "api-key",
            Self::Iam => "iam",
        })
    }
}

/// What a run is told to authenticate with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ApiAuthChoice {
    #[default]
    None,
    /// The id of the API key (`PLOT_API_KEY_ID`, `--api-key-id`); its value is read at each run.
    ApiKey {
        id: String,
    },
    Iam,
}

impl ApiAuthChoice {
    /// The mode and the key's id, checked together: an id alone means `api-key`; `api-key` needs an id,
    /// and the other modes take none.
    pub fn new(mode: Option<ApiAuthMode>, key_id: Option<&str>) -> Result<Self, String> {
        let key_id = key_id.map(str::trim).filter(|id| !id.is_empty());
        match (mode, key_id) {
            (None | Some(ApiAuthMode::None), None) => Ok(Self::None),
            (None | Some(ApiAuthMode::ApiKey), Some(id)) => Ok(Self::ApiKey { id: id.to_owned() }),
            (Some(ApiAuthMode::ApiKey), None) => Err("api-key needs the API key's id".into()),
            (Some(ApiAuthMode::Iam), None) => Ok(Self::Iam),
            (Some(mode), Some(_)) => Err(format!("an API key's id goes with api-key, not {mode}")),
        }
    }
}

/// The AWS configuration the driver reads API keys and signs requests with; the default has none (an open
/// api needs none).
#[derive(Debug, Clone, Default)]
pub struct AuthContext {
    apigateway: Option<aws_sdk_apigateway::Client>,
    credentials: Option<SharedCredentialsProvider>,
    region: Option<String>,
}

impl AuthContext {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            apigateway: Some(aws_sdk_apigateway::Client::new(sdk)),
            credentials: sdk.credentials_provider(),
            region: sdk.region().map(ToString::to_string),
        }
    }

    /// The same, reading API keys through `apigateway` (a client whose calls a test records).
    pub fn with_apigateway(self, apigateway: aws_sdk_apigateway::Client) -> Self {
        Self { apigateway: Some(apigateway), ..self }
    }
}

/// What requests to the Plot API carry, ready to use.
#[derive(Debug, Clone, Default)]
pub enum ApiAuth {
    #[default]
    None,
    ApiKey(String),
    Iam {
        credentials: SharedCredentialsProvider,
        region: String,
    },
}

impl ApiAuth {
    /// Makes `choice` usable: reads the API key's value, or takes the credentials and region to sign with.
    pub async fn resolve(choice: &ApiAuthChoice, context: &AuthContext) -> Result<Self, DriverError> {
        match choice {
            ApiAuthChoice::None => Ok(Self::None),
            ApiAuthChoice::ApiKey { id } => {
                let apigateway = context.apigateway.as_ref().ok_or_else(|| DriverError::ApiKey {
                    id: id.clone(),
                    reason: "no AWS configuration to read it with".into(),
                })?;
                let key = apigateway.get_api_key().api_key(id).include_value(true).send().await.map_err(
                    |error| DriverError::ApiKey {
                        id: id.clone(),
                        reason: domain::ErrorChain(&error).to_string(),
                    },
                )?;
                let value = key.value.filter(|value| !value.is_empty()).ok_or_else(|| {
                    DriverError::ApiKey { id: id.clone(), reason: "API Gateway answered no value".into() }
                })?;
                Ok(Self::ApiKey(value))
            }
            ApiAuthChoice::Iam => {
                let unsigned = |reason: &str| DriverError::ApiSigning { reason: reason.to_owned() };
                let credentials = context
                    .credentials
                    .clone()
                    .ok_or_else(|| unsigned("no AWS credentials are configured"))?;
                let region = context.region.clone().ok_or_else(|| unsigned("no AWS region is configured"))?;
                Ok(Self::Iam { credentials, region })
            }
        }
    }

    /// Adds to `request` what lets it in.
    pub async fn authorize(&self, request: &mut reqwest::Request) -> Result<(), DriverError> {
        match self {
            Self::None => Ok(()),
            Self::ApiKey(value) => {
                let value =
                    reqwest::header::HeaderValue::from_str(value).map_err(|_| DriverError::ApiSigning {
                        reason: "the API key's value is not a valid header value".into(),
                    })?;
                request.headers_mut().insert(API_KEY_HEADER, value);
                Ok(())
            }
            Self::Iam { credentials, region } => sign_request(request, credentials, region).await,
        }
    }
}

/// Signs `request` (a GET: no body) with SigV4 for `execute-api` in `region`.
async fn sign_request(
    request: &mut reqwest::Request,
    credentials: &SharedCredentialsProvider,
    region: &str,
) -> Result<(), DriverError> {
    let failed = |reason: String| DriverError::ApiSigning { reason };
    let identity: Identity = credentials
        .provide_credentials()
        .await
        .map_err(|error| failed(format!("no AWS credentials: {}", domain::ErrorChain(&error))))?
        .into();
    let params: aws_sigv4::http_request::SigningParams<'_> = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(EXECUTE_API)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|error| failed(error.to_string()))?
        .into();
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|value| (name.as_str(), value)))
        .collect();
    let signable = SignableRequest::new(
        request.method().as_str(),
        request.url().as_str(),
        headers.into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|error| failed(error.to_string()))?;
    let (instructions, _signature) =
        sign(signable, &params).map_err(|error| failed(error.to_string()))?.into_parts();
    let (signed_headers, _query) = instructions.into_parts();
    for header in signed_headers {
        let value = reqwest::header::HeaderValue::from_str(header.value())
            .map_err(|_| failed(format!("the {} header is not a valid header value", header.name())))?;
        request.headers_mut().insert(header.name(), value);
    }
    Ok(())
}
