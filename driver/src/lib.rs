//! The driver: plays a scenario of puts and deletes against an S3 bucket, sleeping after each step so
//! that each change becomes its own sample, then asks the Plot API for the plot of the last seconds and
//! reports each step (with the size the bucket should have after it) and the samples the api saw.
//!
//! It runs as a command line (against the local stack by default) and as a Lambda function; both share
//! [`run::run`] and answer the same [`Summary`].

pub mod api_auth;
pub mod cli;
pub mod error;
pub mod lambda;
pub mod options;
pub mod plot_api;
pub mod report;
pub mod run;
pub mod s3;
pub mod scenario;

pub use api_auth::{ApiAuth, ApiAuthChoice, ApiAuthMode, AuthContext};
pub use error::{DriverError, InvalidOption};
pub use options::{Cli, CliOptions, Event, LambdaEnv, Options};
pub use plot_api::{PlotAnswer, PlotApi, WindowAnswer};
pub use report::{PlotSummary, Progress, StepReport, Summary};
pub use run::run;
pub use s3::{S3, S3Endpoint};
pub use scenario::{Expectation, Scenario, Step, Totals};
