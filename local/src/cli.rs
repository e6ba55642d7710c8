//! `cargo run`: flags, the banner that tells what runs where, and the run until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use domain::BucketName;
use startup::local::{ACCESS_KEY_ID, API_PORT, API_URL, BUCKET, REGION, S3_PORT, S3_URL, SECRET_ACCESS_KEY};

use crate::stack::{self, RunningStack, StackConfig};

#[derive(Debug, Parser)]
#[command(
    name = "s3-size-micro",
    version,
    about = "Runs s3-size-micro on this machine: an S3 endpoint that notifies the tracker, the SQLite history, and the Plot API"
)]
pub struct Cli {
    /// Where the objects and the history are kept (survives restarts).
    #[arg(long, env = "DATA_DIR", default_value = ".data")]
    data_dir: PathBuf,
    /// The Plot API's port on 127.0.0.1 (0 picks a free one).
    #[arg(long, env = "API_PORT", default_value_t = API_PORT)]
    api_port: u16,
    /// The S3 endpoint's port on 127.0.0.1 (0 picks a free one).
    #[arg(long, env = "S3_PORT", default_value_t = S3_PORT)]
    s3_port: u16,
    /// The bucket to create and track.
    #[arg(long, env = "BUCKET_NAME", default_value = BUCKET)]
    bucket: BucketName,
    /// Deliver notifications late, shuffled and partly twice, as S3 may: the totals stay exact.
    #[arg(long)]
    chaos: bool,
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = StackConfig {
        data_dir: cli.data_dir,
        s3_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, cli.s3_port)),
        api_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, cli.api_port)),
        bucket: cli.bucket,
        chaos: cli.chaos,
    };
    let running = match stack::start(config.clone()).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    print_banner(&config, &running);
    api::serve::shutdown_signal().await;
    eprintln!("stopping: delivering pending notifications…");
    running.shutdown().await;
    eprintln!("stopped");
    ExitCode::SUCCESS
}

/// The command that opens a URL in the browser, as this platform has it.
const OPEN: &str = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };

fn print_banner(config: &StackConfig, running: &RunningStack) {
    let (api, s3, bucket) = (running.api_url(), running.s3_url(), running.bucket());
    let reconciled = running.reconciled();
    let driver_flags = if api == API_URL && s3 == S3_URL {
        String::new()
    } else {
        format!(" -- --api-url {api} --endpoint-url {s3} --bucket {bucket}")
    };
    let next = [
        (format!("cargo run -p driver{driver_flags}"), "put, overwrite and delete objects, then plot"),
        (format!("curl '{api}/plot?window=60'"), "the plot's JSON, with a presigned URL"),
        (format!("{OPEN} {api}/"), "the dashboard"),
        (format!("{OPEN} {api}/docs/"), "the API's docs"),
    ];
    let width = next.iter().map(|(command, _)| command.len()).max().unwrap_or(0) + 3;
    let next: String = next.iter().map(|(command, what)| format!("  {command:<width$}# {what}\n")).collect();
    println!(
        "s3-size-micro is running on this machine{chaos}

  S3 endpoint  {s3}   bucket {bucket}   objects in {objects}
  Plot API     {api}   docs {api}/docs/
  history      {history} (SQLite): {count} objects, {size} bytes tracked
  credentials  AWS_ACCESS_KEY_ID={ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY} AWS_REGION={REGION}

Next, in another terminal:
{next}  AWS_ACCESS_KEY_ID={ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY} AWS_REGION={REGION} \\
    aws s3 cp README.md s3://{bucket}/ --endpoint-url {s3}

Ctrl-C stops: pending notifications are delivered first.",
        chaos = if config.chaos { " (chaos: notifications late, shuffled and duplicated)" } else { "" },
        objects = config.objects_path().display(),
        history = config.history_path().display(),
        count = reconciled.object_count,
        size = reconciled.size_bytes,
    );
}
