//! One walk of a bucket, a page at a time: the ledger's rows of a range of keys are read before the
//! same range is listed, and the two are diffed into corrections. A walk can stop after any page and
//! resume from where it stands, in this process or another. The walk of a bucket's all-versions series
//! lists its versions instead of its objects ([`super::listing`]).

use domain::checkpoint::Progress;
use domain::correction::{self, KeyRows};
use domain::{BucketName, Ledger, ObjectKey, versions};

use super::ReconcileError;

/// Where a walk stands: every key up to `after` is reconciled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    pub after: Option<ObjectKey>,
    pub progress: Progress,
}

/// A walk of one bucket's keys, in key order.
pub struct Walk<'a> {
    s3: &'a aws_sdk_s3::Client,
    ledger: &'a dyn Ledger,
    bucket: &'a BucketName,
    reserved_prefixes: &'a [String],
    page_keys: usize,
    position: Position,
    /// The ledger's page read past the last range, kept for the next one.
    ahead: Option<KeyRows>,
    done: bool,
}

impl<'a> Walk<'a> {
    /// A walk from `position`, reading and listing `page_keys` keys at a time (1 to S3's 1 000).
    pub fn resume(
        s3: &'a aws_sdk_s3::Client,
        ledger: &'a dyn Ledger,
        bucket: &'a BucketName,
        reserved_prefixes: &'a [String],
        page_keys: usize,
        position: Position,
    ) -> Self {
        let page_keys = page_keys.clamp(1, super::PAGE_KEYS);
        Self { s3, ledger, bucket, reserved_prefixes, page_keys, position, ahead: None, done: false }
    }

    pub fn position(&self) -> &Position {
        &self.position
    }

    /// Whether the last key has been reconciled.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Reconciles the next range: up to where the first of the ledger's page and the listing's page
    /// ends. Does nothing once the walk is done.
    pub async fn step(&mut self) -> Result<(), ReconcileError> {
        if self.done {
            return Ok(());
        }
        let cursor = self.position.after.clone();
        let rows = match self.ahead.take() {
            Some(rows) if !rows.ends_by(cursor.as_ref()) => rows,
            _ => self.ledger.key_rows(self.bucket, cursor.as_ref(), self.page_keys).await?,
        };
        let rows = self.whole_keys(rows).await?;
        let (listed, listed_through) = self.list_after(cursor.as_ref()).await?;
        let through = match (&rows.through, &listed_through) {
            (Some(a), Some(b)) => Some(a.min(b).clone()),
            (Some(a), None) | (None, Some(a)) => Some(a.clone()),
            (None, None) => None,
        };
        let (now, later) = rows.split_through(through.as_ref());
        let listed: Vec<(ObjectKey, u64)> = listed
            .into_iter()
            .filter(|(key, _)| {
                through.as_ref().is_none_or(|through| key <= through)
                    && !key.is_under_any(self.reserved_prefixes)
            })
            .collect();
        self.position.progress.listed += listed.len() as u64;
        let corrections = correction::diff(&now, &listed);
        if !corrections.is_empty() {
            let transitions = self.ledger.correct(self.bucket, &corrections).await?;
            self.position.progress.count(&corrections, &transitions);
        }
        match through {
            None => self.done = true,
            Some(through) => {
                if cursor.as_ref().is_some_and(|cursor| &through <= cursor) {
                    let stuck = format!("a page of the listing ends at {through:?}, not past {cursor:?}");
                    return Err(ReconcileError::Listing {
                        bucket: self.bucket.clone(),
                        source: stuck.into(),
                    });
                }
                self.position.after = Some(through);
                self.ahead = Some(later);
            }
        }
        Ok(())
    }

    /// The ledger's page of an all-versions series cut after its last whole key: a range ends after a
    /// key's last version row (as the listing's pages do), so the next begins with a key's first.
    /// A page of one key's rows alone is read on until the key ends.
    async fn whole_keys(&self, mut rows: KeyRows) -> Result<KeyRows, ReconcileError> {
        if self.bucket.versions_of().is_none() {
            return Ok(rows);
        }
        while let Some(through) = rows.through.clone() {
            if versions::is_bound(through.as_str()) {
                return Ok(rows);
            }
            let cut_key = versions::object_key_of(through.as_str()).to_owned();
            let whole = rows.rows.iter().rev().map(|(row, _)| versions::object_key_of(row.as_str()));
            let bound = whole.filter(|key| *key != cut_key).find_map(versions::after_versions_of);
            if let Some(bound) = bound {
                rows.through = Some(bound);
                return Ok(rows);
            }
            let more = self.ledger.key_rows(self.bucket, Some(&through), self.page_keys).await?;
            rows.rows.extend(more.rows);
            rows.through = more.through;
        }
        Ok(rows)
    }

    /// One listing page after `cursor`, and the key it ends with if more follow.
    async fn list_after(
        &self,
        cursor: Option<&ObjectKey>,
    ) -> Result<(Vec<(ObjectKey, u64)>, Option<ObjectKey>), ReconcileError> {
        // Boxed: the listing's futures nest the SDK's, and unboxed they make a caller's future type (a
        // Lambda handler's) too deep for the compiler to lay out.
        Box::pin(super::listing::page_after(self.s3, self.bucket, cursor, self.page_keys)).await
    }
}
