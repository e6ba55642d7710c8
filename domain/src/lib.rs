//! The domain of s3-size-micro, with no I/O: validated values (each refused at the edge by its
//! constructor, so an invalid one cannot exist past it), the per-key [`transition`] rule both store
//! adapters apply, the port they implement ([`Ledger`] for the tracker, [`History`] for the api), and the
//! limits and names every binary shares.

pub mod batch;
mod bucket;
mod bytes;
mod change;
pub mod checkpoint;
mod clock;
pub mod correction;
mod error;
mod hash;
mod key;
mod limits;
mod port;
pub mod rollup;
mod sample;
mod sequencer;
pub mod transition;
pub mod versions;

pub use bucket::BucketName;
pub use bytes::human_bytes;
pub use change::{ApplyOutcome, ChangeKind, ObjectChange, SkipReason};
pub use clock::{Clock, system_clock};
pub use error::{ErrorChain, StoreError};
pub use hash::fnv1a;
pub use key::ObjectKey;
pub use limits::{
    LATEST_PLOT_KEY, MAX_WINDOW_SECONDS, PLOT_RENDERS_PREFIX, PLOTS_PREFIX, TOMBSTONE_LIFETIME,
};
pub use port::{ChangeResult, Checkpoints, History, Ledger, SizeStore};
pub use sample::{Sample, Totals, Window};
pub use sequencer::Sequencer;
pub use versions::Series;

/// Why a value was refused at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid bucket name {name:?}: {reason}")]
    BucketName { name: String, reason: &'static str },
    #[error("invalid object key: {reason}")]
    ObjectKey { reason: &'static str },
    #[error("invalid sequencer {value:?}: {reason}")]
    Sequencer { value: String, reason: &'static str },
}
