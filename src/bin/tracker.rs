use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    startup::init_terminal_logs("warn");
    s3_size_micro::tracker_cli::main().await
}
