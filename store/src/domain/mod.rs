//! Domain values. Each is validated by its constructor, so an invalid one cannot exist past the edge.

mod bucket;
mod change;
mod key;
mod sample;
mod sequencer;
pub mod transition;

pub use bucket::BucketName;
pub use change::{ApplyOutcome, ChangeKind, ObjectChange, SkipReason};
pub use key::ObjectKey;
pub use sample::{Sample, Totals, Window};
pub use sequencer::Sequencer;

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
