use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // s3s logs every refused request (such as a browser's unsigned `/favicon.ico`) at ERROR: a client's
    // mistake, not ours. The endpoint's own failures are logged by `local::s3`.
    startup::init_terminal_logs("warn,s3s=off");
    local::cli::main().await
}
