//! The api function reads exactly the variables `contract/functions.json` lists for it.

use api_lambda::ApiLambdaConfig;
use settings::Env;
use testkit::contract::FunctionContract;

#[test]
fn reads_exactly_the_contracts_variables() {
    FunctionContract::load("api").check_reads(
        |env: &Env| ApiLambdaConfig::from_env(env).map(drop),
        |name| match name {
            "BUCKET_NAME" => "plots-bucket".into(),
            "AWS_LWA_PORT" => "8080".into(),
            other => format!("{}-value", other.to_ascii_lowercase().replace('_', "-")),
        },
    );
}
