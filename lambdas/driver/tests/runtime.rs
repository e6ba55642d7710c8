//! The driver function's binary against a stand-in of the Lambda Runtime API: `serve` takes the
//! invocation's deadline from the runtime, and a scenario that cannot finish in it comes back through
//! `/error` with its `errorType`, before anything is changed.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use tokio::sync::mpsc;

#[derive(Clone)]
struct Runtime {
    event: serde_json::Value,
    deadline_ms: u64,
    handed_out: Arc<Mutex<bool>>,
    answers: mpsc::UnboundedSender<(String, String, serde_json::Value)>,
}

async fn next(State(runtime): State<Runtime>) -> (HeaderMap, String) {
    let first = !std::mem::replace(&mut *runtime.handed_out.lock().unwrap(), true);
    if !first {
        // One invocation only: the function waits here until the test stops it.
        std::future::pending::<()>().await;
    }
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", "request-1".parse().unwrap());
    headers.insert("lambda-runtime-deadline-ms", runtime.deadline_ms.to_string().parse().unwrap());
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:driver".parse().unwrap(),
    );
    (headers, runtime.event.to_string())
}

async fn answer(
    State(runtime): State<Runtime>,
    Path((id, kind)): Path<(String, String)>,
    body: String,
) -> &'static str {
    let body = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
    let _ = runtime.answers.send((id, kind, body));
    "{}"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_that_cannot_finish_in_time_is_an_error_result() {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    let (answers, mut answered) = mpsc::unbounded_channel();
    let runtime = Runtime {
        // Four steps a minute apart cannot fit in the 30 s the deadline leaves.
        event: serde_json::json!({"sleep": "1m"}),
        deadline_ms: now_ms + 30_000,
        handed_out: Arc::default(),
        answers,
    };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
        .with_state(runtime);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let function = std::process::Command::new(env!("CARGO_BIN_EXE_driver-lambda"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "driver")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "group")
        .env("AWS_REGION", "us-east-1")
        .env("BUCKET_NAME", "scenario-bucket")
        .env("PLOT_API_URL", "http://127.0.0.1:9/dev/")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut function = KillOnDrop(function);

    let (id, kind, body) = tokio::time::timeout(Duration::from_secs(30), answered.recv())
        .await
        .expect("the function answers its invocation")
        .expect("an answer");
    let _ = function.0.kill();
    server.abort();
    assert_eq!((id.as_str(), kind.as_str()), ("request-1", "error"));
    assert_eq!(body["errorType"], "NotEnoughTime", "{body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("the scenario needs about 260 s but the invocation has"), "{message}");
    // The time left comes from the runtime's deadline: 29 or 30 s, depending on when the function read it.
    assert!(message.contains("has 29 s left") || message.contains("has 30 s left"), "{message}");
}

/// Stops the function however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
