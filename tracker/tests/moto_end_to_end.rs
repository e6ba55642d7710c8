//! S3 on moto sends its notifications to SQS; the test receives them in batches and hands each batch to
//! the tracker's Lambda handler as an SQS event source mapping does (on DynamoDB on moto), deletes what
//! the handler did not report as failed, and compares the tracked totals with a full listing of the bucket.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use domain::{BucketName, Ledger, Totals};
use store_dynamodb::DynamoStore;
use tracker::Tracker;
use tracker::reconcile::reconcile;

struct World {
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    tracker: Tracker,
    bucket: BucketName,
}

async fn world() -> World {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let ledger: Arc<dyn Ledger> = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &tables));
    let bucket = BucketName::parse(testkit::unique_name("tracked")).unwrap();
    let s3 = startup::s3_client(&sdk);
    s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();
    // moto stamps events to the millisecond and sends no sequencer: ties are settled from S3.
    let tracker =
        Tracker::new(ledger, tracker::TrackingRules::default()).with_current_objects(Arc::new(s3.clone()));
    World { s3, sqs: aws_sdk_sqs::Client::new(&sdk), tracker, bucket }
}

impl World {
    async fn notify_to_new_queue(&self) -> String {
        testkit::notify_new_queue(&self.s3, &self.sqs, self.bucket.as_str()).await
    }

    async fn put(&self, key: &str, size: usize) {
        self.s3
            .put_object()
            .bucket(self.bucket.as_str())
            .key(key)
            .body(ByteStream::from(vec![b'x'; size]))
            .send()
            .await
            .unwrap();
    }

    /// Feeds every queued notification to the tracker's handler, in SQS batches of up to 10 messages;
    /// answers how many batches held more than one message.
    async fn drain(&self, queue_url: &str) -> usize {
        let mut batched = 0;
        let mut empty_polls = 0;
        // Short polls: a long poll would hold moto, which answers one request at a time.
        while empty_polls < 5 {
            let output = self
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let messages = output.messages();
            if messages.is_empty() {
                empty_polls += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            empty_polls = 0;
            batched += usize::from(messages.len() > 1);
            let event = serde_json::json!({
                "Records": messages.iter().map(|message| serde_json::json!({
                    "messageId": message.message_id().unwrap(),
                    "receiptHandle": message.receipt_handle().unwrap(),
                    "body": message.body().unwrap(),
                    "attributes": {},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events",
                    "awsRegion": "us-east-1",
                })).collect::<Vec<_>>()
            });
            let answer = tracker::lambda::handle(&self.tracker, event).await.unwrap();
            let tracker::lambda::Answer::Batch(response) = answer else {
                panic!("an SQS batch answers a batch response")
            };
            assert_eq!(response.batch_item_failures, [], "no message failed");
            for message in messages {
                self.sqs
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        batched
    }

    async fn listed_totals(&self) -> Totals {
        testkit::listed_totals(&self.s3, self.bucket.as_str()).await
    }

    async fn tracked_totals(&self) -> Totals {
        self.tracker.ledger().totals(&self.bucket).await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_through_sqs_keep_totals_equal_to_a_listing() {
    let world = world().await;
    let queue = world.notify_to_new_queue().await;
    let b = world.bucket.as_str();

    world.put("assignment1.txt", 18).await;
    world.put("assignment1.txt", 27).await;
    world.put("dir/with space+plus é.txt", 5).await;
    world
        .s3
        .copy_object()
        .bucket(b)
        .key("copies/b.txt")
        .copy_source(format!("{b}/assignment1.txt"))
        .send()
        .await
        .unwrap();
    let upload = world.s3.create_multipart_upload().bucket(b).key("big.bin").send().await.unwrap();
    let part = world
        .s3
        .upload_part()
        .bucket(b)
        .key("big.bin")
        .upload_id(upload.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from(vec![7u8; 1_000]))
        .send()
        .await
        .unwrap();
    // moto answers with an XML root the SDK does not expect; the upload completes all the same, as the
    // listing below shows.
    let _completed = world
        .s3
        .complete_multipart_upload()
        .bucket(b)
        .key("big.bin")
        .upload_id(upload.upload_id().unwrap())
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
                .build(),
        )
        .send()
        .await;
    world.s3.delete_object().bucket(b).key("assignment1.txt").send().await.unwrap();
    world.put("plots/plot.png", 4_096).await;
    world.put("assignment2.txt", 2).await;

    // Moto announces a multipart completion twice; the plot's record is skipped (a reserved prefix).
    let batched = world.drain(&queue).await;
    assert!(batched > 0, "the notifications reached the tracker in batches of several messages");
    let listed = world.listed_totals().await;
    assert_eq!(listed, Totals { size_bytes: 5 + 27 + 1_000 + 2, object_count: 4 });
    assert_eq!(world.tracked_totals().await, listed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_brings_in_an_existing_bucket_across_pages() {
    let world = world().await;
    for i in 0..1_050 {
        world
            .s3
            .put_object()
            .bucket(world.bucket.as_str())
            .key(format!("existing/{i:05}"))
            .body(ByteStream::from(vec![0u8; i % 7]))
            .send()
            .await
            .unwrap();
    }
    world.put("plots/plot.png", 100).await;
    let ledger = world.tracker.ledger().as_ref();
    let mut pages = 0;
    let report =
        reconcile(&world.s3, ledger, &world.bucket, &["plots/".into()], |_| pages += 1).await.unwrap();
    assert_eq!(pages, 2, "1 050 keys are listed in two pages");
    assert_eq!((report.progress.listed, report.progress.added), (1_050, 1_050));
    assert_eq!(world.tracked_totals().await, world.listed_totals().await);

    let again = reconcile(&world.s3, ledger, &world.bucket, &["plots/".into()], |_| ()).await.unwrap();
    assert_eq!(again.progress, tracker::reconcile::Progress { listed: 1_050, ..Default::default() });
    assert_eq!(world.tracked_totals().await, world.listed_totals().await);
}
