//! A stand-in for the Lambda Runtime API on 127.0.0.1, for running a function's real binary in a test:
//! it hands out one invocation, records the function's answer, and then keeps the function waiting for
//! the next one until the test stops it.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use tokio::sync::mpsc;

/// The function's answer to the invocation: `response` or `error`, and the JSON it posted.
#[derive(Debug)]
pub struct Answer {
    pub kind: String,
    pub body: serde_json::Value,
}

#[derive(Clone)]
struct Shared {
    event: serde_json::Value,
    deadline_ms: u64,
    handed_out: Arc<Mutex<bool>>,
    answers: mpsc::UnboundedSender<Answer>,
}

const REQUEST_ID: &str = "request-1";

/// A running stand-in with one invocation to hand out.
pub struct RuntimeApi {
    address: SocketAddr,
    answers: mpsc::UnboundedReceiver<Answer>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Serves `event`, whose invocation has `time_left` before its deadline.
    pub async fn start(event: serde_json::Value, time_left: Duration) -> Self {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_millis() as u64;
        let (sender, answers) = mpsc::unbounded_channel();
        let shared = Shared {
            event,
            deadline_ms: now_ms + time_left.as_millis() as u64,
            handed_out: Arc::default(),
            answers: sender,
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("an address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { address, answers, server }
    }

    /// Starts `binary` as Lambda starts a function: the runtime's variables and `vars`, nothing else.
    pub fn launch(&self, binary: &str, vars: &[(&str, String)]) -> Function {
        self.launch_with_stderr(binary, vars, Stdio::null())
    }

    /// [`Self::launch`], the function's logs (its stderr) written to `log`.
    pub fn launch_logging_to(
        &self,
        binary: &str,
        vars: &[(&str, String)],
        log: &std::path::Path,
    ) -> Function {
        let file = std::fs::File::create(log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        self.launch_with_stderr(binary, vars, file.into())
    }

    fn launch_with_stderr(&self, binary: &str, vars: &[(&str, String)], stderr: Stdio) -> Function {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", self.address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "function")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "group")
            .stdout(Stdio::null())
            .stderr(stderr);
        for (name, value) in vars {
            command.env(name, value);
        }
        Function(command.spawn().unwrap_or_else(|e| panic!("start {binary}: {e}")))
    }

    /// The function's answer, waiting at most `limit`.
    pub async fn answer(&mut self, limit: Duration) -> Answer {
        tokio::time::timeout(limit, self.answers.recv())
            .await
            .expect("the function answers its invocation in time")
            .expect("an answer")
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A function's process, stopped however the test ends.
pub struct Function(Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn next(State(shared): State<Shared>) -> (HeaderMap, String) {
    let first = !std::mem::replace(&mut *shared.handed_out.lock().unwrap_or_else(|p| p.into_inner()), true);
    if !first {
        std::future::pending::<()>().await;
    }
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", REQUEST_ID.parse().expect("a header value"));
    headers.insert("lambda-runtime-deadline-ms", shared.deadline_ms.into());
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:function".parse().expect("a header value"),
    );
    (headers, shared.event.to_string())
}

async fn answer(
    State(shared): State<Shared>,
    Path((id, kind)): Path<(String, String)>,
    body: String,
) -> &'static str {
    assert_eq!(id, REQUEST_ID, "the answer names the invocation");
    let body = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
    let _ = shared.answers.send(Answer { kind, body });
    "{}"
}
