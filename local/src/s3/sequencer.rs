//! The `sequencer` of each event record.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the epoch of the latest run is kept, beside the buckets (s3s-fs lists only folders as buckets).
const EPOCH_FILE: &str = ".sequencer-epoch";

/// Hands out hex sequencers that only ever grow, across restarts too.
///
/// A sequencer is 16 hex digits of this run's epoch followed by 16 hex digits of a counter. Both parts have
/// a fixed width, so comparing sequencers as numbers (as the ledger does) compares the epochs first and
/// the counters second: every event of a later run orders after every event of an earlier one, however
/// far the earlier counter went. The epoch is the start time in microseconds, raised if needed to one past
/// the epoch recorded by the previous run on the same storage, so that a clock set back between runs
/// cannot make new events look stale.
#[derive(Debug)]
pub(crate) struct SequencerSource {
    epoch: u64,
    counter: AtomicU64,
}

impl SequencerSource {
    /// Starts a new run over the storage folder `root`, recording its epoch there.
    pub(crate) fn open(root: &Path) -> io::Result<Self> {
        let path = root.join(EPOCH_FILE);
        let previous = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let parsed = u64::from_str_radix(text.trim(), 16).ok();
                if parsed.is_none() {
                    tracing::warn!(path = %path.display(), "unreadable sequencer epoch; using the clock alone");
                }
                parsed
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(error),
        };
        let now = u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(0);
        let epoch = previous.map_or(now, |previous| now.max(previous.saturating_add(1)));

        // Written aside and renamed, so a crash never leaves a half-written epoch.
        let staged = root.join(format!("{EPOCH_FILE}.next"));
        std::fs::write(&staged, format!("{epoch:016X}\n"))?;
        std::fs::rename(&staged, &path)?;
        Ok(Self { epoch, counter: AtomicU64::new(0) })
    }

    /// The next sequencer; callers that need an order between events of one key take it while they hold
    /// that key's lock.
    pub(crate) fn next(&self) -> String {
        let count = self.counter.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        format!("{:016X}{count:016X}", self.epoch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Sequencer;

    fn parsed(text: String) -> Sequencer {
        Sequencer::parse(text).expect("a valid sequencer")
    }

    #[test]
    fn grows_within_a_run_and_across_runs() {
        let root = tempfile::tempdir().expect("temp dir");
        let first_run = SequencerSource::open(root.path()).expect("open");
        let a = parsed(first_run.next());
        let b = parsed(first_run.next());
        assert!(a < b);
        for _ in 0..1000 {
            first_run.next();
        }
        let last_of_first = parsed(first_run.next());

        let second_run = SequencerSource::open(root.path()).expect("reopen");
        assert!(second_run.epoch > first_run.epoch);
        assert!(parsed(second_run.next()) > last_of_first);
    }

    #[test]
    fn an_epoch_from_the_future_is_passed() {
        let root = tempfile::tempdir().expect("temp dir");
        let ahead = u64::MAX / 2;
        std::fs::write(root.path().join(EPOCH_FILE), format!("{ahead:016X}")).expect("write");
        let source = SequencerSource::open(root.path()).expect("open");
        assert_eq!(source.epoch, ahead + 1);
    }
}
