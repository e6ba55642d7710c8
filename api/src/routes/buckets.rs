use axum::Json;
use axum::extract::State;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::views::{BucketsView, TrackedBucketView};

/// The tracked buckets: each may be named by `?bucket=` on the other routes.
#[utoipa::path(get, path = "/buckets", tag = "history",
    responses(
        (status = 200, description = "The tracked buckets, the default first", body = BucketsView),
        (status = 503, description = "The list of buckets could not be read", body = ErrorBody),
    ))]
pub async fn get_buckets(State(state): State<AppState>) -> Result<Json<BucketsView>, ApiError> {
    let config = state.config();
    let names =
        config.tracked.list(&config.default_bucket).await.map_err(|e| ApiError::unavailable("S3", e))?;
    let buckets = names
        .iter()
        .map(|name| TrackedBucketView {
            name: name.to_string(),
            plot_key: config.plot_key_for(name).to_string(),
            all_versions_plot_key: config.plot_key_for(&name.all_versions()).to_string(),
        })
        .collect();
    Ok(Json(BucketsView { default: config.default_bucket.to_string(), buckets }))
}
