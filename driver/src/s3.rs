//! The bucket side: which SDK configuration to use, and the three S3 operations the scenario needs
//! (list, put, delete), with their failures turned into [`DriverError`]s.

use aws_config::SdkConfig;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use crate::error::{DriverError, transport_cause};
use crate::scenario::Expectation;

/// Where S3 is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Endpoint {
    /// An S3-compatible endpoint: the local stack, moto, or any other.
    Url(String),
    /// AWS's own endpoint, with the standard AWS variables (credentials, `AWS_REGION`…).
    Aws,
}

impl S3Endpoint {
    /// Whether this is the local stack's endpoint (port 4566 on this machine).
    pub fn is_local_stack(&self) -> bool {
        let Self::Url(url) = self else { return false };
        reqwest::Url::parse(url).is_ok_and(|url| {
            matches!(url.host_str(), Some("127.0.0.1" | "localhost"))
                && url.port_or_known_default() == Some(startup::local::S3_PORT)
        })
    }
}

/// Whether the environment names AWS credentials (keys, a profile, or a web identity).
pub fn aws_credentials_in_env() -> bool {
    ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

/// The SDK configuration for `endpoint`: the local stack's credentials for the local endpoint, or for any
/// endpoint when the environment has no AWS credentials; otherwise the standard AWS configuration (with
/// the endpoint, if one is given).
pub async fn sdk_config(endpoint: &S3Endpoint) -> SdkConfig {
    match endpoint {
        S3Endpoint::Aws => startup::sdk_config().await,
        S3Endpoint::Url(url) if endpoint.is_local_stack() || !aws_credentials_in_env() => {
            startup::local::sdk_config(url).await
        }
        S3Endpoint::Url(url) => startup::sdk_config().await.to_builder().endpoint_url(url).build(),
    }
}

/// An S3 client and the name of the endpoint it talks to, for messages.
#[derive(Debug, Clone)]
pub struct S3 {
    client: aws_sdk_s3::Client,
    endpoint: String,
}

impl S3 {
    /// A client for `sdk` (through `startup::s3_client`), named after its endpoint, or "AWS S3 (region)".
    pub fn new(sdk: &SdkConfig) -> Self {
        let endpoint = match sdk.endpoint_url() {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => match sdk.region() {
                Some(region) => format!("AWS S3 ({region})"),
                None => "AWS S3".to_owned(),
            },
        };
        Self::with_client(startup::s3_client(sdk), endpoint)
    }

    /// `client`, named `endpoint` in messages.
    pub fn with_client(client: aws_sdk_s3::Client, endpoint: impl Into<String>) -> Self {
        Self { client, endpoint: endpoint.into() }
    }

    pub async fn connect(endpoint: &S3Endpoint) -> Self {
        Self::new(&sdk_config(endpoint).await)
    }

    /// The endpoint's name, as messages give it.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// Lists the whole bucket (every page) into `expectation`. Also tells whether the bucket exists.
    pub async fn survey(&self, bucket: &str, expectation: &mut Expectation) -> Result<(), DriverError> {
        let mut pages = self.client.list_objects_v2().bucket(bucket).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| self.error(bucket, &format!("list bucket {bucket}"), error))?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    expectation.observe(key, object.size().unwrap_or(0).max(0) as u64);
                }
            }
        }
        Ok(())
    }

    pub async fn put(&self, bucket: &str, key: &str, body: &str) -> Result<(), DriverError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("text/plain; charset=utf-8")
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send()
            .await
            .map_err(|error| self.error(bucket, &format!("put {key}"), error))?;
        Ok(())
    }

    pub async fn delete(&self, bucket: &str, key: &str) -> Result<(), DriverError> {
        self.client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| self.error(bucket, &format!("delete {key}"), error))?;
        Ok(())
    }

    fn error<E>(
        &self,
        bucket: &str,
        action: &str,
        error: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> DriverError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let endpoint = self.endpoint.clone();
        match &error {
            SdkError::DispatchFailure(failure) => {
                let reason = match std::error::Error::source(&error) {
                    Some(source) => transport_cause(source),
                    None => format!("{failure:?}"),
                };
                DriverError::S3Unreachable { endpoint, reason }
            }
            SdkError::TimeoutError(_) => {
                DriverError::S3Unreachable { endpoint, reason: "no answer in time".into() }
            }
            _ => {
                let status = error.raw_response().map(|response| response.status().as_u16());
                match (error.code(), status) {
                    (Some("NoSuchBucket"), _) | (None, Some(404)) => {
                        DriverError::BucketMissing { bucket: bucket.to_owned(), endpoint }
                    }
                    (code, status) => {
                        let mut message = match (code, error.message()) {
                            (Some(code), Some(text)) => format!("{code}: {text}"),
                            (Some(code), None) => code.to_owned(),
                            (None, _) => transport_cause(&error),
                        };
                        if let Some(status) = status {
                            message.push_str(&format!(" (HTTP {status})"));
                        }
                        DriverError::S3 { endpoint, action: action.to_owned(), message }
                    }
                }
            }
        }
    }
}
