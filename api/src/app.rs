//! The router: the documented routes (their OpenAPI spec comes from the same code), the docs, and the
//! layers every request passes through.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ErrorBody, error_response};
use crate::routes::{buckets, dashboard, docs, health, max, plot, presign, window};
use crate::state::AppState;

/// API Gateway gives up after 29 s; answer before it does.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(25);
/// Every route is a GET: a body is never needed.
const BODY_LIMIT_BYTES: usize = 16 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "s3-size-micro Plot API",
        description = "Plots an S3 bucket's tracked size over time. Sizes are bytes; times are epoch milliseconds (UTC). \
Errors are JSON `{\"error\", \"detail\"}`."
    ),
    servers((url = ".", description = "This deployment (relative, so it works under a stage prefix)")),
    tags(
        (name = "plot", description = "The rendered plot"),
        (name = "history", description = "The size history"),
        (name = "service", description = "The dashboard and health"),
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(plot::get_plot))
        .routes(routes!(window::get_window))
        .routes(routes!(max::get_max))
        .routes(routes!(presign::get_presign))
        .routes(routes!(buckets::get_buckets))
        .routes(routes!(health::healthz))
        .routes(routes!(dashboard::dashboard))
}

/// The OpenAPI document, as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().into_openapi()
}

pub(crate) fn router(state: AppState) -> Router {
    let (routes, spec) = documented_routes().split_for_parts();
    let spec_json: Arc<str> = spec.to_pretty_json().unwrap_or_else(|_| "{}".into()).into();
    routes
        .route(
            "/openapi.json",
            get(move || {
                let spec_json = Arc::clone(&spec_json);
                async move { ([(header::CONTENT_TYPE, "application/json")], spec_json.to_string()) }
            }),
        )
        .route("/docs", get(docs::docs_redirect))
        .route("/docs/", get(docs::docs_index))
        .route("/docs/{*path}", get(docs::docs_file))
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .with_state(state)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        // Outside the timeout and the body limit, so that their answers are JSON too.
        .layer(middleware::from_fn(json_errors))
        .layer(TraceLayer::new_for_http())
}

/// Errors produced outside the handlers (timeouts, body limits, wrong methods) answer in JSON too.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "requests carry no body"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "every route answers GET only"),
        StatusCode::NOT_FOUND => ("not_found", "no such route"),
        _ => ("error", status.canonical_reason().unwrap_or("error")),
    };
    let mut answer = error_response(status, code, detail);
    if let Some(allow) = response.headers().get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer.into_response()
}
