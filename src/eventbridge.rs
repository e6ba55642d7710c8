//! `tracker enable-eventbridge`: turns on a bucket's EventBridge notifications, the one step that lets a
//! deployment track a bucket it does not own (its rule forwards the bucket's events to the tracker's
//! queue).
//!
//! S3 stores a bucket's notification configuration as one document, and writing it replaces all of it:
//! this reads the document, adds EventBridge and writes back everything else as it was read. It writes
//! nothing when EventBridge is already on. S3 has no conditional write of the document, so after writing it
//! reads the document again: a configuration someone else changed in between is reported, never silently
//! lost.

use std::fmt;

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_bucket_notification_configuration::GetBucketNotificationConfigurationOutput;
use aws_sdk_s3::types::{EventBridgeConfiguration, NotificationConfiguration};
use domain::BucketName;

/// What the command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enabled {
    /// EventBridge was on already: nothing was written.
    Already { kept: Kept },
    /// EventBridge is on now, and the bucket's other notifications are as they were.
    Now { kept: Kept },
}

/// How many of the bucket's other notifications there are (all kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    pub queues: usize,
    pub topics: usize,
    pub functions: usize,
}

impl fmt::Display for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} queue, {} topic and {} function notifications",
            self.queues, self.topics, self.functions
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnableError {
    #[error("reading the notification configuration of s3://{bucket} failed")]
    Read {
        bucket: BucketName,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("writing the notification configuration of s3://{bucket} failed (nothing was changed)")]
    Write {
        bucket: BucketName,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Someone else wrote the document between this read and this write, or just after.
    #[error(
        "the notification configuration of s3://{bucket} changed while it was written (now: {now}; written: \
         EventBridge on, {written}): another writer replaced it; check it and run this again"
    )]
    Raced { bucket: BucketName, written: Kept, now: String },
}

/// The notification configuration's parts other than EventBridge, in the form it is written back.
fn others(read: &GetBucketNotificationConfigurationOutput) -> NotificationConfiguration {
    NotificationConfiguration::builder()
        .set_queue_configurations(read.queue_configurations.clone())
        .set_topic_configurations(read.topic_configurations.clone())
        .set_lambda_function_configurations(read.lambda_function_configurations.clone())
        .build()
}

fn kept(read: &GetBucketNotificationConfigurationOutput) -> Kept {
    Kept {
        queues: read.queue_configurations().len(),
        topics: read.topic_configurations().len(),
        functions: read.lambda_function_configurations().len(),
    }
}

/// Whether `read` holds exactly `written`: EventBridge on, and the same other notifications.
fn holds(read: &GetBucketNotificationConfigurationOutput, written: &NotificationConfiguration) -> bool {
    read.event_bridge_configuration.is_some()
        && read.queue_configurations() == written.queue_configurations()
        && read.topic_configurations() == written.topic_configurations()
        && read.lambda_function_configurations() == written.lambda_function_configurations()
}

async fn read(
    s3: &Client,
    bucket: &BucketName,
) -> Result<GetBucketNotificationConfigurationOutput, EnableError> {
    s3.get_bucket_notification_configuration()
        .bucket(bucket.as_str())
        .send()
        .await
        .map_err(|e| EnableError::Read { bucket: bucket.clone(), source: e.into() })
}

/// Turns on `bucket`'s EventBridge notifications, keeping its others; see the module's docs.
pub async fn enable_eventbridge(s3: &Client, bucket: &BucketName) -> Result<Enabled, EnableError> {
    let before = read(s3, bucket).await?;
    if before.event_bridge_configuration.is_some() {
        return Ok(Enabled::Already { kept: kept(&before) });
    }
    let mut written = others(&before);
    written.event_bridge_configuration = Some(EventBridgeConfiguration::builder().build());
    // The other destinations are written back unchanged: validating them again would only send each a
    // test event (and fail on one whose policy changed since), so it is skipped.
    s3.put_bucket_notification_configuration()
        .bucket(bucket.as_str())
        .skip_destination_validation(true)
        .notification_configuration(written.clone())
        .send()
        .await
        .map_err(|e| EnableError::Write { bucket: bucket.clone(), source: e.into() })?;
    let after = read(s3, bucket).await?;
    if !holds(&after, &written) {
        let now = match after.event_bridge_configuration {
            Some(_) => format!("EventBridge on, {}", kept(&after)),
            None => format!("EventBridge off, {}", kept(&after)),
        };
        return Err(EnableError::Raced { bucket: bucket.clone(), written: kept(&before), now });
    }
    Ok(Enabled::Now { kept: kept(&before) })
}
