use std::process::ExitCode;

use reconcile_lambda::ReconcileLambdaConfig;

#[tokio::main]
async fn main() -> ExitCode {
    startup::init_lambda_logs();
    reconcile_lambda::run(settings::or_exit(ReconcileLambdaConfig::from_env)).await
}
