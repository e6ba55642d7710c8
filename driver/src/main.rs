use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        startup::init_tracing("warn");
        return driver::cli::main().await;
    }
    startup::init_tracing("info");
    let s3 = driver::S3::new(&startup::sdk_config().await);
    match driver::lambda::serve(s3, driver::LambdaEnv::from_env()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
