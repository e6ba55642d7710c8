use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    startup::init_lambda_logs();
    let env = driver::LambdaEnv::from_env();
    let s3 = driver::S3::new(&startup::sdk_config().await);
    match driver::lambda::serve(s3, env).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
