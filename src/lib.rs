//! The programs people run: `s3-size-micro` (the whole system on this machine, `cargo run`) and
//! `tracker` (apply notification files or reconcile a bucket against a store, redrive a queue, turn on a
//! bucket's EventBridge notifications). Each `main` is thin; the
//! work lives in the workspace's libraries.

pub mod eventbridge;
pub mod redrive;
pub mod tracker_cli;
pub mod tracker_config;
