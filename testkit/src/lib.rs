//! What the crates' tests share: the moto peer (a real AWS-protocol server, started once per test binary
//! when `MOTO_ENDPOINT` is not set), unique names so that tests running in parallel never see each
//! other's tables, buckets or queues, the deployment contract (`contract/`), a stand-in of the Lambda
//! Runtime API for running a function's binary, a stand-in of API Gateway's key and IAM checks
//! ([`api_gateway`]), and failures on purpose ([`faults`]: an SDK interceptor
//! that fails chosen DynamoDB requests).

pub mod api_gateway;
mod aws;
pub mod calls;
pub mod contract;
pub mod faults;
pub mod ledger;
mod moto;
pub mod runtime_api;

pub use aws::{
    TEST_ACCESS_KEY_ID, TEST_REGION, TEST_SECRET_ACCESS_KEY, listed_totals, listed_version_totals,
    moto_sdk_config, moto_tables, notify_new_queue, sdk_config_for, unique_name,
};
pub use moto::moto_endpoint;

/// The workspace's root folder.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lies in the workspace")
        .to_owned()
}
