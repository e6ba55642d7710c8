//! The command line: parse the flags, run, print progress lines (or the JSON summary), and exit 0 on
//! success, 1 on a failed run, 2 on bad flags.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::api_auth::AuthContext;
use crate::options::{Cli, CliOptions};
use crate::run::run;
use crate::s3::S3;

/// Parses the process's arguments, exiting with code 2 on bad ones.
pub fn parse() -> CliOptions {
    Cli::parse()
        .into_options()
        .unwrap_or_else(|error| Cli::command().error(clap::error::ErrorKind::ValueValidation, error).exit())
}

pub async fn main() -> ExitCode {
    let cli = parse();
    let s3 = S3::connect(&cli.endpoint).await;
    // The api's key is read, and its requests signed, with the usual AWS configuration.
    let auth = AuthContext::new(&startup::sdk_config().await);
    let result = run(&s3, &auth, &cli.options, |progress| {
        if !cli.json {
            for line in progress.lines() {
                println!("{line}");
            }
        }
    })
    .await;
    match result {
        Ok(summary) => {
            if cli.json {
                println!("{}", serde_json::to_string(&summary).expect("the summary serializes"));
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
