use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    startup::init_lambda_logs();
    let env = driver::LambdaEnv::from_env();
    let sdk = startup::sdk_config().await;
    let (s3, auth) = (driver::S3::new(&sdk), driver::AuthContext::new(&sdk));
    match driver::lambda::serve(s3, auth, env).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
