//! What reconcile compares the ledger's rows with, a page at a time in key order: a bucket's objects
//! (`ListObjectsV2`), or for its all-versions series its versions (`ListObjectVersions`), each version
//! and delete marker as its version row (see [`domain::versions`]) with its size, 0 for a marker.
//!
//! A page of versions ends with a whole key, so that the ledger's rows of that key meet all of its
//! versions: S3 may cut a page inside a key's versions, and the last key of a cut page is listed again
//! with the next one (a key with more versions than a page is read on until it ends). A server that
//! lists no versions (an S3-compatible server without versioning answers `NotImplemented`) holds only
//! `null` versions: its objects are listed as those.

use aws_sdk_s3::error::ProvideErrorMetadata;
use domain::versions::{after_versions_of, object_key_of, version_row};
use domain::{BucketName, ObjectKey};

use super::ReconcileError;

/// One page, and the key it ends with, when more follow.
pub(super) type Page = (Vec<(ObjectKey, u64)>, Option<ObjectKey>);

/// The page after `cursor` of what `name` (a bucket, or a bucket's all-versions series) is compared with.
pub(super) async fn page_after(
    s3: &aws_sdk_s3::Client,
    name: &BucketName,
    cursor: Option<&ObjectKey>,
    page_keys: usize,
) -> Result<Page, ReconcileError> {
    match name.versions_of() {
        Some(bucket) => {
            versions_after(s3, &bucket, cursor.map(|row| object_key_of(row.as_str())), page_keys).await
        }
        None => objects_after(s3, name, cursor.map(ObjectKey::as_str), page_keys).await,
    }
}

fn failed(bucket: &BucketName) -> impl Fn(Box<dyn std::error::Error + Send + Sync>) -> ReconcileError + '_ {
    move |source| ReconcileError::Listing { bucket: bucket.clone(), source }
}

/// The objects after the key `start_after`.
async fn objects_after(
    s3: &aws_sdk_s3::Client,
    bucket: &BucketName,
    start_after: Option<&str>,
    page_keys: usize,
) -> Result<Page, ReconcileError> {
    let failed = failed(bucket);
    let page = s3
        .list_objects_v2()
        .bucket(bucket.as_str())
        .set_start_after(start_after.map(str::to_owned))
        .max_keys(page_keys as i32)
        .send()
        .await
        .map_err(|e| failed(e.into()))?;
    let mut listed = Vec::with_capacity(page.contents().len());
    for object in page.contents() {
        let Some(key) = object.key() else { continue };
        let key = ObjectKey::parse(key).map_err(|e| failed(e.into()))?;
        listed.push((key, size(object.size())));
    }
    let through = match (page.is_truncated() == Some(true), listed.last()) {
        (false, _) => None,
        (true, Some((key, _))) => Some(key.clone()),
        (true, None) => return Err(failed("a truncated listing page holds no object".into())),
    };
    Ok((listed, through))
}

fn size(listed: Option<i64>) -> u64 {
    u64::try_from(listed.unwrap_or(0)).unwrap_or(0)
}

/// One listed version: its key, its id, its size.
struct Listed {
    key: String,
    version: Option<String>,
    size: u64,
}

/// The version rows of the keys after `key_marker`, each key whole.
async fn versions_after(
    s3: &aws_sdk_s3::Client,
    bucket: &BucketName,
    key_marker: Option<&str>,
    page_keys: usize,
) -> Result<Page, ReconcileError> {
    let failed = failed(bucket);
    let mut listed: Vec<Listed> = Vec::new();
    let mut markers = (key_marker.map(str::to_owned), None::<String>);
    let cut_key = loop {
        let answer = s3
            .list_object_versions()
            .bucket(bucket.as_str())
            .set_key_marker(markers.0.clone())
            .set_version_id_marker(markers.1.clone())
            .max_keys(page_keys as i32)
            .send()
            .await;
        let page = match answer {
            Ok(page) => page,
            Err(error) if error.code() == Some("NotImplemented") => {
                return null_versions_after(s3, bucket, key_marker, page_keys).await;
            }
            Err(error) => return Err(failed(error.into())),
        };
        let versions = page.versions().iter().map(|v| (v.key(), v.version_id(), size(v.size())));
        let deletion_markers = page.delete_markers().iter().map(|m| (m.key(), m.version_id(), 0));
        for (key, version, size) in versions.chain(deletion_markers) {
            let Some(key) = key else { continue };
            listed.push(Listed { key: key.to_owned(), version: version.map(str::to_owned), size });
        }
        if page.is_truncated() != Some(true) {
            break None;
        }
        let next_key = page
            .next_key_marker()
            .ok_or_else(|| failed("a cut page of versions names no next key".into()))?;
        // The next page may go on with the versions of the key this one was cut in.
        if listed.iter().any(|entry| entry.key != next_key) {
            break Some(next_key.to_owned());
        }
        markers = (Some(next_key.to_owned()), page.next_version_id_marker().map(str::to_owned));
    };
    let through = match cut_key {
        None => None,
        Some(cut) => {
            listed.retain(|entry| entry.key != cut);
            Some(
                bound_of_last(&mut listed)
                    .ok_or_else(|| failed("no key of a page of versions can end it".into()))?,
            )
        }
    };
    rows(listed, through, &failed)
}

/// The bound after the last key of `listed` (in key order: a page lists its versions, then its delete
/// markers) that can have one, dropping the versions of keys past it.
fn bound_of_last(listed: &mut Vec<Listed>) -> Option<ObjectKey> {
    while let Some(last) = listed.iter().map(|entry| entry.key.as_str()).max() {
        if let Some(bound) = after_versions_of(last) {
            return Some(bound);
        }
        let key = last.to_owned();
        listed.retain(|entry| entry.key != key);
    }
    None
}

/// A server that keeps no versions: each object is its `null` version.
async fn null_versions_after(
    s3: &aws_sdk_s3::Client,
    bucket: &BucketName,
    key_marker: Option<&str>,
    page_keys: usize,
) -> Result<Page, ReconcileError> {
    let (objects, through) = objects_after(s3, bucket, key_marker, page_keys).await?;
    let mut listed: Vec<Listed> = objects
        .into_iter()
        .map(|(key, size)| Listed { key: key.as_str().to_owned(), version: None, size })
        .collect();
    let through = match through {
        None => None,
        Some(_) => Some(
            bound_of_last(&mut listed).ok_or_else(|| failed(bucket)("no key of a page can end it".into()))?,
        ),
    };
    rows(listed, through, &failed(bucket))
}

/// The listed versions as version rows in key order (a key too long for version rows has none).
fn rows(
    listed: Vec<Listed>,
    through: Option<ObjectKey>,
    failed: &impl Fn(Box<dyn std::error::Error + Send + Sync>) -> ReconcileError,
) -> Result<Page, ReconcileError> {
    let mut rows = Vec::with_capacity(listed.len());
    for entry in listed {
        let key = ObjectKey::parse(entry.key).map_err(|e| failed(e.into()))?;
        if let Some(row) = version_row(&key, entry.version.as_deref()) {
            rows.push((row, entry.size));
        }
    }
    rows.sort_by(|(a, _), (b, _)| a.cmp(b));
    Ok((rows, through))
}
