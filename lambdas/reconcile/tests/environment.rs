//! The reconcile function reads exactly the variables `contract/functions.json` lists for it, from which
//! the stack sets its environment.

use reconcile_lambda::ReconcileLambdaConfig;
use settings::Env;
use testkit::contract::FunctionContract;

#[test]
fn reads_exactly_the_contracts_variables() {
    let contract = FunctionContract::load("reconcile");
    contract.check_reads(
        |env: &Env| ReconcileLambdaConfig::from_env(env).map(drop),
        |name| match name {
            "TRACKED_BUCKETS" => "tracked-one,tracked-two".into(),
            "RESERVED_PREFIXES" => "plots/".into(),
            "RECONCILE_EVERY" => "1day".into(),
            other => format!("{}-value", other.to_ascii_lowercase().replace('_', "-")),
        },
    );
}
