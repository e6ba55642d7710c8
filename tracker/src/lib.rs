//! The tracker: S3 notifications in, exact bucket totals and size samples out.
//!
//! [`event`] reads notifications, [`Tracker`] applies their records through the store's ledger (O(1) store
//! calls per record, whatever the bucket's size) under the [`TrackingRules`], [`reconcile`] brings in keys
//! that exist without having been notified, and [`lambda`] is the Lambda function's handler (its binary is
//! `lambdas/tracker`; the command line is the workspace's `tracker` binary).

mod current;
pub mod event;
pub mod lambda;
pub mod metrics;
pub mod reconcile;
mod report;
mod rules;
mod tracking;

pub use current::{CurrentObjectError, CurrentObjects};
pub use report::{Outcome, RecordReport, SkipReason};
pub use rules::{ReservedPrefix, TrackingRules};
pub use tracking::{TrackError, Tracker};
