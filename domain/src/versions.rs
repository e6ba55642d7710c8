//! The all-versions series: what a bucket holds with its noncurrent versions and delete markers
//! included (what S3 bills), beside the current versions a listing shows.
//!
//! It is kept as a bucket of its own to both store adapters, under a name no bucket can have
//! ([`BucketName::all_versions`]). Its rows are one per version, keyed `<key>\0<version id>` (the
//! `null` version for an unversioned bucket and for suspended versioning), and each is decided by the
//! same [`transition`](crate::transition) as a key: the highest sequencer wins, and a removal leaves a
//! tombstone that refuses older events. A put or a copy creates its version with its size, a delete
//! marker is a version of size 0, and a deletion (of a version, or of the `null` one) removes that
//! version only; so the series' totals are the bytes and the number of the versions the bucket holds,
//! whatever order the events arrive in. Versions that predate tracking come from reconcile, which lists
//! the bucket's versions.

use crate::{BucketName, ChangeKind, ObjectChange, ObjectKey};

/// Ends the name of a bucket's all-versions series.
pub(crate) const SERIES_SUFFIX: &str = ":all-versions";

/// The version id of an unversioned object, and of what a bucket with versioning suspended writes.
pub const NULL_VERSION: &str = "null";

/// Between a key and a version id in a version row's key: it sorts before every character a key may
/// go on with, so a key's versions sort together and before any longer key.
const SEPARATOR: char = '\0';

/// Ends the bound after a key's version rows ([`after_versions_of`]).
const PAST_VERSIONS: char = '\u{1}';

/// Which versions a series counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Series {
    /// The current versions, as a listing of the bucket shows them.
    #[default]
    Current,
    /// Every version the bucket holds: noncurrent versions and delete markers too.
    AllVersions,
}

impl Series {
    pub const NAMES: [&'static str; 2] = ["current", "all-versions"];

    /// Every series, in the order reconcile walks a bucket's: its objects, then its versions.
    pub const ALL: [Self; 2] = [Self::Current, Self::AllVersions];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "current" => Some(Self::Current),
            "all-versions" => Some(Self::AllVersions),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::AllVersions => "all-versions",
        }
    }

    /// The name `bucket`'s series is kept under.
    pub fn of(self, bucket: &BucketName) -> BucketName {
        match self {
            Self::Current => bucket.versions_of().unwrap_or_else(|| bucket.clone()),
            Self::AllVersions => bucket.all_versions(),
        }
    }

    /// How `name` (a bucket, or a bucket's all-versions series) reads to people: `photos`, or
    /// `photos (all versions)`.
    pub fn label(name: &BucketName) -> String {
        match Self::split(name) {
            (bucket, Self::Current) => bucket.to_string(),
            (bucket, Self::AllVersions) => format!("{bucket} (all versions)"),
        }
    }

    /// The series a stored name is, and its bucket.
    pub fn split(name: &BucketName) -> (BucketName, Self) {
        match name.versions_of() {
            Some(bucket) => (bucket, Self::AllVersions),
            None => (name.clone(), Self::Current),
        }
    }
}

/// The key of `version`'s row (`None`: the `null` version), or `None` when it would be longer than a key
/// may be: a key of more than about 990 bytes has no version rows (DynamoDB's sort keys hold at most
/// 1 024 bytes), and is counted in the current series only.
pub fn version_row(key: &ObjectKey, version: Option<&str>) -> Option<ObjectKey> {
    let version = version.unwrap_or(NULL_VERSION);
    ObjectKey::parse(format!("{key}{SEPARATOR}{version}")).ok()
}

/// The change `change` (of a bucket's key) makes to the version `version` in the bucket's all-versions
/// series, where `kind` is what it did to that version.
pub fn version_change(
    change: &ObjectChange,
    version: Option<&str>,
    kind: ChangeKind,
) -> Option<ObjectChange> {
    Some(ObjectChange {
        bucket: change.bucket.all_versions(),
        key: version_row(&change.key, version)?,
        sequencer: change.sequencer.clone(),
        kind,
    })
}

/// A key that orders after every version row of `key` and before the rows of any key after it, or
/// `None` when `key` is too long to have version rows past which one could be.
pub fn after_versions_of(key: &str) -> Option<ObjectKey> {
    ObjectKey::parse(format!("{key}{PAST_VERSIONS}")).ok()
}

/// Whether `row` is a bound made by [`after_versions_of`], not a version row.
pub fn is_bound(row: &str) -> bool {
    !row.contains(SEPARATOR) && row.ends_with(PAST_VERSIONS)
}

/// The object key a version row, or a bound made by [`after_versions_of`], belongs to.
pub fn object_key_of(row: &str) -> &str {
    match row.find(SEPARATOR) {
        Some(at) => &row[..at],
        None => row.strip_suffix(PAST_VERSIONS).unwrap_or(row),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> ObjectKey {
        ObjectKey::parse(text).unwrap()
    }

    #[test]
    fn a_series_is_kept_under_a_name_no_bucket_has() {
        let bucket = BucketName::parse("photos").unwrap();
        let versions = Series::AllVersions.of(&bucket);
        assert_eq!(versions.as_str(), "photos:all-versions");
        assert!(BucketName::parse(versions.as_str()).is_err());
        assert_eq!(Series::split(&versions), (bucket.clone(), Series::AllVersions));
        assert_eq!(Series::split(&bucket), (bucket.clone(), Series::Current));
        assert_eq!(Series::Current.of(&versions), bucket);
        assert_eq!(versions.all_versions(), versions);
        assert_eq!(Series::label(&versions), "photos (all versions)");
        assert_eq!(Series::label(&bucket), "photos");
    }

    #[test]
    fn a_keys_version_rows_sort_together_between_it_and_any_longer_key() {
        let rows = [version_row(&key("a"), Some("v2")), version_row(&key("a"), None)];
        let bound = after_versions_of("a").unwrap();
        let later = [version_row(&key("a/b"), Some("v1")), version_row(&key("a\u{1}"), None)];
        for row in rows.iter().flatten() {
            assert!(row.as_str() > "a" && row < &bound, "{row:?}");
            assert_eq!(object_key_of(row.as_str()), "a");
        }
        for row in later.iter().flatten() {
            assert!(row > &bound, "{row:?}");
        }
        assert_eq!(object_key_of(bound.as_str()), "a");
        assert!(is_bound(bound.as_str()) && !is_bound("a\0null"));
        assert_eq!(version_row(&key("a"), None).unwrap().as_str(), "a\0null");
    }

    #[test]
    fn a_key_too_long_for_version_rows_has_none() {
        let long = key(&"k".repeat(ObjectKey::MAX_BYTES - 4));
        assert!(version_row(&long, Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")).is_none());
        assert!(version_row(&long, Some("v")).is_some());
        assert!(after_versions_of(&"k".repeat(ObjectKey::MAX_BYTES)).is_none());
    }
}
