use aws_sdk_s3::primitives::ByteStream;
use domain::{Ledger, Series, Totals};

use testkit::{listed_totals, listed_version_totals};

use crate::helpers::{classic_options, get_json, sizes, start_stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_driver_scenario_is_tracked_and_plotted() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start_stack(dir.path(), false).await;
    let api = stack.api_url();
    let sdk = startup::local::sdk_config(&stack.s3_url()).await;
    let s3 = driver::S3::new(&sdk);

    let summary =
        driver::run(&s3, &driver::AuthContext::default(), &classic_options(&api, stack.bucket(), 60), |_| ())
            .await
            .unwrap();
    let expected: Vec<u64> = summary.steps.iter().map(|s| s.expected_bucket_size_bytes).collect();
    assert_eq!(expected, vec![18, 27, 0, 2]);
    assert_eq!(summary.plot.samples, vec![18, 27, 0, 2], "the api saw every change");
    assert_eq!(summary.plot.max_size_bytes, Some(27));

    stack.settled().await.expect("every notification delivered");
    let (status, window) = get_json(&format!("{api}/window?window=60")).await;
    assert_eq!(status, 200);
    assert_eq!(sizes(&window["samples"]), vec![18, 27, 0, 2]);
    let (_, max) = get_json(&format!("{api}/max")).await;
    assert_eq!(max["size_bytes"], 27);

    // The plot is in the bucket, and its presigned URL serves it; a tampered one is refused.
    let client = startup::s3_client(&sdk);
    let stored =
        client.get_object().bucket(stack.bucket().as_str()).key("plots/plot.png").send().await.unwrap();
    let stored = stored.body.collect().await.unwrap().into_bytes();
    assert!(stored.starts_with(b"\x89PNG"));
    let served = reqwest::get(&summary.plot.url).await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap(), stored);
    assert!(summary.plot.key.starts_with("plots/renders/"), "{}", summary.plot.key);
    let tampered = summary.plot.url.replace(&summary.plot.key, "plots/other.png");
    assert_ne!(tampered, summary.plot.url);
    assert_eq!(reqwest::get(&tampered).await.unwrap().status(), 403);

    // Only what the scenario leaves is left: assignment2.txt (and the plot).
    assert_eq!(
        listed_totals(&client, stack.bucket().as_str()).await,
        Totals { size_bytes: 2, object_count: 1 }
    );
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn any_s3_client_is_tracked_and_history_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start_stack(dir.path(), false).await;
    let bucket = stack.bucket().clone();
    let client = startup::s3_client(&startup::local::sdk_config(&stack.s3_url()).await);
    client
        .put_object()
        .bucket(bucket.as_str())
        .key("reports/2026 Q3+final été.txt")
        .body(ByteStream::from(vec![1u8; 1_024]))
        .send()
        .await
        .unwrap();
    stack.settled().await.expect("every notification delivered");
    assert_eq!(stack.store().totals(&bucket).await.unwrap(), Totals { size_bytes: 1_024, object_count: 1 });
    stack.shutdown().await;

    let again = start_stack(dir.path(), false).await;
    let (_, max) = get_json(&format!("{}/max", again.api_url())).await;
    assert_eq!(max["size_bytes"], 1_024, "the history survived");
    assert_eq!(again.reconciled().progress.added, 0, "nothing was missed");
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn objects_that_arrived_unnotified_are_reconciled_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("s3/size-tracking-local/old")).unwrap();
    std::fs::write(dir.path().join("s3/size-tracking-local/old/file.bin"), vec![0u8; 300]).unwrap();
    let stack = start_stack(dir.path(), false).await;
    assert_eq!(stack.reconciled().progress.added, 1);
    let (_, max) = get_json(&format!("{}/max", stack.api_url())).await;
    assert_eq!(max["size_bytes"], 300);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_made_while_the_stack_was_down_are_reconciled_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start_stack(dir.path(), false).await;
    let bucket = stack.bucket().clone();
    let client = startup::s3_client(&startup::local::sdk_config(&stack.s3_url()).await);
    for (key, size) in [("a.txt", 10), ("b.txt", 200), ("c.txt", 300)] {
        let body = ByteStream::from(vec![1u8; size]);
        client.put_object().bucket(bucket.as_str()).key(key).body(body).send().await.unwrap();
    }
    client.delete_object().bucket(bucket.as_str()).key("c.txt").send().await.unwrap();
    stack.settled().await.expect("every notification delivered");
    stack.shutdown().await;

    // Behind the stack's back: one object deleted, one overwritten, a deleted one put back.
    let objects = dir.path().join("s3").join(bucket.as_str());
    std::fs::remove_file(objects.join("a.txt")).unwrap();
    std::fs::write(objects.join("b.txt"), vec![2u8; 20]).unwrap();
    std::fs::write(objects.join("c.txt"), vec![3u8; 7]).unwrap();

    let again = start_stack(dir.path(), false).await;
    let report = again.reconciled();
    assert_eq!(
        (report.progress.added, report.progress.removed, report.progress.resized),
        (1, 1, 1),
        "{report:?}"
    );
    assert_eq!((report.progress.drift_bytes, report.progress.drift_objects), (-10 + (20 - 200) + 7, 0));
    let listed = listed_totals(&client_for(&again).await, bucket.as_str()).await;
    assert_eq!(listed, Totals { size_bytes: 27, object_count: 2 });
    assert_eq!(again.store().totals(&bucket).await.unwrap(), listed);
    // The all-versions series is walked too: the endpoint lists each object as its only version.
    let versions = listed_version_totals(&client_for(&again).await, bucket.as_str()).await;
    assert_eq!(versions, listed);
    assert_eq!(again.store().totals(&Series::AllVersions.of(&bucket)).await.unwrap(), versions);
    let (_, window) = get_json(&format!("{}/window?window=60", again.api_url())).await;
    assert_eq!(sizes(&window["samples"]).last(), Some(&27), "the correction is a sample");
    again.shutdown().await;
}

async fn client_for(stack: &local::stack::RunningStack) -> aws_sdk_s3::Client {
    startup::s3_client(&startup::local::sdk_config(&stack.s3_url()).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_chaos_the_totals_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start_stack(dir.path(), true).await;
    let bucket = stack.bucket().as_str().to_owned();
    let client = startup::s3_client(&startup::local::sdk_config(&stack.s3_url()).await);
    let mut tasks = Vec::new();
    for worker in 0..4u64 {
        let client = client.clone();
        let bucket = bucket.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(worker);
            for _ in 0..250 {
                let key = format!("chaos/{}", rng.u8(0..40));
                if rng.u8(0..3) == 0 {
                    client.delete_object().bucket(&bucket).key(&key).send().await.unwrap();
                } else {
                    let body = vec![7u8; rng.usize(0..2_000)];
                    client
                        .put_object()
                        .bucket(&bucket)
                        .key(&key)
                        .body(ByteStream::from(body))
                        .send()
                        .await
                        .unwrap();
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    stack.settled().await.expect("every notification delivered");
    let tracked = stack.store().totals(stack.bucket()).await.unwrap();
    assert_eq!(tracked, listed_totals(&client, &bucket).await);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_is_one_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let error = local::stack::start(local::stack::StackConfig {
        data_dir: dir.path().to_owned(),
        s3_addr: taken.local_addr().unwrap(),
        api_addr: "127.0.0.1:0".parse().unwrap(),
        bucket: domain::BucketName::parse("size-tracking-local").unwrap(),
        chaos: false,
    })
    .await
    .err()
    .expect("the port is taken");
    assert!(error.to_string().contains(&taken.local_addr().unwrap().to_string()), "{error}");
    assert!(error.to_string().contains("in use"), "{error}");
}

/// The local endpoint checks a presigned URL's signature and its expiry, as S3 does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_presigned_plot_url_stops_working_when_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start_stack(dir.path(), false).await;
    let api = stack.api_url();
    let (status, _) = get_json(&format!("{api}/plot?window=60")).await;
    assert_eq!(status, 200, "the plot is rendered and stored");
    // Long enough to be used at once even on a busy machine; then waited out.
    let (status, presigned) = get_json(&format!("{api}/presign?key=plots/plot.png&expires=5")).await;
    let signed = std::time::Instant::now();
    assert_eq!(status, 200);
    let url = presigned["url"].as_str().unwrap().to_owned();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200, "valid while it lasts");
    tokio::time::sleep(std::time::Duration::from_millis(6_100).saturating_sub(signed.elapsed())).await;
    let expired = reqwest::get(&url).await.unwrap();
    assert_eq!(expired.status(), 403, "refused once expired");
    let body = expired.text().await.unwrap();
    assert!(body.contains("AccessDenied") || body.contains("expired"), "{body}");
    stack.shutdown().await;
}

/// A HEAD that S3 refuses (here: credentials the endpoint does not know) is a 503 naming no internals,
/// never a 404 that would claim the plot is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn presign_reports_a_refused_head_as_unavailable_not_missing() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start_stack(dir.path(), false).await;
    let (status, _) = get_json(&format!("{}/plot?window=60", stack.api_url())).await;
    assert_eq!(status, 200, "the plot exists");

    let strangers = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(startup::local::REGION))
        .endpoint_url(stack.s3_url())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "stranger",
            "wrong-secret",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    let app = api::Application::build(
        stack.store().clone(),
        startup::s3_client(&strangers),
        stack.bucket().clone(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/presign?key=plots/plot.png", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    let (status, body) = get_json(&url).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "unavailable");
    assert!(!body.to_string().contains("stranger") && !body.to_string().contains("AccessDenied"), "{body}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bucket_a_client_creates_is_tracked_with_its_own_plots_prefix_counted() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start_stack(dir.path(), false).await;
    let api = stack.api_url();
    let client = startup::s3_client(&startup::local::sdk_config(&stack.s3_url()).await);
    client.create_bucket().bucket("second-bucket").send().await.unwrap();
    let home = stack.bucket().to_string();
    // Outside the stack's own bucket, plots/ is a user's prefix like any other: it counts.
    for (bucket, key, size) in [
        ("second-bucket", "data.bin", 40),
        ("second-bucket", "plots/mine.png", 2),
        (home.as_str(), "plots/ignored.png", 9),
        (home.as_str(), "kept.txt", 5),
    ] {
        let body = ByteStream::from(vec![7u8; size]);
        client.put_object().bucket(bucket).key(key).body(body).send().await.unwrap();
    }
    stack.settled().await.expect("every notification delivered");

    let second = domain::BucketName::parse("second-bucket").unwrap();
    assert_eq!(stack.store().totals(&second).await.unwrap(), Totals { size_bytes: 42, object_count: 2 });
    let listed = client.list_objects_v2().bucket("second-bucket").send().await.unwrap();
    let sizes_listed: Vec<i64> = listed.contents().iter().filter_map(|object| object.size()).collect();
    assert_eq!(sizes_listed, [40, 2], "data.bin and plots/mine.png, as tracked");
    assert_eq!(
        stack.store().totals(stack.bucket()).await.unwrap(),
        Totals { size_bytes: 5, object_count: 1 }
    );
    let (status, max) = get_json(&format!("{api}/max?bucket=second-bucket")).await;
    assert_eq!((status, max["size_bytes"].as_u64()), (200, Some(42)), "{max}");
    let (status, window) = get_json(&format!("{api}/window?window=60&bucket=second-bucket")).await;
    assert_eq!(status, 200);
    assert_eq!(sizes(&window["samples"]).last(), Some(&42));
    stack.shutdown().await;

    // Changed while the stack was down, the second bucket is reconciled at the next start too.
    std::fs::write(dir.path().join("s3/second-bucket/offline.bin"), vec![0u8; 100]).unwrap();
    let again = start_stack(dir.path(), false).await;
    assert_eq!(again.store().totals(&second).await.unwrap(), Totals { size_bytes: 142, object_count: 3 });
    again.shutdown().await;
}
