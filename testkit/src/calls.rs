//! Which AWS calls a piece of code makes: an SDK interceptor that records each operation's
//! `service:Operation` name, for comparing with the calls `contract/functions.json` grants.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Records every operation the clients it is attached to start, e.g. `dynamodb:Query`, `s3:PutObject`.
#[derive(Debug, Clone, Default)]
pub struct CallRecorder {
    calls: Arc<Mutex<BTreeSet<String>>>,
}

impl CallRecorder {
    pub fn calls(&self) -> BTreeSet<String> {
        self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Records a call made outside the SDK, e.g. `execute-api:Invoke` (a signed HTTP request).
    pub fn record(&self, call: &str) {
        self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(call.to_owned());
    }

    /// An API Gateway client for `sdk` that reports to this recorder.
    pub fn apigateway(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::from_conf(
            aws_sdk_apigateway::config::Builder::from(sdk).interceptor(self.clone()).build(),
        )
    }

    /// A DynamoDB client for `sdk` that reports to this recorder.
    pub fn dynamodb(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(self.clone()).build(),
        )
    }

    /// A path-style S3 client for `sdk` (as `startup::s3_client` builds it) that reports to this recorder.
    pub fn s3(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).interceptor(self.clone()).build(),
        )
    }
}

impl Intercept for CallRecorder {
    fn name(&self) -> &'static str {
        "CallRecorder"
    }

    // The operation's metadata is in the bag from serialization on (not yet before execution).
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            // IAM's service prefix: the SDK's service name in lower case, without spaces (`API Gateway`).
            let service = metadata.service().to_ascii_lowercase().replace(' ', "");
            let call = format!("{service}:{}", metadata.name());
            self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(call);
        }
        Ok(())
    }
}
