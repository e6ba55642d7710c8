//! The tracker: S3 notifications in, exact bucket totals and size samples out.
//!
//! [`event`] reads notifications, [`Tracker`] applies their records through the store's ledger (O(1) store
//! calls per record, whatever the bucket's size), [`reconcile`] brings in keys that exist without having
//! been notified, and [`lambda`] and [`cli`] are the two ways to run it.

pub mod cli;
pub mod event;
pub mod lambda;
pub mod reconcile;
mod report;
mod tracking;

pub use report::{Outcome, RecordReport};
pub use tracking::Tracker;
