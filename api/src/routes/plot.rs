use aws_sdk_s3::primitives::ByteStream;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::params::{self, BucketQuery, DEFAULT_EXPIRES_SECONDS, Params, RequestedBucket};
use crate::plot::{PlotInput, render_png};
use crate::routes::presign::presigned_get;
use crate::routes::window::read_window;
use crate::state::AppState;
use crate::views::{PlotView, PngImage, SampleView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlotQuery {
    /// The window's length in seconds, ending now (1 … 2678400, default 10).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 2678400, example = 10)]
    window: Option<String>,
}

/// Whether the client asked for the image itself rather than JSON.
fn wants_png(headers: &HeaderMap) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("image/png") && !accept.contains("application/json")
}

/// Plots the last `window` seconds and the all-time max, stores the PNG in the bucket and links to it.
///
/// With `Accept: image/png` the answer is the image itself.
#[utoipa::path(get, path = "/plot", tag = "plot", params(PlotQuery, BucketQuery),
    responses(
        (status = 200, description = "The plot was stored; here is where", content(
            (PlotView = "application/json"),
            (PngImage = "image/png"),
        )),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "`bucket` names a bucket that is not tracked (no size history)", body = ErrorBody),
        (status = 500, description = "The plot could not be rendered, or a stored sample is malformed", body = ErrorBody),
        (status = 503, description = "The store or S3 is unavailable", body = ErrorBody),
    ))]
pub async fn get_plot(
    State(state): State<AppState>,
    headers: HeaderMap,
    Params(query): Params<PlotQuery>,
    RequestedBucket(bucket): RequestedBucket,
) -> Result<Response, ApiError> {
    let seconds = params::window_seconds("window", query.window.as_deref())?;
    let (read, max) = tokio::try_join!(read_window(&state, &bucket, seconds), async {
        state.history().max(&bucket).await.map_err(ApiError::from)
    })?;

    let points: Vec<(i64, u64)> = read.window.samples.iter().map(|s| (s.ts_ms, s.size_bytes)).collect();
    let bucket_name = bucket.to_string();
    let input_carry_in = read.window.carry_in.as_ref().map(|s| s.size_bytes);
    let max_size = max.as_ref().map(|s| s.size_bytes);
    let (from, to) = (read.from, read.to);
    let png = tokio::task::spawn_blocking(move || {
        render_png(&PlotInput {
            bucket: &bucket_name,
            window_seconds: seconds,
            from_ms: from,
            to_ms: to,
            carry_in: input_carry_in,
            samples: &points,
            max: max_size,
        })
    })
    .await
    .map_err(|e| ApiError::internal("rendering the plot", e))?
    .map_err(|e| ApiError::internal("rendering the plot", e))?;

    let key = state.config().plot_key_for(&bucket);
    state
        .s3()
        .put_object()
        .bucket(state.config().default_bucket.as_str())
        .key(key.as_str())
        .content_type("image/png")
        .body(ByteStream::from(png.clone()))
        .send()
        .await
        .map_err(|e| ApiError::unavailable("S3", e))?;

    if wants_png(&headers) {
        return Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response());
    }
    let url = presigned_get(&state, &key, DEFAULT_EXPIRES_SECONDS).await?;
    Ok(Json(PlotView {
        bucket: bucket.to_string(),
        window_seconds: seconds,
        from: read.from,
        to: read.to,
        carry_in: read.window.carry_in.as_ref().map(SampleView::from),
        summary: read.summary(),
        max: max.as_ref().map(SampleView::from),
        key: key.to_string(),
        url,
        expires_in: DEFAULT_EXPIRES_SECONDS,
    })
    .into_response())
}
