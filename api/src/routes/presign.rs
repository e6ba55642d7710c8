use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use axum::Json;
use axum::extract::State;
use domain::ObjectKey;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::params::{self, Params};
use crate::state::AppState;
use crate::views::PresignView;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PresignQuery {
    /// An object under the plots prefix (default: the plot).
    #[param(example = "plots/plot.png", min_length = 1, max_length = 1024)]
    key: Option<String>,
    /// Seconds the URL stays valid (1 … 3600, default 300).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 3600, example = 300)]
    expires: Option<String>,
}

/// A presigned GET URL for `key` in the configured bucket.
pub(crate) async fn presigned_get(
    state: &AppState,
    key: &ObjectKey,
    expires: u64,
) -> Result<String, ApiError> {
    let config = PresigningConfig::expires_in(Duration::from_secs(expires))
        .map_err(|e| ApiError::invalid("expires", e.to_string()))?;
    let request = state
        .s3()
        .get_object()
        .bucket(state.config().default_bucket.as_str())
        .key(key.as_str())
        .presigned(config)
        .await
        .map_err(|e| ApiError::unavailable("S3", e))?;
    Ok(request.uri().to_owned())
}

/// A presigned GET URL for an object under the plots prefix, if the object exists.
#[utoipa::path(get, path = "/presign", tag = "plot", params(PresignQuery),
    responses(
        (status = 200, description = "A presigned GET URL", body = PresignView),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 403, description = "The key is outside the plots prefix", body = ErrorBody,
            example = json!({"error": "forbidden", "detail": "only keys under plots/ can be presigned"})),
        (status = 404, description = "No such object", body = ErrorBody),
        (status = 503, description = "S3 is unavailable", body = ErrorBody),
    ))]
pub async fn get_presign(
    State(state): State<AppState>,
    Params(query): Params<PresignQuery>,
) -> Result<Json<PresignView>, ApiError> {
    let key = params::plot_object_key(query.key.as_deref())?;
    let expires = params::expires_seconds(query.expires.as_deref())?;
    let bucket = state.config().default_bucket.as_str();
    match state.s3().head_object().bucket(bucket).key(key.as_str()).send().await {
        Ok(_) => {}
        Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => {
            return Err(ApiError::NotFound(format!("no object {key} in bucket {bucket}")));
        }
        Err(error) => return Err(ApiError::unavailable("S3", error)),
    }
    let url = presigned_get(&state, &key, expires).await?;
    Ok(Json(PresignView { bucket: bucket.to_owned(), key: key.to_string(), url, expires_in: expires }))
}
