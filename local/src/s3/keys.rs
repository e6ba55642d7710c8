//! Which keys the file-system storage keeps faithfully.
//!
//! s3s-fs stores `a/b` as the file `b` in the folder `a`. Keys whose path the file system would rewrite
//! (`a//b`, `./a`, `a/../b`, a leading `/`) would be listed under another name than the one announced, and
//! the tracked totals would drift from the listing; they are refused before anything changes.
//!
//! Writes refuse two more kinds of keys. A key ending in `/` (a folder marker) has no file to be: s3s-fs
//! makes a folder of it, or a file under the name without the `/`, and listings show neither as the key.
//! And s3s-fs keeps each object's metadata in files named after the bucket and the key in base64
//! (`.bucket-….object-….upload-….metadata.json`), which must fit in the 255 bytes a file name holds: a
//! longer key would be stored without its metadata, and answered with an internal error. That limit (about
//! a hundred bytes, less for long bucket names) also keeps every path segment within a file name.

use s3s::{S3Result, s3_error};

/// The most bytes in a file name, on the file systems s3s-fs runs on.
const FILE_NAME_MAX: usize = 255;
/// The longest of s3s-fs's metadata file names, apart from the base64 of the bucket and of the key.
const METADATA_NAME_OVERHEAD: usize =
    ".bucket-".len() + ".object-".len() + ".upload-".len() + UUID_LEN + ".metadata.json".len();
const UUID_LEN: usize = 36;

/// Why `key` cannot be named as itself on the file system, if it cannot.
pub(crate) fn refusal(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return Some("the key is empty");
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

/// Why an object cannot be stored at `key` in `bucket`, if it cannot.
pub(crate) fn store_refusal(bucket: &str, key: &str) -> Option<String> {
    if let Some(reason) = refusal(key) {
        return Some(reason.to_owned());
    }
    if is_folder(key) {
        return Some("the key ends in `/`: this endpoint keeps objects as files, and cannot store a folder marker as one".to_owned());
    }
    let longest = longest_key(bucket);
    if key.len() > longest {
        return Some(format!(
            "the key is {} bytes long: this endpoint keeps objects as files, and names their metadata after the bucket and the key, which allows keys of at most {longest} bytes in bucket {bucket}",
            key.len()
        ));
    }
    None
}

/// The longest key whose metadata file names fit in a file name, in `bucket`.
pub(crate) fn longest_key(bucket: &str) -> usize {
    let budget = FILE_NAME_MAX.saturating_sub(METADATA_NAME_OVERHEAD + base64_len(bucket.len()));
    // The most bytes whose base64 (unpadded) fits in `budget` characters.
    (budget * 3 / 4).min(domain::ObjectKey::MAX_BYTES)
}

/// The length of the unpadded base64 of `bytes` bytes.
fn base64_len(bytes: usize) -> usize {
    (bytes * 4).div_ceil(3)
}

/// For an operation on an existing key (a deletion).
pub(crate) fn check_key(key: &str) -> S3Result<()> {
    check_length(key)?;
    refuse(key, refusal(key).map(str::to_owned))
}

/// For a write, which stores an object at `key`.
pub(crate) fn check_storable(bucket: &str, key: &str) -> S3Result<()> {
    check_length(key)?;
    refuse(key, store_refusal(bucket, key))
}

/// S3's own limit.
fn check_length(key: &str) -> S3Result<()> {
    if key.len() > domain::ObjectKey::MAX_BYTES {
        tracing::debug!(key, "key refused: longer than S3 allows");
        return Err(s3_error!(KeyTooLongError, "Your key is too long: at most 1024 bytes."));
    }
    Ok(())
}

fn refuse(key: &str, reason: Option<String>) -> S3Result<()> {
    match reason {
        None => Ok(()),
        Some(reason) => {
            tracing::debug!(key, reason, "key refused");
            Err(s3_error!(InvalidArgument, "{reason}"))
        }
    }
}

/// A key ending in `/` names a folder, which listings do not show; it is not an object to track.
pub(crate) fn is_folder(key: &str) -> bool {
    key.ends_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUCKET: &str = "size-tracking-local";

    #[test]
    fn ordinary_keys_pass() {
        for key in ["a", "a/b.txt", "reports/2026 Q3+final été.txt", ".hidden", "a..b"] {
            assert_eq!(store_refusal(BUCKET, key), None, "{key}");
        }
        assert_eq!(refusal("folder/"), None);
    }

    #[test]
    fn keys_the_file_system_would_rewrite_are_refused() {
        for key in ["", "/a", "a//b", "./a", "a/./b", "a/../b", "..", "a/b//", "a\0b"] {
            assert!(refusal(key).is_some(), "{key:?}");
            assert!(store_refusal(BUCKET, key).is_some(), "{key:?}");
        }
    }

    #[test]
    fn folder_markers_are_not_stored() {
        assert!(store_refusal(BUCKET, "folder/").is_some());
        assert!(store_refusal(BUCKET, "a/b/").is_some());
    }

    #[test]
    fn the_longest_key_fits_every_metadata_file_name() {
        let longest = longest_key(BUCKET);
        let name = |key_len: usize| METADATA_NAME_OVERHEAD + base64_len(BUCKET.len()) + base64_len(key_len);
        assert!(name(longest) <= FILE_NAME_MAX);
        assert!(name(longest + 1) > FILE_NAME_MAX);
        assert_eq!(store_refusal(BUCKET, &"k".repeat(longest)), None);
        let refused = store_refusal(BUCKET, &"k".repeat(longest + 1)).expect("refused");
        assert!(refused.contains(&format!("at most {longest} bytes")), "{refused}");
        assert!(store_refusal(BUCKET, &format!("a/{}", "s".repeat(256))).is_some());
    }

    #[test]
    fn keys_longer_than_s3_allows_are_too_long() {
        let long = "k".repeat(1025);
        let error = check_key(&long).unwrap_err();
        assert_eq!(error.code(), &s3s::S3ErrorCode::KeyTooLongError);
    }
}
