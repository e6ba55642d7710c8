use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        startup::init_tracing("warn");
        return tracker::cli::main().await;
    }
    startup::init_tracing("info");
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
