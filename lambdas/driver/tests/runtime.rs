//! The driver function's binary against a stand-in of the Lambda Runtime API: `serve` takes the
//! invocation's deadline from the runtime, and a scenario that cannot finish in it comes back through
//! `/error` with its `errorType`, before anything is changed.

use std::time::Duration;

use testkit::runtime_api::RuntimeApi;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_that_cannot_finish_in_time_is_an_error_result() {
    // Four steps a minute apart cannot fit in the 30 s the deadline leaves.
    let mut runtime = RuntimeApi::start(serde_json::json!({"sleep": "1m"}), Duration::from_secs(30)).await;
    let _function = runtime.launch(
        env!("CARGO_BIN_EXE_driver-lambda"),
        &[
            ("AWS_REGION", "us-east-1".into()),
            ("BUCKET_NAME", "scenario-bucket".into()),
            ("PLOT_API_URL", "http://127.0.0.1:9/dev/".into()),
        ],
    );
    let answer = runtime.answer(Duration::from_secs(30)).await;
    assert_eq!(answer.kind, "error");
    assert_eq!(answer.body["errorType"], "NotEnoughTime", "{:?}", answer.body);
    let message = answer.body["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("the scenario needs about 260 s but the invocation has"), "{message}");
    // The time left comes from the runtime's deadline: 29 or 30 s, depending on when the function read it.
    assert!(message.contains("has 29 s left") || message.contains("has 30 s left"), "{message}");
}
