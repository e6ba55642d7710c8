//! Which keys the file-system storage keeps faithfully.
//!
//! s3s-fs stores `a/b` as the file `b` in the folder `a`. Keys whose path the file system would rewrite
//! (`a//b`, `./a`, `a/../b`, a leading `/`) would be listed under another name than the one announced, and
//! the tracked totals would drift from the listing; they are refused before anything changes.

use s3s::{S3Result, s3_error};

/// Why `key` cannot be stored as itself, if it cannot.
pub(crate) fn refusal(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return Some("the key is empty");
    }
    if key.len() > domain::ObjectKey::MAX_BYTES {
        return Some("the key is longer than 1024 bytes");
    }
    if key.contains('\0') {
        return Some("the key holds a NUL character");
    }
    // A trailing `/` names a folder, whose last segment is empty by design.
    let path = key.strip_suffix('/').unwrap_or(key);
    if path.split('/').any(|segment| segment.is_empty() || segment == "." || segment == "..") {
        return Some("the key has an empty, `.` or `..` path segment");
    }
    None
}

pub(crate) fn check_storable(key: &str) -> S3Result<()> {
    match refusal(key) {
        None => Ok(()),
        Some(reason) => {
            tracing::debug!(key, reason, "key refused");
            Err(s3_error!(InvalidArgument, "{reason}"))
        }
    }
}

/// A key ending in `/` is stored as a folder, which listings do not show; it is not an object to track.
pub(crate) fn is_folder(key: &str) -> bool {
    key.ends_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_keys_pass() {
        for key in ["a", "a/b.txt", "reports/2026 Q3+final été.txt", "folder/", ".hidden", "a..b"] {
            assert_eq!(refusal(key), None, "{key}");
        }
    }

    #[test]
    fn keys_the_file_system_would_rewrite_are_refused() {
        let long = "k".repeat(1025);
        for key in ["", "/a", "a//b", "./a", "a/./b", "a/../b", "..", "a/b//", "a\0b", long.as_str()] {
            assert!(refusal(key).is_some(), "{key:?}");
        }
    }
}
