//! `cargo run`: the whole system on one machine, with no AWS account.
//!
//! [`s3`] is the S3-compatible endpoint that notifies the tracker, [`stack`] starts it with the SQLite
//! history and the Plot API (holding the [`data_dir`] for as long as it runs), and [`cli`] is the command
//! line around them.

pub mod cli;
pub mod data_dir;
pub mod s3;
pub mod stack;
