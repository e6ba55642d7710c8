//! S3 events as EventBridge delivers them (`source` `aws.s3`): one object change per event.

use domain::{BucketName, ChangeKind, ObjectChange, ObjectKey, Sequencer};
use serde::Deserialize;

use super::{Notification, Record, VersionStep, decode_key};

#[derive(Debug, Deserialize)]
pub(super) struct WireEvent {
    #[serde(rename = "detail-type")]
    detail_type: String,
    time: Option<String>,
    detail: WireDetail,
}

#[derive(Debug, Deserialize)]
struct WireDetail {
    bucket: WireBucket,
    object: WireObject,
    #[serde(rename = "deletion-type")]
    deletion_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireBucket {
    name: String,
}

#[derive(Debug, Deserialize)]
struct WireObject {
    key: String,
    size: Option<i64>,
    sequencer: Option<String>,
    #[serde(rename = "version-id")]
    version_id: Option<String>,
}

/// The event as a notification of one record. Keys are URL-encoded as in notifications.
pub(super) fn notification(event: &WireEvent) -> Result<Notification, String> {
    let bucket = BucketName::parse(event.detail.bucket.name.clone()).map_err(|e| e.to_string())?;
    let key = ObjectKey::parse(decode_key(&event.detail.object.key)?).map_err(|e| e.to_string())?;
    let kind = match event.detail_type.as_str() {
        "Object Created" => {
            let size = event.detail.object.size.ok_or("an Object Created event has no detail.object.size")?;
            ChangeKind::Created {
                size: u64::try_from(size).map_err(|_| format!("detail.object.size is negative: {size}"))?,
            }
        }
        // Deletions, delete markers and lifecycle expirations alike; a deletion's size is never trusted.
        "Object Deleted" => ChangeKind::Removed,
        other => {
            return Ok(Notification::Records(vec![Record::NotAChange {
                bucket,
                key,
                event_name: other.to_owned(),
            }]));
        }
    };
    let text = event.detail.object.sequencer.as_deref().ok_or("detail.object.sequencer is missing")?;
    let sequencer = Sequencer::parse(text).map_err(|e| e.to_string())?;
    let time = event.time.as_deref().and_then(|text| super::parse_time(text).ok());
    let change = ObjectChange { bucket, key, sequencer, kind };
    // A version removed for good, as against a delete marker created ("Delete Marker Created").
    let step = match kind {
        ChangeKind::Created { size } => VersionStep::Created { size },
        ChangeKind::Removed if event.detail.deletion_type.as_deref() == Some("Delete Marker Created") => {
            VersionStep::MarkerCreated
        }
        ChangeKind::Removed => VersionStep::Removed,
    };
    let version = event.detail.object.version_id.as_deref();
    let versioned = step.change_of(&change, version);
    let record = if version.is_some() && step == VersionStep::Removed {
        Record::VersionRemoved(change, time, versioned)
    } else {
        Record::Change(change, time, versioned)
    };
    Ok(Notification::Records(vec![record]))
}
