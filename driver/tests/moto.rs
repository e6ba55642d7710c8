//! Runs against S3 on moto (`MOTO_ENDPOINT`) and a real HTTP server standing in for the Plot API.

mod common;

use std::process::{Command, Output};

use common::{Behaviour, FakeApi};
use driver::plot_api::ApiSample;
use driver::{DriverError, Progress, Scenario, Step, Totals};

fn totals(size_bytes: u64, object_count: u64) -> Totals {
    Totals { size_bytes, object_count }
}

/// The classic scenario on an empty bucket: after each step the bucket really holds what the step report
/// says (18, 27, 0, 2 bytes); the api is answered with those sizes as samples; only assignment2.txt stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_scenario_on_an_empty_bucket() {
    let client = common::moto_client().await;
    let bucket = common::new_bucket(&client).await;
    let api = FakeApi::start(client.clone(), Behaviour::Plot, "").await;
    let options = common::options(&bucket, &api.base, Scenario::classic());

    let mut observed = Vec::new();
    let mut lines = Vec::new();
    let summary =
        driver::run(&common::moto_s3().await, &driver::AuthContext::default(), &options, |progress| {
            lines.extend(progress.lines());
            if let Progress::Step { report, .. } = progress {
                // What the bucket holds right now, while the driver sleeps; recorded as the api's sample.
                let actual = tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(common::tracked_totals(&client, &bucket))
                });
                observed.push((report.expected(), actual));
                api.samples.lock().unwrap().push(ApiSample {
                    ts: common::now_ms(),
                    size_bytes: actual.size_bytes,
                    object_count: actual.object_count,
                });
            }
        })
        .await
        .expect("the run succeeds");

    let expected = [totals(18, 1), totals(27, 1), totals(0, 0), totals(2, 1)];
    assert_eq!(observed.iter().map(|(expected, _)| *expected).collect::<Vec<_>>(), expected);
    assert_eq!(observed.iter().map(|(_, actual)| *actual).collect::<Vec<_>>(), expected);

    assert_eq!(summary.bucket, bucket);
    assert_eq!(summary.before, totals(0, 0));
    let steps: Vec<_> =
        summary.steps.iter().map(|s| (s.action.as_str(), s.key.as_str(), s.size_bytes)).collect();
    assert_eq!(
        steps,
        [
            ("put", "assignment1.txt", Some(18)),
            ("put", "assignment1.txt", Some(27)),
            ("delete", "assignment1.txt", None),
            ("put", "assignment2.txt", Some(2)),
        ]
    );
    assert_eq!(summary.plot.samples, [18, 27, 0, 2]);
    assert_eq!(summary.plot.max_size_bytes, Some(27));
    assert_eq!(summary.plot.key, "plots/plot.png");
    assert_eq!(summary.plot.window_seconds, 10);
    assert!(summary.plot.url.contains("plots/plot.png"), "{}", summary.plot.url);

    let left = common::listing(&client, &bucket).await;
    let tracked: Vec<_> = left.iter().filter(|(key, _)| !key.starts_with("plots/")).collect();
    assert_eq!(tracked, [&("assignment2.txt".to_owned(), 2)]);
    assert_eq!(common::body(&client, &bucket, "assignment2.txt").await, "33");

    assert_eq!(lines.len(), 7, "{lines:#?}");
    assert!(
        lines[1].contains("put assignment1.txt (18 B) → bucket should hold 18 B in 1 object"),
        "{}",
        lines[1]
    );
    assert!(
        lines[3].contains("delete assignment1.txt → bucket should hold 0 B in 0 objects"),
        "{}",
        lines[3]
    );
    assert!(lines[5].starts_with("plot: http://s3.invalid/"), "{}", lines[5]);
    assert!(lines[6].contains("18 B, 27 B, 0 B, 2 B; all-time max 27 B"), "{}", lines[6]);
    assert_eq!(
        api.requests(),
        [
            format!("/plot?window=10&bucket={bucket}"),
            format!("/window?window=10&bucket={bucket}&max_points=10000")
        ]
    );
    common::delete_bucket(&client, &bucket).await;
}

/// Objects already in the bucket count in the baseline (keys under plots/ do not), and overwriting or
/// deleting one of them changes the expected totals by its real size.
#[tokio::test]
async fn baseline_counts_existing_objects_and_prefix_applies() {
    let client = common::moto_client().await;
    let bucket = common::new_bucket(&client).await;
    common::put(&client, &bucket, "keep.txt", "12345").await;
    common::put(&client, &bucket, "runs/1/old.txt", "0123456789").await;
    common::put(&client, &bucket, "plots/plot.png", "ignored, the api's own").await;
    let api = FakeApi::start(client.clone(), Behaviour::Plot, "").await;
    let steps = vec![Step::put("old.txt", "abc"), Step::put("new.txt", "hello"), Step::delete("old.txt")];
    let options = common::options(&bucket, &api.base, Scenario::new("runs/1/", steps).unwrap());

    let summary = driver::run(&common::moto_s3().await, &driver::AuthContext::default(), &options, |_| {})
        .await
        .unwrap();

    assert_eq!(summary.before, totals(15, 2));
    let after: Vec<_> = summary.steps.iter().map(|s| (s.key.as_str(), s.expected())).collect();
    assert_eq!(
        after,
        [
            ("runs/1/old.txt", totals(8, 2)),
            ("runs/1/new.txt", totals(13, 3)),
            ("runs/1/old.txt", totals(10, 2))
        ]
    );
    let actual = common::tracked_totals(&client, &bucket).await;
    assert_eq!(actual, summary.steps.last().unwrap().expected());
    // The stand-in answers one sample from the listing when none were recorded.
    assert_eq!(summary.plot.samples, [10]);
    common::delete_bucket(&client, &bucket).await;
}

/// The api reached through a stage path, given with and without the trailing slash: `{base}/plot`, never
/// `//plot`.
#[tokio::test]
async fn api_url_with_a_stage_path_joins_with_one_slash() {
    let client = common::moto_client().await;
    let bucket = common::new_bucket(&client).await;
    let api = FakeApi::start(client.clone(), Behaviour::Plot, "/dev").await;
    let scenario = Scenario::new("", vec![Step::put("a.txt", "x")]).unwrap();

    for base in [format!("{}/", api.base), api.base.clone()] {
        let options = common::options(&bucket, &base, scenario.clone());
        let summary =
            driver::run(&common::moto_s3().await, &driver::AuthContext::default(), &options, |_| {})
                .await
                .unwrap();
        assert_eq!(summary.plot.samples, [1]);
    }
    let asked = [
        format!("/dev/plot?window=10&bucket={bucket}"),
        format!("/dev/window?window=10&bucket={bucket}&max_points=10000"),
    ];
    assert_eq!(api.requests(), [asked.clone(), asked].concat());
    common::delete_bucket(&client, &bucket).await;
}

/// Nothing listens at the api's address: the run fails before it changes the bucket.
#[tokio::test]
async fn unreachable_api_fails_before_any_change() {
    let client = common::moto_client().await;
    let bucket = common::new_bucket(&client).await;
    let base = format!("http://127.0.0.1:{}", common::closed_port());
    let options = common::options(&bucket, &base, Scenario::classic());

    let error = driver::run(&common::moto_s3().await, &driver::AuthContext::default(), &options, |_| {})
        .await
        .unwrap_err();

    assert!(matches!(error, DriverError::ApiUnreachable { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("cannot reach the Plot API at {base}: connection refused — is `cargo run` running?")
    );
    assert_eq!(error.kind(), "PlotApiUnreachable");
    assert!(common::listing(&client, &bucket).await.is_empty());
    common::delete_bucket(&client, &bucket).await;
}

/// The api answers 503: the error names the status and the api's own text; the steps stay as taken.
#[tokio::test]
async fn api_error_status_names_status_and_text() {
    let client = common::moto_client().await;
    let bucket = common::new_bucket(&client).await;
    let api = FakeApi::start(client.clone(), Behaviour::Unavailable, "").await;
    let options = common::options(&bucket, &api.base, Scenario::classic());

    let error = driver::run(&common::moto_s3().await, &driver::AuthContext::default(), &options, |_| {})
        .await
        .unwrap_err();

    assert!(matches!(error, DriverError::ApiStatus { status: 503, .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the Plot API answered 503: store unavailable (the history store did not answer)"
    );
    let left: Vec<_> = common::listing(&client, &bucket).await.into_iter().map(|(key, _)| key).collect();
    assert_eq!(left, ["assignment2.txt"]);
    common::delete_bucket(&client, &bucket).await;
}

#[tokio::test]
async fn missing_bucket_is_named_with_its_endpoint() {
    let client = common::moto_client().await;
    let bucket = testkit::unique_name("absent");
    let api = FakeApi::start(client.clone(), Behaviour::Plot, "").await;
    let options = common::options(&bucket, &api.base, Scenario::classic());

    let error = driver::run(&common::moto_s3().await, &driver::AuthContext::default(), &options, |_| {})
        .await
        .unwrap_err();

    assert!(matches!(error, DriverError::BucketMissing { .. }), "{error:?}");
    let endpoint = testkit::moto_endpoint();
    assert_eq!(
        error.to_string(),
        format!("bucket {bucket} does not exist at {}", endpoint.trim_end_matches('/'))
    );
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn unreachable_s3_endpoint_is_named() {
    let endpoint = format!("http://127.0.0.1:{}", common::closed_port());
    let s3 = driver::S3::new(&testkit::sdk_config_for(&endpoint).await);
    let options = common::options("some-bucket", "http://127.0.0.1:9", Scenario::classic());

    let error = driver::run(&s3, &driver::AuthContext::default(), &options, |_| {}).await.unwrap_err();

    assert!(matches!(error, DriverError::S3Unreachable { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("cannot reach S3 at {endpoint}: connection refused — is `cargo run` running?")
    );
}

/// The Lambda handler: options from the event, bucket and api from the environment, the same summary.
#[tokio::test]
async fn lambda_handler_runs_the_event_scenario() {
    let client = common::moto_client().await;
    let bucket = common::new_bucket(&client).await;
    let api = FakeApi::start(client.clone(), Behaviour::Plot, "/dev").await;
    let env = driver::LambdaEnv {
        bucket: Some(bucket.clone()),
        api_url: Some(format!("{}/", api.base)),
        ..Default::default()
    };
    let event = serde_json::json!({
        "sleep_ms": 10,
        "window": 30,
        "prefix": "lambda/",
        "steps": [{"put": {"key": "a.txt", "body": "hello"}}, {"put": {"key": "b.txt", "body": "hi"}}, {"delete": "a.txt"}],
    });

    let summary =
        driver::lambda::handle(&common::moto_s3().await, &driver::AuthContext::default(), &env, event, None)
            .await
            .unwrap();

    let sizes: Vec<_> = summary.steps.iter().map(|s| s.expected_bucket_size_bytes).collect();
    assert_eq!(sizes, [5, 7, 2]);
    assert_eq!(summary.plot.window_seconds, 30);
    assert_eq!(summary.plot.samples, [2]);
    assert_eq!(
        api.requests(),
        [
            format!("/dev/plot?window=30&bucket={bucket}"),
            format!("/dev/window?window=30&bucket={bucket}&max_points=10000")
        ]
    );
    let left: Vec<_> = common::listing(&client, &bucket).await.into_iter().map(|(key, _)| key).collect();
    assert_eq!(left, ["lambda/b.txt", "plots/plot.png"]);

    // Errors are the invocation's error result, typed by kind.
    let no_api = driver::LambdaEnv { bucket: Some(bucket.clone()), api_url: None, ..Default::default() };
    let error = driver::lambda::handle(
        &common::moto_s3().await,
        &driver::AuthContext::default(),
        &no_api,
        serde_json::Value::Null,
        None,
    )
    .await
    .unwrap_err();
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "BadSetting");
    assert_eq!(diagnostic.error_message, "bad setting PLOT_API_URL: not set");

    // A scenario that cannot finish in the time left is refused before it changes anything.
    let before = common::listing(&client, &bucket).await;
    let requests_before = api.requests().len();
    let error = driver::lambda::handle(
        &common::moto_s3().await,
        &driver::AuthContext::default(),
        &env,
        serde_json::json!({"sleep": "1m"}),
        Some(std::time::Duration::from_secs(120)),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, DriverError::NotEnoughTime { needed_s: 260, left_s: 120 }), "{error:?}");
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "NotEnoughTime");
    assert_eq!(common::listing(&client, &bucket).await, before, "the bucket is as it was");
    assert_eq!(api.requests().len(), requests_before, "the api was not asked");
    common::delete_bucket(&client, &bucket).await;
}

/// Runs the built binary with `args`, the AWS and driver variables cleared, while the test's runtime
/// keeps serving the stand-in api.
async fn driver_binary(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_driver"));
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ENDPOINT_URL",
            "AWS_LAMBDA_RUNTIME_API",
            "PLOT_API_URL",
            "BUCKET_NAME",
            "DRIVER_ENDPOINT_URL",
            "RUST_LOG",
        ] {
            command.env_remove(name);
        }
        command.args(args).output().expect("run the driver binary")
    })
    .await
    .unwrap()
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

/// `--json`: one JSON document on stdout, nothing else, exit code 0.
#[tokio::test]
async fn cli_json_summary_shape() {
    let client = common::moto_client().await;
    let bucket = common::new_bucket(&client).await;
    let api = FakeApi::start(client.clone(), Behaviour::Plot, "").await;
    let endpoint = testkit::moto_endpoint();

    let output = driver_binary(args(&[
        "--json",
        "--endpoint-url",
        &endpoint,
        "--api-url",
        &api.base,
        "--bucket",
        &bucket,
        "--sleep",
        "10ms",
    ]))
    .await;

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let mut keys: Vec<_> = summary.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["before", "bucket", "plot", "steps"]);
    assert_eq!(summary["bucket"], bucket.as_str());
    assert_eq!(summary["before"], serde_json::json!({"size_bytes": 0, "object_count": 0}));
    assert_eq!(
        summary["steps"][0],
        serde_json::json!({"action": "put", "key": "assignment1.txt", "size_bytes": 18,
                           "expected_bucket_size_bytes": 18, "expected_object_count": 1})
    );
    assert_eq!(summary["steps"][2]["size_bytes"], serde_json::Value::Null);
    let sizes: Vec<_> = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["expected_bucket_size_bytes"].clone())
        .collect();
    assert_eq!(sizes, [18, 27, 0, 2]);
    let mut plot_keys: Vec<_> = summary["plot"].as_object().unwrap().keys().cloned().collect();
    plot_keys.sort();
    assert_eq!(
        plot_keys,
        ["carry_in_size_bytes", "expires_in", "key", "max_size_bytes", "samples", "url", "window_seconds"]
    );
    assert_eq!(summary["plot"]["samples"], serde_json::json!([2]));
    assert_eq!(summary["plot"]["expires_in"], 300);
    common::delete_bucket(&client, &bucket).await;
}

/// Without `--json`: the progress lines, one per step, then the plot URL and the samples.
#[tokio::test]
async fn cli_progress_lines() {
    let client = common::moto_client().await;
    let bucket = common::new_bucket(&client).await;
    let api = FakeApi::start(client.clone(), Behaviour::Plot, "").await;
    let endpoint = testkit::moto_endpoint();

    let output = driver_binary(args(&[
        "--endpoint-url",
        &endpoint,
        "--api-url",
        &api.base,
        "--bucket",
        &bucket,
        "--sleep",
        "10ms",
        "--prefix",
        "p/",
        "--step",
        "put:x.txt=a=b",
        "--step",
        "delete:x.txt",
    ]))
    .await;

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<_> = stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            format!(
                "bucket {bucket} holds 0 B in 0 objects (keys under plots/ not counted); 2 steps, 10ms apart"
            ),
            "[1/2] put p/x.txt (3 B) → bucket should hold 3 B in 1 object".to_owned(),
            "[2/2] delete p/x.txt → bucket should hold 0 B in 0 objects".to_owned(),
        ]
    );
    assert!(lines[3].starts_with("plot: http://s3.invalid/"), "{stdout}");
    assert_eq!(lines[4], "samples the api saw in the last 10 s: 0 B; all-time max 0 B");
    assert_eq!(lines.len(), 5);
    common::delete_bucket(&client, &bucket).await;
}

/// A failed run: one clear line on stderr, exit code 1. Bad flags: exit code 2.
#[tokio::test]
async fn cli_exit_codes() {
    let client = common::moto_client().await;
    let bucket = common::new_bucket(&client).await;
    let endpoint = testkit::moto_endpoint();
    let base = format!("http://127.0.0.1:{}", common::closed_port());

    let output =
        driver_binary(args(&["--endpoint-url", &endpoint, "--api-url", &base, "--bucket", &bucket])).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!("error: cannot reach the Plot API at {base}: connection refused — is `cargo run` running?\n")
    );

    for bad in
        [&["--window", "0"][..], &["--sleep", "16m"], &["--step", "put:plots/x=1"], &["--step", "move:a"]]
    {
        let output = driver_binary(args(bad)).await;
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
    }
    common::delete_bucket(&client, &bucket).await;
}
