//! The data side of s3-size-micro: validated domain types, the port the tracker and the api speak to
//! ([`Ledger`] and [`History`]), and its two adapters — DynamoDB for AWS and SQLite for one machine.
//!
//! Only this crate knows table layouts and SQL.

mod clock;
pub mod domain;
pub mod dynamodb;
mod error;
mod open;
mod port;
mod settings;
pub mod sqlite;

pub use clock::{Clock, system_clock};
pub use domain::{
    ApplyOutcome, BucketName, ChangeKind, DomainError, ObjectChange, ObjectKey, Sample, Sequencer,
    SkipReason, Totals, Window,
};
pub use error::StoreError;
pub use open::open;
pub use port::{History, Ledger, SizeStore};
pub use settings::{Backend, DynamoTables, Settings, SettingsError};
