use aws_sdk_s3::primitives::ByteStream;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::params::{self, BucketQuery, DEFAULT_EXPIRES_SECONDS, Params, RequestedBucket};
use crate::plot::{PlotInput, PlotShape, render_png};
use crate::routes::presign::presigned_get;
use crate::routes::window::{ReadWindow, read_window_ending};
use crate::state::{ApiConfig, AppState};
use crate::views::{PlotView, PngImage, SampleView};
use domain::{BucketName, ObjectKey, Sample};

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
/// The window ends on the next whole second, and the PNG is stored under a name made of what it shows
/// (`plots/renders/<hash>.png`), so identical requests render once and share it; each new render is also
/// the bucket's latest plot (`plots/plot.png`). With `Accept: image/png` the answer is the image itself.
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
    let shape = PlotShape::default();
    let to = (state.now_ms().div_euclid(RENDER_END_MS) + 1) * RENDER_END_MS;
    let (read, max) = tokio::try_join!(read_window_ending(&state, &bucket, seconds, to), async {
        state.history().max(&bucket).await.map_err(ApiError::from)
    })?;
    let render_key = ApiConfig::render_key(&read.render_inputs(&bucket, seconds, max.as_ref(), &shape));
    if !wants_png(&headers) && stored(&state, &render_key).await? {
        // The same image was rendered before: share it.
        return plot_answer(&state, &bucket, seconds, &read, max.as_ref(), &render_key).await;
    }

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
            shape,
        })
    })
    .await
    .map_err(|e| ApiError::internal("rendering the plot", e))?
    .map_err(|e| ApiError::internal("rendering the plot", e))?;

    // The render under its own name, and the bucket's latest plot.
    let latest_key = state.config().plot_key_for(&bucket);
    tokio::try_join!(put_png(&state, &render_key, &png), put_png(&state, &latest_key, &png))?;
    if wants_png(&headers) {
        return Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response());
    }
    plot_answer(&state, &bucket, seconds, &read, max.as_ref(), &render_key).await
}

/// A plot's window ends on the next whole second: requests for the same window within one second show the
/// same image, rendered once (a sample recorded in between changes what the image shows, and so its name).
const RENDER_END_MS: i64 = 1_000;

async fn put_png(state: &AppState, key: &ObjectKey, png: &[u8]) -> Result<(), ApiError> {
    state
        .s3()
        .put_object()
        .bucket(state.config().default_bucket.as_str())
        .key(key.as_str())
        .content_type("image/png")
        .body(ByteStream::from(png.to_vec()))
        .send()
        .await
        .map(drop)
        .map_err(|e| ApiError::unavailable("S3", e))
}

/// Whether `key` is stored in the plots' bucket. S3 answers a missing key with 403 to a caller it does
/// not let list the bucket; here that only means rendering again (a write that is refused still fails).
async fn stored(state: &AppState, key: &ObjectKey) -> Result<bool, ApiError> {
    let bucket = state.config().default_bucket.as_str();
    match state.s3().head_object().bucket(bucket).key(key.as_str()).send().await {
        Ok(_) => Ok(true),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(false),
        Err(error) if error.raw_response().is_some_and(|r| r.status().as_u16() == 403) => Ok(false),
        Err(error) => Err(ApiError::unavailable("S3", error)),
    }
}

async fn plot_answer(
    state: &AppState,
    bucket: &BucketName,
    seconds: u64,
    read: &ReadWindow,
    max: Option<&Sample>,
    key: &ObjectKey,
) -> Result<Response, ApiError> {
    let url = presigned_get(state, key, DEFAULT_EXPIRES_SECONDS).await?;
    Ok(Json(PlotView {
        bucket: bucket.to_string(),
        window_seconds: seconds,
        from: read.from,
        to: read.to,
        carry_in: read.window.carry_in.as_ref().map(SampleView::from),
        summary: read.summary(),
        max: max.map(SampleView::from),
        key: key.to_string(),
        url,
        expires_in: DEFAULT_EXPIRES_SECONDS,
    })
    .into_response())
}
