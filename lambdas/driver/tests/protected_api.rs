//! The driver function against a protected Plot API: behind a stand-in of API Gateway's checks
//! (`testkit::api_gateway`) in front of the real api, with the bucket and API Gateway's keys on moto.
//! With `PLOT_API_AUTH=api-key` it reads the key's value by its id and is let in; with `iam` its signed
//! requests are let in; unauthenticated, or with a wrong key or wrong credentials, it is refused with the
//! gateway's own words.

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use domain::BucketName;
use driver::{AuthContext, DriverError, LambdaEnv, S3};
use testkit::api_gateway::{Gate, GatedApi, new_api_key};

/// What a run needs: moto's configuration, a bucket on it, and the real api over an empty history
/// behind `gate`.
struct World {
    sdk: SdkConfig,
    bucket: BucketName,
    gated: GatedApi,
    _dir: tempfile::TempDir,
}

async fn world(sdk: SdkConfig, gate: Gate) -> World {
    let bucket = BucketName::parse(testkit::unique_name("driver-auth")).unwrap();
    let s3 = startup::s3_client(&sdk);
    s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let history = Arc::new(store_sqlite::SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap());
    let api = api::Application::build(history, s3, bucket.clone()).router();
    World { sdk, bucket, gated: GatedApi::start(gate, api).await, _dir: dir }
}

impl World {
    fn env(&self, auth: Option<&str>, key_id: Option<&str>) -> LambdaEnv {
        LambdaEnv {
            bucket: Some(self.bucket.to_string()),
            api_url: Some(self.gated.url.clone()),
            api_auth: auth.map(Into::into),
            api_key_id: key_id.map(Into::into),
        }
    }

    async fn invoke(&self, auth: &AuthContext, env: &LambdaEnv) -> Result<driver::Summary, DriverError> {
        let event = serde_json::json!({"sleep_ms": 0});
        let s3 = S3::new(&self.sdk);
        let run = driver::lambda::handle(&s3, auth, env, event, None);
        tokio::time::timeout(Duration::from_secs(60), run).await.expect("the run ends")
    }

    /// The paths the gate let in and refused.
    fn let_in_and_refused(&self) -> (Vec<String>, Vec<String>) {
        let seen = self.gated.seen();
        let paths =
            |let_in: bool| seen.iter().filter(|s| s.let_in == let_in).map(|s| s.path.clone()).collect();
        (paths(true), paths(false))
    }
}

fn refused_by_the_gateway(error: &DriverError) -> bool {
    matches!(error, DriverError::ApiStatus { status: 403, message } if message == "Forbidden")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_api_key_it_reads_the_keys_value_by_its_id_and_is_let_in() {
    let sdk = testkit::moto_sdk_config().await;
    let (id, value) = new_api_key(&sdk).await;
    let world = world(sdk.clone(), Gate::ApiKey(value)).await;
    let auth = AuthContext::new(&sdk);

    let summary = world.invoke(&auth, &world.env(Some("api-key"), Some(&id))).await.unwrap();
    assert_eq!(summary.steps.len(), 4);
    assert_eq!(summary.bucket, world.bucket.as_str());
    let (let_in, refused) = world.let_in_and_refused();
    assert_eq!(let_in, ["/healthz", "/plot", "/window"]);
    assert!(refused.is_empty(), "{refused:?}");

    // The id alone means api-key too.
    world.invoke(&auth, &world.env(None, Some(&id))).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_key_or_with_another_it_is_refused_and_a_key_that_does_not_exist_is_named() {
    let sdk = testkit::moto_sdk_config().await;
    let (_, value) = new_api_key(&sdk).await;
    let (other, _) = new_api_key(&sdk).await;
    let world = world(sdk.clone(), Gate::ApiKey(value)).await;
    let auth = AuthContext::new(&sdk);

    let unauthenticated = world.invoke(&auth, &world.env(None, None)).await.unwrap_err();
    assert!(refused_by_the_gateway(&unauthenticated), "{unauthenticated}");
    assert_eq!(unauthenticated.to_string(), "the Plot API answered 403: Forbidden");
    let wrong = world.invoke(&auth, &world.env(Some("api-key"), Some(&other))).await.unwrap_err();
    assert!(refused_by_the_gateway(&wrong), "{wrong}");

    let missing = world.invoke(&auth, &world.env(Some("api-key"), Some("no-such-key"))).await.unwrap_err();
    assert!(matches!(missing, DriverError::ApiKey { ref id, .. } if id == "no-such-key"), "{missing}");
    assert!(
        missing
            .to_string()
            .starts_with("cannot read the value of the Plot API's key no-such-key from API Gateway: "),
        "{missing}"
    );
    assert_eq!(missing.kind(), "PlotApiKeyUnreadable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_iam_its_requests_are_signed_and_let_in() {
    let sdk = testkit::moto_sdk_config().await;
    let world = world(sdk.clone(), Gate::iam_of_test_key(testkit::TEST_SECRET_ACCESS_KEY)).await;

    let summary = world.invoke(&AuthContext::new(&sdk), &world.env(Some("iam"), None)).await.unwrap();
    assert_eq!(summary.steps.len(), 4);
    let (let_in, refused) = world.let_in_and_refused();
    assert_eq!(let_in, ["/healthz", "/plot", "/window"]);
    assert!(refused.is_empty(), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_or_signed_with_other_credentials_it_is_refused() {
    let sdk = testkit::moto_sdk_config().await;
    // The gate knows another secret for the same access key id: every signature it computes differs.
    let world = world(sdk.clone(), Gate::iam_of_test_key("another-secret")).await;

    let signed = world.invoke(&AuthContext::new(&sdk), &world.env(Some("iam"), None)).await.unwrap_err();
    assert!(refused_by_the_gateway(&signed), "{signed}");
    let unsigned = world.invoke(&AuthContext::new(&sdk), &world.env(None, None)).await.unwrap_err();
    assert!(refused_by_the_gateway(&unsigned), "{unsigned}");

    let nothing_to_sign_with =
        world.invoke(&AuthContext::default(), &world.env(Some("iam"), None)).await.unwrap_err();
    assert_eq!(
        nothing_to_sign_with.to_string(),
        "cannot sign the request to the Plot API: no AWS credentials are configured"
    );
}
