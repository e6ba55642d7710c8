use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    startup::init_terminal_logs("warn");
    local::cli::main().await
}
