use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    startup::init_tracing("warn");
    local::cli::main().await
}
