use axum::Json;
use axum::extract::State;
use domain::Series;

use crate::error::{ApiError, ErrorBody};
use crate::params::{BucketQuery, RequestedBucket};
use crate::state::AppState;
use crate::views::SampleView;

/// The all-time max: the largest size the bucket ever had (one Query on the size index).
#[utoipa::path(get, path = "/max", tag = "history", params(BucketQuery),
    responses(
        (status = 200, description = "The sample with the largest size", body = SampleView),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "Nothing was ever recorded for the bucket", body = ErrorBody,
            example = json!({"error": "not_found", "detail": "no samples recorded for bucket size-tracking-local"})),
        (status = 500, description = "A stored sample is malformed", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ))]
pub async fn get_max(
    State(state): State<AppState>,
    RequestedBucket(bucket): RequestedBucket,
) -> Result<Json<SampleView>, ApiError> {
    match state.history().max(&bucket).await? {
        Some(sample) => Ok(Json(SampleView::from(&sample))),
        None => Err(ApiError::NotFound(format!("no samples recorded for bucket {}", Series::label(&bucket)))),
    }
}
