//! The driver function reads exactly the variables `contract/functions.json` lists for it.

use driver::{DriverError, Event, LambdaEnv};
use settings::{ConfigError, Env};
use testkit::contract::FunctionContract;

#[test]
fn reads_exactly_the_contracts_variables() {
    let build = |env: &Env| match Event::default().into_options(&LambdaEnv::read(env)) {
        Ok(_) => Ok(()),
        Err(DriverError::Setting { variable, reason }) => Err(ConfigError { variable, reason }),
        Err(other) => panic!("not a setting error: {other}"),
    };
    FunctionContract::load("driver").check_reads(build, |name| match name {
        "BUCKET_NAME" => "tracked-bucket".into(),
        "PLOT_API_URL" => "https://api.example/dev/".into(),
        "PLOT_API_AUTH" => "api-key".into(),
        "PLOT_API_KEY_ID" => "a1b2c3d4e5".into(),
        other => panic!("no value for {other}"),
    });
}
