//! The Lambda entry point: an S3 notification invoked directly (S3's asynchronous invocation), an
//! EventBridge event, an on-failure destination record, or an SQS batch of any of these.

use lambda_runtime::{LambdaEvent, service_fn};
use serde::Serialize;

use crate::Tracker;
use crate::event::{Envelope, EventError, Notification, envelope_from_value};
use crate::metrics::Counts;

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

/// What an invocation answers: a summary, or for an SQS batch the messages to deliver again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Summary(Summary),
    Batch(BatchResponse),
}

/// The partial batch response of an SQS event source mapping with `ReportBatchItemFailures`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Handles one invocation. In an SQS batch (how events arrive from the events queue) the records of every
/// message go to the ledger as one batch, and each message that fails is named in `batchItemFailures`, so
/// SQS delivers just it again. A single notification invoked directly that fails fails the invocation, so
/// Lambda retries it. Applying is idempotent, so a redelivery is safe.
pub async fn handle(tracker: &Tracker, payload: serde_json::Value) -> Result<Answer, HandlerError> {
    Ok(handle_counted(tracker, payload).await?.0)
}

/// [`handle`], with the counts of what the invocation did.
pub async fn handle_counted(
    tracker: &Tracker,
    payload: serde_json::Value,
) -> Result<(Answer, Counts), HandlerError> {
    let mut counts = Counts::default();
    match envelope_from_value(payload)? {
        Envelope::Single(notification) => {
            counts.messages = 1;
            counts.add(&tracker.handle(&notification).await?);
            let skipped = counts.skipped_total() + counts.parked;
            let summary = Summary { records: counts.applied + skipped, applied: counts.applied, skipped };
            Ok((Answer::Summary(summary), counts))
        }
        Envelope::Sqs(messages) => {
            counts.messages = messages.len();
            counts.redelivered = messages.iter().filter(|message| message.receive_count > 1).count();
            let mut batch_item_failures = Vec::new();
            let mut readable = Vec::with_capacity(messages.len());
            for message in &messages {
                match &message.notification {
                    Ok(notification) => readable.push((message.id.as_str(), notification)),
                    Err(error) => {
                        tracing::warn!(message = message.id, %error, "a malformed message; SQS will deliver it again, then to the DLQ");
                        batch_item_failures.push(ItemFailure { item_identifier: message.id.clone() });
                    }
                }
            }
            let notifications: Vec<&Notification> =
                readable.iter().map(|(_, notification)| *notification).collect();
            let results = tracker.handle_batch(&notifications).await;
            for ((id, _), result) in readable.into_iter().zip(results) {
                match result {
                    Ok(reports) => counts.add(&reports),
                    Err(error) => {
                        tracing::error!(message = id, %error, "a message could not be applied; SQS will deliver it again");
                        batch_item_failures.push(ItemFailure { item_identifier: id.to_owned() });
                    }
                }
            }
            counts.failed_messages = batch_item_failures.len();
            Ok((Answer::Batch(BatchResponse { batch_item_failures }), counts))
        }
    }
}

pub async fn run(tracker: Tracker) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let tracker = tracker.clone();
        async move {
            let (answer, counts) = handle_counted(&tracker, event.payload)
                .await
                .inspect_err(|error| tracing::error!(%error, "invocation failed; Lambda will retry it"))?;
            // Standard output is the function's log stream, where CloudWatch reads EMF lines.
            for line in counts.emf_lines(chrono::Utc::now().timestamp_millis()) {
                println!("{line}");
            }
            Ok::<_, lambda_runtime::Error>(answer)
        }
    }))
    .await
}
