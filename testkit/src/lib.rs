//! What the crates' tests share: the moto peer (a real AWS-protocol server) and unique names, so that
//! tests running in parallel never see each other's tables, buckets or queues.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use store::DynamoTables;

/// The moto server's URL, from `MOTO_ENDPOINT`. A test that needs moto fails without it: it never skips.
pub fn moto_endpoint() -> String {
    std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "MOTO_ENDPOINT is not set. `bash scripts/test-all` starts moto and sets it; or run \
             `moto_server -H 127.0.0.1 -p 5000` and `export MOTO_ENDPOINT=http://127.0.0.1:5000`"
        )
    })
}

/// An SDK configuration that talks to `endpoint` with fixed test credentials.
pub async fn sdk_config_for(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "testkit",
        ))
        .load()
        .await
}

pub async fn moto_sdk_config() -> SdkConfig {
    sdk_config_for(&moto_endpoint()).await
}

/// A name no other test in any process uses: lowercase, digits and hyphens, valid for buckets and tables.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}-{:04x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        fastrand::u16(..)
    )
}

/// Creates a fresh pair of history and index tables on moto.
pub async fn moto_tables(sdk: &SdkConfig) -> DynamoTables {
    let tables = DynamoTables {
        history: unique_name("history"),
        history_gsi: "by-size".into(),
        index: unique_name("index"),
    };
    store::dynamodb::schema::create_tables(&aws_sdk_dynamodb::Client::new(sdk), &tables)
        .await
        .expect("create the tables on moto");
    tables
}
