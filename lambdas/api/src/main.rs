use std::process::ExitCode;

use api_lambda::ApiLambdaConfig;

#[tokio::main]
async fn main() -> ExitCode {
    startup::init_lambda_logs();
    api_lambda::run(settings::or_exit(ApiLambdaConfig::from_env)).await
}
