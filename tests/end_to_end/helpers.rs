use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use domain::BucketName;
use driver::{Options, Scenario};
use local::stack::{self, RunningStack, StackConfig};

/// The local stack on free ports over `data_dir`.
pub async fn start_stack(data_dir: &Path, chaos: bool) -> RunningStack {
    let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    stack::start(StackConfig {
        data_dir: data_dir.to_owned(),
        s3_addr: any_port,
        api_addr: any_port,
        bucket: BucketName::parse(startup::local::BUCKET).unwrap(),
        chaos,
    })
    .await
    .expect("the local stack starts")
}

/// The driver's classic scenario with short sleeps.
pub fn classic_options(api_url: &str, bucket: &BucketName, window: u32) -> Options {
    Options {
        api_url: api_url.parse().unwrap(),
        api_auth: driver::ApiAuthChoice::None,
        bucket: bucket.clone(),
        sleep: Duration::from_millis(150),
        window,
        scenario: Scenario::classic(),
    }
}

pub async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub fn sizes(samples: &serde_json::Value) -> Vec<u64> {
    samples.as_array().unwrap().iter().map(|s| s["size_bytes"].as_u64().unwrap()).collect()
}
