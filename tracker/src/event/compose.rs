//! Writes notifications in the exact JSON S3 sends (eventVersion 2.1), for servers that emit them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// One object change to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRecord {
    pub bucket: String,
    /// The key as stored; it is form-URL-encoded on the way out.
    pub key: String,
    pub kind: OutgoingKind,
    pub sequencer: String,
    pub time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutgoingKind {
    /// `ObjectCreated:<how>` (Put, Copy, CompleteMultipartUpload, Post).
    Created { how: &'static str, size: u64, etag: String },
    /// `ObjectRemoved:Delete`: S3 sends no size.
    Removed,
}

/// Form-URL-encodes a key as S3 does in notifications: space becomes `+`, `/` stays.
pub fn encode_key(key: &str) -> String {
    form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>().replace("%2F", "/")
}

pub fn notification_json(records: &[OutgoingRecord]) -> Value {
    json!({ "Records": records.iter().map(record_json).collect::<Vec<_>>() })
}

fn record_json(record: &OutgoingRecord) -> Value {
    let (event_name, object) = match &record.kind {
        OutgoingKind::Created { how, size, etag } => (
            format!("ObjectCreated:{how}"),
            json!({
                "key": encode_key(&record.key),
                "size": size,
                "eTag": etag,
                "sequencer": record.sequencer,
            }),
        ),
        OutgoingKind::Removed => (
            "ObjectRemoved:Delete".to_owned(),
            json!({ "key": encode_key(&record.key), "sequencer": record.sequencer }),
        ),
    };
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": record.time.to_rfc3339_opts(SecondsFormat::Millis, true),
        "eventName": event_name,
        "userIdentity": { "principalId": "local" },
        "requestParameters": { "sourceIPAddress": "127.0.0.1" },
        "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "tracker",
            "bucket": {
                "name": record.bucket,
                "ownerIdentity": { "principalId": "local" },
                "arn": format!("arn:aws:s3:::{}", record.bucket),
            },
            "object": object,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Notification, Record, notification_from_value};

    #[test]
    fn what_is_written_reads_back() {
        let record = OutgoingRecord {
            bucket: "size-tracking-local".into(),
            key: "reports/2026 Q3+final été.txt".into(),
            kind: OutgoingKind::Created { how: "Put", size: 1024, etag: "abc".into() },
            sequencer: "0A".into(),
            time: Utc::now(),
        };
        let json = notification_json(std::slice::from_ref(&record));
        assert_eq!(json["Records"][0]["s3"]["object"]["key"], "reports/2026+Q3%2Bfinal+%C3%A9t%C3%A9.txt");
        let Notification::Records(records) = notification_from_value(json).unwrap() else { panic!() };
        let [Record::Change(change, ..)] = records.as_slice() else { panic!("{records:?}") };
        assert_eq!(change.key.as_str(), record.key);
        assert_eq!(change.kind, domain::ChangeKind::Created { size: 1024 });
    }
}
