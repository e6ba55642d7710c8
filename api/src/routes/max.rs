use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::params::{self, Params};
use crate::state::AppState;
use crate::views::SampleView;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MaxQuery {
    /// A tracked bucket (default: the configured one): an S3 bucket name.
    #[param(
        example = "size-tracking-local",
        min_length = 3,
        max_length = 63,
        pattern = "^[a-z0-9][a-z0-9.-]*[a-z0-9]$"
    )]
    bucket: Option<String>,
}

/// The all-time max: the largest size the bucket ever had (one Query on the size index).
#[utoipa::path(get, path = "/max", tag = "history", params(MaxQuery),
    responses(
        (status = 200, description = "The sample with the largest size", body = SampleView),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "Nothing was ever recorded for the bucket", body = ErrorBody,
            example = json!({"error": "not_found", "detail": "no samples recorded for bucket size-tracking-local"})),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ))]
pub async fn get_max(
    State(state): State<AppState>,
    Params(query): Params<MaxQuery>,
) -> Result<Json<SampleView>, ApiError> {
    let bucket = params::bucket(&state, query.bucket.as_deref())?;
    match state.history().max(&bucket).await? {
        Some(sample) => Ok(Json(SampleView::from(&sample))),
        None => Err(ApiError::NotFound(format!("no samples recorded for bucket {bucket}"))),
    }
}
