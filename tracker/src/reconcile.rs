//! Makes the ledger agree with the bucket as a listing shows it (keys whose events were never received,
//! or whose changes were lost), and settles the keys of parked events: run when an existing bucket
//! joins, after a redrive of old events, by the local stack at every start, and on a schedule.

use domain::correction::{self, Correction, CorrectionKind, KeyRows};
use domain::transition::Transition;
use domain::{BucketName, Ledger, ObjectKey, SkipReason, StoreError, Totals};

use crate::current::{CurrentObjectError, CurrentObjects};

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("listing s3://{bucket} failed: {}", domain::ErrorChain(.source.as_ref()))]
    Listing {
        bucket: BucketName,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    CurrentObject(#[from] CurrentObjectError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How far a reconcile has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Objects listed so far (reserved prefixes excluded).
    pub listed: u64,
    /// Keys the listing has and the ledger had not (never seen, or removed), now added.
    pub added: u64,
    /// Keys the ledger had and the listing has not, now removed.
    pub removed: u64,
    /// Keys whose size the ledger had wrong, now corrected.
    pub resized: u64,
    /// Corrections left undone because an event moved their key after reconcile read it: the event's
    /// state stands.
    pub raced: u64,
    /// How far the ledger was off, as the corrections moved the totals: listed minus tracked.
    pub drift_bytes: i64,
    pub drift_objects: i64,
}

/// What a reconcile found and did; printed as JSON by `tracker reconcile` and logged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileReport {
    pub bucket: String,
    #[serde(flatten)]
    pub progress: Progress,
    /// Keys of parked events settled from the bucket.
    pub settled: u64,
    /// The bucket's totals afterwards.
    pub size_bytes: u64,
    pub object_count: u64,
}

/// How many keys one step reads from the ledger and lists from the bucket (S3's most per listing page).
const PAGE_KEYS: usize = 1_000;

/// Makes the ledger agree with a listing of the bucket: keys listed but not tracked are added, keys
/// tracked but not listed are removed, sizes that differ are corrected (see [`domain::correction`]),
/// then parked events are settled. Each range of keys is read from the ledger before it is listed, and
/// each correction applies only if its key's row is still the one read, so an event applied meanwhile
/// is never undone and one still on its way still wins. Pages of the ledger and of the listing advance
/// together in key order (a listing page may be listed again from where the ledger's page ended), so
/// memory stays one page whatever the bucket holds.
pub async fn reconcile(
    s3: &aws_sdk_s3::Client,
    ledger: &dyn Ledger,
    bucket: &BucketName,
    reserved_prefixes: &[String],
    on_progress: impl FnMut(Progress),
) -> Result<ReconcileReport, ReconcileError> {
    reconcile_in_pages(s3, ledger, bucket, reserved_prefixes, PAGE_KEYS, on_progress).await
}

/// [`reconcile`], reading and listing `page_keys` keys at a time.
pub async fn reconcile_in_pages(
    s3: &aws_sdk_s3::Client,
    ledger: &dyn Ledger,
    bucket: &BucketName,
    reserved_prefixes: &[String],
    page_keys: usize,
    mut on_progress: impl FnMut(Progress),
) -> Result<ReconcileReport, ReconcileError> {
    let page_keys = page_keys.clamp(1, PAGE_KEYS);
    let listing_failed = |source: Box<dyn std::error::Error + Send + Sync>| ReconcileError::Listing {
        bucket: bucket.clone(),
        source,
    };
    let mut progress = Progress::default();
    // Everything up to this key is reconciled (`None`: nothing yet).
    let mut cursor: Option<ObjectKey> = None;
    let mut ahead: Option<KeyRows> = None;
    loop {
        let rows = match ahead.take() {
            Some(rows) if !rows.ends_by(cursor.as_ref()) => rows,
            _ => ledger.key_rows(bucket, cursor.as_ref(), page_keys).await?,
        };
        let page = s3
            .list_objects_v2()
            .bucket(bucket.as_str())
            .set_start_after(cursor.as_ref().map(|key| key.as_str().to_owned()))
            .max_keys(page_keys as i32)
            .send()
            .await
            .map_err(|e| listing_failed(e.into()))?;
        let mut listed = Vec::with_capacity(page.contents().len());
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            let key = ObjectKey::parse(key).map_err(|e| listing_failed(e.into()))?;
            listed.push((key, u64::try_from(object.size().unwrap_or(0)).unwrap_or(0)));
        }
        let listed_through = match (page.is_truncated() == Some(true), listed.last()) {
            (false, _) => None,
            (true, Some((key, _))) => Some(key.clone()),
            (true, None) => return Err(listing_failed("a truncated listing page holds no object".into())),
        };
        // The range both cover: up to where the first of the two pages ends.
        let through = match (&rows.through, &listed_through) {
            (Some(a), Some(b)) => Some(a.min(b).clone()),
            (Some(a), None) | (None, Some(a)) => Some(a.clone()),
            (None, None) => None,
        };
        let (now, later) = rows.split_through(through.as_ref());
        listed.retain(|(key, _)| {
            through.as_ref().is_none_or(|through| key <= through) && !key.is_under_any(reserved_prefixes)
        });
        progress.listed += listed.len() as u64;
        let corrections = correction::diff(&now, &listed);
        if !corrections.is_empty() {
            let transitions = ledger.correct(bucket, &corrections).await?;
            progress.count(&corrections, &transitions);
        }
        on_progress(progress);
        match through {
            None => break,
            Some(through) => {
                cursor = Some(through);
                ahead = Some(later);
            }
        }
    }
    let settled = settle_parked(ledger, s3, bucket).await?;
    let Totals { size_bytes, object_count } = ledger.totals(bucket).await?;
    let report = ReconcileReport { bucket: bucket.to_string(), progress, settled, size_bytes, object_count };
    tracing::info!(
        %bucket,
        listed = progress.listed,
        added = progress.added,
        removed = progress.removed,
        resized = progress.resized,
        raced = progress.raced,
        drift_bytes = progress.drift_bytes,
        drift_objects = progress.drift_objects,
        settled,
        size_bytes,
        object_count,
        "bucket reconciled"
    );
    Ok(report)
}

impl Progress {
    fn count(&mut self, corrections: &[Correction], transitions: &[Transition]) {
        for (correction, transition) in corrections.iter().zip(transitions) {
            let Transition::Apply { delta, .. } = transition else {
                if matches!(transition, Transition::Skip(SkipReason::Stale)) {
                    self.raced += 1;
                }
                continue;
            };
            match correction.kind() {
                CorrectionKind::Added => self.added += 1,
                CorrectionKind::Removed => self.removed += 1,
                CorrectionKind::Resized => self.resized += 1,
            }
            self.drift_bytes += i64::try_from(delta.size_bytes).unwrap_or(i64::MAX);
            self.drift_objects += delta.object_count;
        }
    }
}

/// Settles the bucket's parked changes from its current objects: each key's state now (read through
/// `current`) is applied under the parked change's sequencer, so anything newer the ledger knows still
/// wins and nothing older comes back; then the changes are unparked. Answers how many were settled.
pub async fn settle_parked(
    ledger: &dyn Ledger,
    current: &dyn CurrentObjects,
    bucket: &BucketName,
) -> Result<u64, ReconcileError> {
    let parked = ledger.parked(bucket).await?;
    if parked.is_empty() {
        return Ok(0);
    }
    let mut settled = Vec::with_capacity(parked.len());
    for change in &parked {
        settled.push(current.as_it_is_now(change, change.sequencer.clone()).await?);
    }
    for result in ledger.apply_batch(&settled).await {
        result.map_err(StoreError::Shared)?;
    }
    ledger.unpark(&parked).await?;
    Ok(parked.len() as u64)
}
