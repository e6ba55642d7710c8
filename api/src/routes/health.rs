use axum::Json;

use crate::views::HealthView;

/// Readiness: answers as soon as the app serves (the Lambda Web Adapter waits for it).
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, description = "The app is serving", body = HealthView)))]
pub async fn healthz() -> Json<HealthView> {
    Json(HealthView { status: "ok".into() })
}
