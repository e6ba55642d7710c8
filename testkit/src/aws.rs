//! Clients, tables, buckets and queues on moto for the tests.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use domain::PLOTS_PREFIX;
use store_dynamodb::Tables;

use crate::moto_endpoint;

/// The fixed credentials and region of [`sdk_config_for`].
pub const TEST_ACCESS_KEY_ID: &str = "testing";
pub const TEST_SECRET_ACCESS_KEY: &str = "testing";
pub const TEST_REGION: &str = "us-east-1";

/// An SDK configuration that talks to `endpoint` with fixed test credentials.
pub async fn sdk_config_for(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(TEST_REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            TEST_ACCESS_KEY_ID,
            TEST_SECRET_ACCESS_KEY,
            None,
            None,
            "testkit",
        ))
        .load()
        .await
}

pub async fn moto_sdk_config() -> SdkConfig {
    sdk_config_for(&moto_endpoint()).await
}

/// A name no other test in any process uses: lowercase, digits and hyphens, valid for buckets and tables.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}-{:04x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        fastrand::u16(..)
    )
}

/// Creates a fresh pair of history and index tables on moto.
pub async fn moto_tables(sdk: &SdkConfig) -> Tables {
    let tables = Tables {
        history: unique_name("history"),
        history_gsi: store_dynamodb::DEFAULT_GSI.into(),
        index: unique_name("index"),
    };
    store_dynamodb::schema::create_tables(&aws_sdk_dynamodb::Client::new(sdk), &tables)
        .await
        .expect("create the tables on moto");
    tables
}

/// Creates an SQS queue and has the bucket notify it of every `ObjectCreated:*` and `ObjectRemoved:*`;
/// returns the queue's URL.
pub async fn notify_new_queue(s3: &aws_sdk_s3::Client, sqs: &aws_sdk_sqs::Client, bucket: &str) -> String {
    use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
    use aws_sdk_sqs::types::QueueAttributeName;

    let created = sqs.create_queue().queue_name(unique_name("events")).send().await.expect("create a queue");
    let queue_url = created.queue_url().expect("a queue URL").to_owned();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("read the queue's ARN");
    let arn = attributes.attributes().expect("attributes")[&QueueAttributeName::QueueArn].clone();
    let queue = QueueConfiguration::builder()
        .queue_arn(arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .events(Event::from("s3:ObjectRemoved:*"))
        .build()
        .expect("a queue configuration");
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(NotificationConfiguration::builder().queue_configurations(queue).build())
        .send()
        .await
        .expect("configure the bucket's notifications");
    queue_url
}

/// The totals a full listing of the bucket gives, keys under the plots prefix excluded.
pub async fn listed_totals(s3: &aws_sdk_s3::Client, bucket: &str) -> domain::Totals {
    let mut totals = domain::Totals::default();
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        for object in page.expect("list the bucket").contents() {
            if !object.key().unwrap_or_default().starts_with(PLOTS_PREFIX) {
                totals.size_bytes += object.size().unwrap_or(0) as u64;
                totals.object_count += 1;
            }
        }
    }
    totals
}

/// The totals of every version the bucket holds (noncurrent versions and delete markers included, a
/// marker counted as a version of 0 bytes), as its all-versions series should show them: summed from a
/// listing of its versions, `plots/` left out.
pub async fn listed_version_totals(s3: &aws_sdk_s3::Client, bucket: &str) -> domain::Totals {
    let mut totals = domain::Totals::default();
    let mut next: (Option<String>, Option<String>) = (None, None);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(next.0.take())
            .set_version_id_marker(next.1.take())
            .send()
            .await
            .expect("list the bucket's versions");
        let versions = page.versions().iter().map(|v| (v.key(), v.size().unwrap_or(0)));
        let markers = page.delete_markers().iter().map(|m| (m.key(), 0));
        for (key, size) in versions.chain(markers) {
            if !key.unwrap_or_default().starts_with(PLOTS_PREFIX) {
                totals.size_bytes += size as u64;
                totals.object_count += 1;
            }
        }
        if page.is_truncated() != Some(true) {
            return totals;
        }
        next = (page.next_key_marker().map(str::to_owned), page.next_version_id_marker().map(str::to_owned));
    }
}
