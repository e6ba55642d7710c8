//! The tracker function reads exactly the variables `contract/functions.json` lists for it, from which
//! the stack sets its environment.

use settings::Env;
use testkit::contract::FunctionContract;
use tracker_lambda::TrackerLambdaConfig;

#[test]
fn reads_exactly_the_contracts_variables() {
    let contract = FunctionContract::load("tracker");
    contract.check_reads(
        |env: &Env| TrackerLambdaConfig::from_env(env).map(drop),
        |name| match name {
            "TRACKED_BUCKETS" => "tracked-one,tracked-two".into(),
            "RESERVED_PREFIXES" => "plots/".into(),
            other => format!("{}-value", other.to_ascii_lowercase().replace('_', "-")),
        },
    );
}
