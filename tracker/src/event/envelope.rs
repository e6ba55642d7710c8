//! Every shape an invocation (or a file given to `tracker apply`) can carry S3 events in: an S3
//! notification invoked directly, an EventBridge event, the record Lambda sends to an on-failure
//! destination (the original event is its `requestPayload`), or an SQS batch whose message bodies are any of
//! the first two.

use serde_json::Value;

use super::{EventError, Notification, eventbridge, notification_from_value};

/// What one invocation carries.
#[derive(Debug)]
pub enum Envelope {
    /// One notification: direct, from EventBridge, or unwrapped from an on-failure record.
    Single(Notification),
    /// An SQS batch: each message on its own, so a malformed one fails only itself.
    Sqs(Vec<SqsMessage>),
}

#[derive(Debug)]
pub struct SqsMessage {
    /// SQS's `messageId`: what `batchItemFailures` names.
    pub id: String,
    /// How many times SQS has handed the message out, this time included (`ApproximateReceiveCount`; 1
    /// where the message does not say).
    pub receive_count: u32,
    pub notification: Result<Notification, EventError>,
}

pub fn envelope_from_slice(bytes: &[u8]) -> Result<Envelope, EventError> {
    envelope_from_value(serde_json::from_slice(bytes).map_err(EventError::Json)?)
}

pub fn envelope_from_value(value: Value) -> Result<Envelope, EventError> {
    if is_sqs_batch(&value) {
        let records = value.get("Records").and_then(Value::as_array).cloned().unwrap_or_default();
        let messages = records
            .into_iter()
            .enumerate()
            .map(|(index, message)| SqsMessage {
                id: message
                    .get("messageId")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("message {index}"), str::to_owned),
                receive_count: message
                    .pointer("/attributes/ApproximateReceiveCount")
                    .and_then(Value::as_str)
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(1),
                notification: message
                    .get("body")
                    .and_then(Value::as_str)
                    .ok_or_else(|| EventError::Record { index, reason: "an SQS message has no body".into() })
                    .and_then(|body| serde_json::from_str(body).map_err(EventError::Json))
                    .and_then(single),
            })
            .collect();
        return Ok(Envelope::Sqs(messages));
    }
    single(value).map(Envelope::Single)
}

/// An S3 notification or an EventBridge event, unwrapping an on-failure destination record first.
fn single(value: Value) -> Result<Notification, EventError> {
    let value = match value {
        Value::Object(mut object)
            if object.contains_key("requestPayload") && object.contains_key("requestContext") =>
        {
            object.remove("requestPayload").unwrap_or_default()
        }
        other => other,
    };
    if value.get("detail-type").is_some() && value.get("source").and_then(Value::as_str) == Some("aws.s3") {
        let event: eventbridge::WireEvent = serde_json::from_value(value).map_err(EventError::Shape)?;
        return eventbridge::notification(&event).map_err(|reason| EventError::Record { index: 0, reason });
    }
    notification_from_value(value)
}

fn is_sqs_batch(value: &Value) -> bool {
    value
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|records| records.first())
        .and_then(|first| first.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs")
}
