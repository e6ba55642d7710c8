//! The Lambda entry point: S3 invokes the function asynchronously with one notification.

use lambda_runtime::{LambdaEvent, service_fn};
use serde::Serialize;

use crate::Tracker;
use crate::event::{EventError, notification_from_value};
use crate::report::Outcome;

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("malformed notification: {0}")]
    Event(#[from] EventError),
    #[error("cannot apply it now: {0}")]
    Track(#[from] crate::TrackError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub records: usize,
    pub applied: usize,
    pub skipped: usize,
}

/// Handles one invocation. Any failure fails the invocation, so Lambda retries it (and, after its
/// retries, sends it to the on-failure destination): applying is idempotent, so a retry is safe.
pub async fn handle(tracker: &Tracker, payload: serde_json::Value) -> Result<Summary, HandlerError> {
    let notification = notification_from_value(payload)?;
    let reports = tracker.handle(&notification).await?;
    let applied = reports.iter().filter(|r| r.outcome == Outcome::Applied).count();
    Ok(Summary { records: reports.len(), applied, skipped: reports.len() - applied })
}

pub async fn run(tracker: Tracker) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let tracker = tracker.clone();
        async move {
            handle(&tracker, event.payload)
                .await
                .inspect_err(|error| tracing::error!(%error, "invocation failed; Lambda will retry it"))
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
