//! `cargo run`: the whole system on one machine, with no AWS account.
//!
//! [`s3`] is the S3-compatible endpoint that notifies the tracker, [`stack`] starts it with the SQLite
//! history and the Plot API, and [`cli`] is the command line around them.

pub mod cli;
pub mod s3;
pub mod stack;
