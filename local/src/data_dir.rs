//! One running stack per data dir: an exclusive lock on a file in it, held for as long as the stack runs.
//!
//! Two stacks on one folder would each take the other's objects and history for their own, and their
//! sequencers would collide. The lock is the operating system's, so it is released when the process ends,
//! however it ends.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file, in the data dir.
pub const LOCK_FILE: &str = "instance.lock";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("the data dir {} is in use: another instance of s3-size-micro holds {}", dir.display(), lock.display())]
    InUse { dir: PathBuf, lock: PathBuf },
    #[error("cannot lock the data dir {}: {source}", dir.display())]
    Lock {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Held while the stack runs; dropping it releases the data dir.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Creates `dir` if missing, and takes its lock, or tells that another instance holds it.
pub fn lock(dir: &Path) -> Result<DataDirLock, DataDirError> {
    let failed = |source| DataDirError::Lock { dir: dir.to_owned(), source };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(failed)?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(DataDirError::InUse { dir: dir.to_owned(), lock: path }),
        Err(TryLockError::Error(source)) => Err(failed(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_data_dir_is_refused_until_released() {
        let dir = tempfile::tempdir().expect("temp dir");
        let held = lock(dir.path()).expect("the first lock");
        let refused = lock(dir.path()).expect_err("the second lock");
        assert!(matches!(refused, DataDirError::InUse { .. }), "{refused:?}");
        drop(held);
        lock(dir.path()).expect("free again");
    }
}
