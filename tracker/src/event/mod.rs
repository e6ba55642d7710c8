//! S3 event notifications, as S3 delivers them to Lambda, turned into ledger changes.

pub mod compose;
mod envelope;
mod eventbridge;

pub use envelope::{Envelope, SqsMessage, envelope_from_slice, envelope_from_value};

use chrono::{DateTime, NaiveDateTime, Utc};
use domain::{BucketName, ChangeKind, ObjectChange, ObjectKey, Sequencer};
use serde::Deserialize;

/// One notification: the test event S3 sends when notifications are configured, or a batch of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    Test,
    Records(Vec<Record>),
}

/// One record, understood: its change of the key (to the current series), when it happened (the
/// record's `eventTime`), where the record says, and its change of the version it names (to the
/// all-versions series, see [`domain::versions`]; `None` for a key too long to have version rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A change ordered by the sequencer its sender gave (S3 always does).
    Change(ObjectChange, Option<DateTime<Utc>>, Option<ObjectChange>),
    /// A change from a sender that gives no sequencer (some S3-compatible servers), ordered by its
    /// `eventTime` alone. Two changes of one key in the same instant then carry the same sequencer, and
    /// nothing in either event says which came last: the tracker resolves such a tie by reading the
    /// object's current state (see [`Tracker::with_current_objects`](crate::Tracker::with_current_objects)).
    TimeOrdered(ObjectChange, Option<DateTime<Utc>>, Option<ObjectChange>),
    /// One version of the key removed for good (a versioned bucket's `DELETE ?versionId=`, or a
    /// lifecycle expiration of a noncurrent version): the current version may be another one now, or
    /// none, and only the bucket can say which. The tracker applies the key as the bucket holds it (one
    /// HEAD, see [`Tracker::with_current_objects`](crate::Tracker::with_current_objects)) under this
    /// record's sequencer, so any later change of the key still wins and no earlier one comes back. The
    /// change's kind is [`ChangeKind::Removed`] until then.
    VersionRemoved(ObjectChange, Option<DateTime<Utc>>, Option<ObjectChange>),
    /// A record that names an object but changes no size (restore, tagging, ACL, replication…).
    NotAChange { bucket: BucketName, key: ObjectKey, event_name: String },
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("not an S3 event notification: {0}")]
    Shape(#[source] serde_json::Error),
    #[error("record {index}: {reason}")]
    Record { index: usize, reason: String },
}

pub fn parse_notification(bytes: &[u8]) -> Result<Notification, EventError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(EventError::Json)?;
    notification_from_value(value)
}

pub fn notification_from_value(value: serde_json::Value) -> Result<Notification, EventError> {
    if value.get("Event").and_then(|e| e.as_str()) == Some("s3:TestEvent") {
        return Ok(Notification::Test);
    }
    let event: WireEvent = serde_json::from_value(value).map_err(EventError::Shape)?;
    let records = event
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| parse_record(record).map_err(|reason| EventError::Record { index, reason }))
        .collect::<Result<_, _>>()?;
    Ok(Notification::Records(records))
}

/// The fields of an S3 event record that tracking reads, named as in S3's documented format. Everything
/// else is ignored, so S3-compatible senders that leave out `userIdentity` or write `eventTime` without a
/// zone are understood too.
#[derive(Debug, Deserialize)]
struct WireEvent {
    #[serde(rename = "Records")]
    records: Vec<WireRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRecord {
    event_name: Option<String>,
    event_time: Option<String>,
    s3: WireEntity,
}

#[derive(Debug, Deserialize)]
struct WireEntity {
    bucket: WireBucket,
    object: WireObject,
}

#[derive(Debug, Deserialize)]
struct WireBucket {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireObject {
    key: Option<String>,
    size: Option<i64>,
    sequencer: Option<String>,
    #[serde(rename = "versionId")]
    version_id: Option<String>,
}

fn parse_record(record: &WireRecord) -> Result<Record, String> {
    let event_name = record.event_name.clone().ok_or("eventName is missing")?;
    let bucket = BucketName::parse(record.s3.bucket.name.clone().ok_or("s3.bucket.name is missing")?)
        .map_err(|e| e.to_string())?;
    let raw_key = record.s3.object.key.as_deref().ok_or("s3.object.key is missing")?;
    let key = ObjectKey::parse(decode_key(raw_key)?).map_err(|e| e.to_string())?;

    let kind = if event_name.starts_with("ObjectCreated:") {
        let size = record.s3.object.size.ok_or("an ObjectCreated record has no s3.object.size")?;
        let size = u64::try_from(size).map_err(|_| format!("s3.object.size is negative: {size}"))?;
        ChangeKind::Created { size }
    } else if event_name.starts_with("ObjectRemoved:") || event_name.starts_with("LifecycleExpiration:") {
        // A removal's size, where a sender includes one, is never trusted.
        ChangeKind::Removed
    } else {
        return Ok(Record::NotAChange { bucket, key, event_name });
    };

    // A delete marker hides the key (`…:DeleteMarkerCreated`); any other removal removes the version it
    // names (the `null` one when it names none), and only that one.
    let step = match kind {
        ChangeKind::Removed if event_name.ends_with(":DeleteMarkerCreated") => VersionStep::MarkerCreated,
        ChangeKind::Removed => VersionStep::Removed,
        ChangeKind::Created { size } => VersionStep::Created { size },
    };
    let version_removed = record.s3.object.version_id.is_some() && step == VersionStep::Removed;
    let time = record.event_time.as_deref().map(parse_time);
    let version = record.s3.object.version_id.as_deref();
    Ok(match record.s3.object.sequencer.as_deref() {
        Some(text) => {
            let sequencer = Sequencer::parse(text).map_err(|e| e.to_string())?;
            // Ordered by its sequencer, the record needs no time: an unreadable one is left out.
            let change = ObjectChange { bucket, key, sequencer, kind };
            let time = time.and_then(Result::ok);
            let versioned = step.change_of(&change, version);
            if version_removed {
                Record::VersionRemoved(change, time, versioned)
            } else {
                Record::Change(change, time, versioned)
            }
        }
        None => {
            let time = time.ok_or("neither s3.object.sequencer nor eventTime is present")??;
            let sequencer = sequencer_from_time(time)?;
            let change = ObjectChange { bucket, key, sequencer, kind };
            let versioned = step.change_of(&change, version);
            if version_removed {
                Record::VersionRemoved(change, Some(time), versioned)
            } else {
                Record::TimeOrdered(change, Some(time), versioned)
            }
        }
    })
}

/// What a record did to the version it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionStep {
    /// A new version of this size (or, with no version id, the `null` version replaced).
    Created { size: u64 },
    /// A delete marker: a version of size 0 that hides the key.
    MarkerCreated,
    /// The version removed for good.
    Removed,
}

impl VersionStep {
    /// The change of the version's row in the bucket's all-versions series.
    pub(crate) fn change_of(self, change: &ObjectChange, version: Option<&str>) -> Option<ObjectChange> {
        let kind = match self {
            Self::Created { size } => ChangeKind::Created { size },
            Self::MarkerCreated => ChangeKind::Created { size: 0 },
            Self::Removed => ChangeKind::Removed,
        };
        domain::versions::version_change(change, version, kind)
    }
}

/// S3 always sends a sequencer for object changes; some S3-compatible servers do not. Their records are
/// ordered by event time instead (in microseconds), which keeps redeliveries idempotent.
fn sequencer_from_time(time: DateTime<Utc>) -> Result<Sequencer, String> {
    let micros = time.timestamp_micros().max(0);
    Sequencer::parse(format!("{micros:016X}")).map_err(|e| e.to_string())
}

/// An event time: RFC 3339, or without a zone (UTC) as some S3-compatible senders write it.
pub(super) fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc()))
        .map_err(|_| format!("eventTime {text:?} is not a timestamp"))
}

/// Keys arrive form-URL-encoded: `+` is a space and everything else may be percent-encoded.
pub fn decode_key(raw: &str) -> Result<String, String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|key| key.into_owned())
        .map_err(|_| format!("s3.object.key {raw:?} does not decode to UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_form_url_decoded() {
        assert_eq!(
            decode_key("reports/2026+Q3%2Bfinal+%C3%A9t%C3%A9.txt").unwrap(),
            "reports/2026 Q3+final été.txt"
        );
        assert_eq!(decode_key("plots%2Fplot.png").unwrap(), "plots/plot.png");
        assert!(decode_key("bad%FF").is_err());
    }
}
