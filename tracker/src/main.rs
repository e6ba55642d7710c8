use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    startup::init_tracing();
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        return tracker::cli::main().await;
    }
    let settings = startup::settings_or_exit();
    let sdk = startup::sdk_config().await;
    let tracker = match tracker::Tracker::connect(&settings, &sdk).await {
        Ok(tracker) => tracker,
        Err(error) => {
            tracing::error!(%error, "cannot open the store");
            return ExitCode::FAILURE;
        }
    };
    match tracker::lambda::run(tracker).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
