//! `tracker enable-eventbridge` on moto: EventBridge is turned on and every other notification of the
//! bucket is written back as it was; a bucket already on is not written; a write that did not stick (as
//! when another writer replaced the document meanwhile) is reported; the command line names each bucket.

use aws_sdk_s3::operation::put_bucket_notification_configuration::PutBucketNotificationConfigurationInput;
use aws_sdk_s3::types::NotificationConfiguration;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use domain::BucketName;
use s3_size_micro::eventbridge::{EnableError, Enabled, Kept, enable_eventbridge};

async fn clients() -> (aws_sdk_s3::Client, aws_sdk_sqs::Client) {
    let sdk = testkit::moto_sdk_config().await;
    (startup::s3_client(&sdk), aws_sdk_sqs::Client::new(&sdk))
}

async fn new_bucket(s3: &aws_sdk_s3::Client) -> BucketName {
    let bucket = BucketName::parse(testkit::unique_name("existing")).unwrap();
    s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
    bucket
}

#[tokio::test]
async fn eventbridge_is_turned_on_and_the_buckets_queue_notification_is_kept() {
    let (s3, sqs) = clients().await;
    let bucket = new_bucket(&s3).await;
    testkit::notify_new_queue(&s3, &sqs, bucket.as_str()).await;
    let before = s3.get_bucket_notification_configuration().bucket(bucket.as_str()).send().await.unwrap();
    assert!(before.event_bridge_configuration().is_none());

    let kept = Kept { queues: 1, topics: 0, functions: 0 };
    assert_eq!(enable_eventbridge(&s3, &bucket).await.unwrap(), Enabled::Now { kept });
    let after = s3.get_bucket_notification_configuration().bucket(bucket.as_str()).send().await.unwrap();
    assert!(after.event_bridge_configuration().is_some(), "EventBridge is on");
    assert_eq!(after.queue_configurations(), before.queue_configurations(), "the queue notification is kept");

    assert_eq!(enable_eventbridge(&s3, &bucket).await.unwrap(), Enabled::Already { kept });
}

#[tokio::test]
async fn a_bucket_with_no_notifications_gets_eventbridge_only() {
    let (s3, _) = clients().await;
    let bucket = new_bucket(&s3).await;
    let none = Kept { queues: 0, topics: 0, functions: 0 };
    assert_eq!(enable_eventbridge(&s3, &bucket).await.unwrap(), Enabled::Now { kept: none });
    let after = s3.get_bucket_notification_configuration().bucket(bucket.as_str()).send().await.unwrap();
    assert!(after.event_bridge_configuration().is_some());
    assert!(after.queue_configurations().is_empty());
}

/// Writes EventBridge alone in place of the document the command wrote: what S3 then holds is what a
/// writer that replaced the document between the command's read and its write would leave.
#[derive(Debug)]
struct AnotherWriter;

impl Intercept for AnotherWriter {
    fn name(&self) -> &'static str {
        "AnotherWriter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context.input_mut().downcast_mut::<PutBucketNotificationConfigurationInput>() {
            let replaced = input.notification_configuration.as_ref().map(|written| {
                NotificationConfiguration::builder()
                    .set_event_bridge_configuration(written.event_bridge_configuration.clone())
                    .build()
            });
            input.notification_configuration = replaced;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_configuration_another_writer_replaced_meanwhile_is_reported() {
    let (s3, sqs) = clients().await;
    let bucket = new_bucket(&s3).await;
    testkit::notify_new_queue(&s3, &sqs, bucket.as_str()).await;
    let raced = aws_sdk_s3::Client::from_conf(s3.config().to_builder().interceptor(AnotherWriter).build());

    let error = enable_eventbridge(&raced, &bucket).await.unwrap_err();
    assert!(matches!(error, EnableError::Raced { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("now: EventBridge on, 0 queue"), "{message}");
    assert!(message.contains("written: EventBridge on, 1 queue"), "{message}");
}
