//! The dashboard: one self-contained page (its script and styles inline, no CDN) that reads the other
//! routes. Every URL it uses is relative, so it works under a path prefix such as API Gateway's `/dev/`.

use axum::http::header;
use axum::response::IntoResponse;

/// Built into the binary: Lambda serves it with no files beside the executable.
const PAGE: &str = include_str!("../../assets/dashboard.html");

/// The dashboard: current size and object count, the all-time max and the plot of a chosen window.
///
/// One HTML page, its script and styles inline, that reads `/window`, `/max`, `/plot` and `/presign` every
/// 5 s. Its URLs are relative, so it works under a stage prefix.
#[utoipa::path(get, path = "/", tag = "service",
    responses((status = 200, description = "The dashboard page", content_type = "text/html", body = String)))]
pub async fn dashboard() -> impl IntoResponse {
    // `no-cache`: the browser revalidates, so a new deployment's page shows at once.
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], PAGE)
}
