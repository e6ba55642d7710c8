//! The same scenario with AWS's protocols: S3 on moto notifies an SQS queue, a poller feeds the tracker
//! (on DynamoDB on moto), and the api serves from moto's DynamoDB and S3.

use std::sync::Arc;
use std::time::Duration;

use domain::{BucketName, SizeStore};
use store_dynamodb::DynamoStore;
use tokio::sync::watch;
use tracker::Tracker;
use tracker::event::notification_from_value;

use crate::helpers::{classic_options, get_json, sizes};

/// Feeds every message of the queue to the tracker until told to stop, then drains what is left. Polls are
/// short: a long poll would hold moto, which answers one request at a time.
async fn poll(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    tracker: Tracker,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let stopping = *stop.borrow();
        let output =
            sqs.receive_message().queue_url(&queue_url).max_number_of_messages(10).send().await.unwrap();
        for message in output.messages() {
            let body: serde_json::Value = serde_json::from_str(message.body().unwrap()).unwrap();
            tracker.handle(&notification_from_value(body).unwrap()).await.unwrap();
            sqs.delete_message()
                .queue_url(&queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        if stopping && output.messages().is_empty() {
            return;
        }
        if !stopping && output.messages().is_empty() {
            let _ = tokio::time::timeout(Duration::from_millis(50), stop.changed()).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_driver_scenario_on_moto() {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let store: Arc<dyn SizeStore> = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &tables));
    let bucket = BucketName::parse(testkit::unique_name("moto-stack")).unwrap();
    let s3 = startup::s3_client(&sdk);
    s3.create_bucket().bucket(bucket.as_str()).send().await.unwrap();

    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue_url = testkit::notify_new_queue(&s3, &sqs, bucket.as_str()).await;

    let tracker = Tracker::new(store.clone(), tracker::TrackingRules::default())
        .with_current_objects(Arc::new(s3.clone()));
    let (stop, stopped) = watch::channel(false);
    let poller = tokio::spawn(poll(sqs, queue_url, tracker, stopped));

    let app = api::Application::build(store.clone(), s3.clone(), bucket.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://{}", listener.local_addr().unwrap());
    let (api_stop, api_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = api_stopped.await;
    }));

    let mut options = classic_options(&api_url, &bucket, 60);
    options.sleep = Duration::from_millis(400);
    let summary =
        driver::run(&driver::S3::new(&sdk), &driver::AuthContext::default(), &options, |_| ()).await.unwrap();
    assert_eq!(summary.plot.samples, vec![18, 27, 0, 2]);
    assert_eq!(summary.plot.max_size_bytes, Some(27));

    stop.send(true).unwrap();
    poller.await.unwrap();
    let (_, window) = get_json(&format!("{api_url}/window?window=60")).await;
    assert_eq!(sizes(&window["samples"]), vec![18, 27, 0, 2]);
    let (_, max) = get_json(&format!("{api_url}/max")).await;
    assert_eq!(max["size_bytes"], 27);

    let _ = api_stop.send(());
    server.await.unwrap().unwrap();
}
