//! Reconcile on a schedule, in invocations of bounded length: each tick walks a bucket for as long as
//! its invocation may run, recording where it stands after every page, and the next tick resumes there.
//! A new walk begins once the last one began `every` ago. A tick takes the bucket's lease (until its
//! invocation's deadline) with a conditional write, so two ticks never walk one bucket at once, and a
//! tick whose invocation died leaves a lease that simply runs out.

use domain::checkpoint::{Checkpoint, Progress};
use domain::{BucketName, Checkpoints, Clock, Ledger};

use super::{Position, ReconcileError, ReconcileReport, Walk};

/// When walks begin, and how an invocation spends its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// A new walk of a bucket begins this long after the last one began (ms).
    pub every_ms: i64,
    /// A page is begun only while this much time is left before the deadline (ms).
    pub margin_ms: i64,
    /// Keys read and listed a page at a time.
    pub page_keys: usize,
}

impl Schedule {
    pub const DAILY_MS: i64 = 24 * 60 * 60 * 1000;

    /// Every `every_ms`, with a minute's margin and full pages.
    pub fn every(every_ms: i64) -> Self {
        Self { every_ms, margin_ms: 60_000, page_keys: super::PAGE_KEYS }
    }
}

/// What one tick did for one bucket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TickOutcome {
    /// Another invocation is walking the bucket, until `leased_until_ms`.
    Busy { leased_until_ms: i64 },
    /// The last walk began less than `every` ago; the next begins at `next_ms`.
    NotDue { next_ms: i64 },
    /// The invocation's time ran out: the walk stands here, and the next tick resumes it.
    Paused {
        #[serde(flatten)]
        progress: Progress,
    },
    /// The walk ended (this tick or earlier ones did its pages).
    Finished(ReconcileReport),
}

/// Runs `bucket`'s scheduled reconcile for one invocation that must end by `deadline_ms`.
#[allow(clippy::too_many_arguments)]
pub async fn tick(
    s3: &aws_sdk_s3::Client,
    ledger: &dyn Ledger,
    checkpoints: &dyn Checkpoints,
    bucket: &BucketName,
    reserved_prefixes: &[String],
    schedule: &Schedule,
    clock: &Clock,
    deadline_ms: i64,
) -> Result<TickOutcome, ReconcileError> {
    let now = clock();
    let stored = checkpoints.checkpoint(bucket).await?;
    let (mut checkpoint, over) = match stored {
        Some(stored) if stored.value.leased_until_ms > now => {
            return Ok(TickOutcome::Busy { leased_until_ms: stored.value.leased_until_ms });
        }
        Some(stored) if stored.value.finished_ms.is_some() => {
            let next_ms = stored.value.started_ms.saturating_add(schedule.every_ms);
            if now < next_ms {
                return Ok(TickOutcome::NotDue { next_ms });
            }
            (Checkpoint::begin(now), Some(stored.revision))
        }
        Some(stored) => (stored.value, Some(stored.revision)),
        None => (Checkpoint::begin(now), None),
    };
    checkpoint.leased_until_ms = deadline_ms;
    let Some(mut revision) = checkpoints.store_checkpoint(bucket, &checkpoint, over).await? else {
        return Ok(TickOutcome::Busy { leased_until_ms: deadline_ms });
    };
    let position = Position { after: checkpoint.after.clone(), progress: checkpoint.progress };
    let mut walk = Walk::resume(s3, ledger, bucket, reserved_prefixes, schedule.page_keys, position);
    while !walk.is_done() {
        if clock().saturating_add(schedule.margin_ms) >= deadline_ms {
            checkpoint.leased_until_ms = 0;
            checkpoints.store_checkpoint(bucket, &checkpoint, Some(revision)).await?;
            let progress = checkpoint.progress;
            tracing::info!(%bucket, after = ?checkpoint.after.as_ref().map(|key| key.as_str()), listed = progress.listed, "reconcile paused; the next tick resumes it");
            return Ok(TickOutcome::Paused { progress });
        }
        walk.step().await?;
        checkpoint.after = walk.position().after.clone();
        checkpoint.progress = walk.position().progress;
        revision = match checkpoints.store_checkpoint(bucket, &checkpoint, Some(revision)).await? {
            Some(revision) => revision,
            // Only a tick that found the lease run out stores over it: this invocation outlived its deadline.
            None => return Ok(TickOutcome::Busy { leased_until_ms: deadline_ms }),
        };
    }
    let report = super::finish(s3, ledger, bucket, checkpoint.progress).await?;
    checkpoint.finished_ms = Some(clock());
    checkpoint.leased_until_ms = 0;
    checkpoints.store_checkpoint(bucket, &checkpoint, Some(revision)).await?;
    Ok(TickOutcome::Finished(report))
}
