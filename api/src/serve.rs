//! Running the app: over HTTP (locally, and in Lambda behind the Lambda Web Adapter) or as a native
//! Lambda function through `lambda_http`.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};

use axum::Router;

/// How this process serves the app, decided from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An HTTP server: locally, or in Lambda where the Web Adapter forwards to `AWS_LWA_PORT`.
    Http(SocketAddr),
    /// Lambda without the adapter: events go through `lambda_http`.
    NativeLambda,
}

impl Mode {
    /// `AWS_LWA_PORT` wins (the adapter's app port); else `AWS_LAMBDA_RUNTIME_API` means native Lambda;
    /// else `PORT` or 3000 on 127.0.0.1.
    pub fn from_env() -> Result<Self, String> {
        let port = |name: &str| -> Result<Option<u16>, String> {
            match std::env::var(name) {
                Ok(value) => value
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name}: {value:?} is not a port number")),
                Err(_) => Ok(None),
            }
        };
        if let Some(port) = port("AWS_LWA_PORT")? {
            return Ok(Self::Http(SocketAddr::from((Ipv4Addr::LOCALHOST, port))));
        }
        if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
            return Ok(Self::NativeLambda);
        }
        let port = port("PORT")?.unwrap_or(startup::local::API_PORT);
        Ok(Self::Http(SocketAddr::from((Ipv4Addr::LOCALHOST, port))))
    }
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn http(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Serves Lambda invocations (API Gateway REST and HTTP events) until the runtime stops. The REST stage
/// (`/dev`) is dropped from paths, so routes match as they do over HTTP.
pub async fn native_lambda(app: Router) -> Result<(), lambda_http::Error> {
    // lambda_http reads this once, when it converts the first event.
    if std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_none() {
        // SAFETY: set before any other thread of this process reads the environment.
        unsafe { std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true") };
    }
    lambda_http::run(app).await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
