use std::process::ExitCode;

use tracker_lambda::TrackerLambdaConfig;

#[tokio::main]
async fn main() -> ExitCode {
    startup::init_lambda_logs();
    tracker_lambda::run(settings::or_exit(TrackerLambdaConfig::from_env)).await
}
