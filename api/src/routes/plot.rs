use aws_sdk_s3::primitives::ByteStream;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::params::{self, BucketQuery, DEFAULT_EXPIRES_SECONDS, Params, RequestedBucket};
use crate::plot::{PlotInput, PlotShape, Scale, render_png};
use crate::routes::presign::presigned_get;
use crate::routes::window::{ReadWindow, read_window_ending};
use crate::state::{ApiConfig, AppState};
use crate::views::{PlotView, PngImage, SampleView};
use domain::{BucketName, ObjectKey, Sample, Series};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlotQuery {
    /// The window's length in seconds, ending now (1 … 2678400, default 10).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 2678400, example = 10)]
    window: Option<String>,
    /// The image's width in pixels (320 … 2000, default 1000).
    #[param(value_type = Option<u32>, minimum = 320, maximum = 2000, example = 1000)]
    width: Option<String>,
    /// The image's height in pixels (200 … 1200, default 600).
    #[param(value_type = Option<u32>, minimum = 200, maximum = 1200, example = 600)]
    height: Option<String>,
    /// Image pixels per CSS pixel of the screen the plot is shown on (1 … 4, default 1), as
    /// `window.devicePixelRatio` rounded: text and lines are sized for the image as it is seen, so that a
    /// phone's `width=990&dpr=3` reads like `width=330`.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 4, example = 1)]
    dpr: Option<String>,
    /// The size axis: `fitted` (default) runs from the window's smallest size to its largest, so that
    /// changes of a few bytes show, and marks the all-time max at the top edge when it lies above;
    /// `zero` runs from 0 to the all-time max.
    #[param(inline, value_type = Option<Scale>, example = "fitted")]
    scale: Option<String>,
}

impl PlotQuery {
    fn shape(&self) -> Result<PlotShape, ApiError> {
        Ok(PlotShape {
            width: params::plot_width(self.width.as_deref())?,
            height: params::plot_height(self.height.as_deref())?,
            pixel_ratio: params::plot_pixel_ratio(self.dpr.as_deref())?,
            scale: params::plot_scale(self.scale.as_deref())?,
        })
    }
}

/// What `/plot` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Where the stored image is, as JSON.
    Json,
    /// The image itself.
    Png,
}

/// The answer the `Accept` header prefers, by its q-values: the image when it ranks PNG above JSON (or
/// names PNG more exactly at the same rank, as `image/png, */*` does), JSON when it ranks them alike or
/// is missing, and none when it admits neither.
fn negotiate(accept: Option<&str>) -> Option<Answer> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else { return Some(Answer::Json) };
    let json = acceptance(accept, "application", "json");
    let png = acceptance(accept, "image", "png");
    match (json, png) {
        ((0, _), (0, _)) => None,
        ((json_q, json_exact), (png_q, png_exact)) if (png_q, png_exact) > (json_q, json_exact) => {
            Some(Answer::Png)
        }
        _ => Some(Answer::Json),
    }
}

/// How much `accept` admits `kind/sub`: the q-value (in thousandths) of the most exact media range that
/// matches it, and how exact that range is (2 for `kind/sub`, 1 for `kind/*`, 0 for `*/*`). Ranges that
/// cannot be read are passed over.
fn acceptance(accept: &str, kind: &str, sub: &str) -> (u16, u8) {
    accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let (range_kind, range_sub) = parts.next()?.trim().split_once('/')?;
            let exact = match (range_kind.trim(), range_sub.trim()) {
                (k, s) if k.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(sub) => 2,
                (k, "*") if k.eq_ignore_ascii_case(kind) => 1,
                ("*", "*") => 0,
                _ => return None,
            };
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
                .map_or(Some(1000), |(_, value)| quality(value.trim()))?;
            Some((exact, q))
        })
        .max_by_key(|&(exact, _)| exact)
        .map_or((0, 0), |(exact, q)| (q, exact))
}

/// A q-value (`0`, `0.5`, `1.000`) in thousandths.
fn quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

fn accept_header(headers: &HeaderMap) -> Option<String> {
    let values: Vec<&str> = headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// Plots the last `window` seconds and the all-time max, stores the PNG in the bucket and links to it.
///
/// The window ends on the next whole second, and the PNG is stored under a name made of what it shows
/// (`plots/renders/<hash>.png`), so identical requests render once and share it; each new render is also
/// the bucket's latest plot (`plots/plot.png`). `width`, `height`, `dpr` and `scale` shape the image (and are part
/// of its name). With `Accept: image/png` the answer is the image itself; an `Accept` header that admits
/// neither JSON nor PNG is answered 406.
#[utoipa::path(get, path = "/plot", tag = "plot", params(PlotQuery, BucketQuery),
    responses(
        (status = 200, description = "The plot was stored; here is where", content(
            (PlotView = "application/json"),
            (PngImage = "image/png"),
        )),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "`bucket` names a bucket that is not tracked (not listed by `/buckets`, no size history)", body = ErrorBody),
        (status = 406, description = "The `Accept` header admits neither `application/json` nor `image/png`", body = ErrorBody),
        (status = 500, description = "The plot could not be rendered, or a stored sample is malformed", body = ErrorBody),
        (status = 503, description = "The store or S3 is unavailable", body = ErrorBody),
    ))]
pub async fn get_plot(
    State(state): State<AppState>,
    headers: HeaderMap,
    Params(query): Params<PlotQuery>,
    RequestedBucket(bucket): RequestedBucket,
) -> Result<Response, ApiError> {
    let answer = negotiate(accept_header(&headers).as_deref()).ok_or_else(|| {
        ApiError::NotAcceptable("the plot is answered as application/json or image/png".to_owned())
    })?;
    let seconds = params::window_seconds("window", query.window.as_deref())?;
    let shape = query.shape()?;
    let to = (state.now_ms().div_euclid(RENDER_END_MS) + 1) * RENDER_END_MS;
    let (read, max) =
        tokio::try_join!(read_window_ending(&state, &bucket, seconds, to, shape.columns()), async {
            state.history().max(&bucket).await.map_err(ApiError::from)
        })?;
    let render_key = ApiConfig::render_key(&read.render_inputs(&bucket, seconds, max.as_ref(), &shape));
    if answer == Answer::Json && stored(&state, &render_key).await? {
        // The same image was rendered before: share it.
        return plot_answer(&state, &bucket, seconds, &read, max.as_ref(), &render_key).await;
    }

    let points = read.plot_points();
    let bucket_name = Series::label(&bucket);
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
    if answer == Answer::Png {
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
    let (bucket, series) = Series::split(bucket);
    Ok(Json(PlotView {
        bucket: bucket.to_string(),
        series,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_unless_the_image_ranks_higher() {
        for accept in [None, Some(""), Some("*/*"), Some("application/json"), Some("application/*")] {
            assert_eq!(negotiate(accept), Some(Answer::Json), "{accept:?}");
        }
        assert_eq!(negotiate(Some("application/json, image/png")), Some(Answer::Json), "alike: JSON");
        assert_eq!(negotiate(Some("text/html,application/xhtml+xml,*/*;q=0.8")), Some(Answer::Json));
    }

    #[test]
    fn the_image_when_asked_for_first() {
        for accept in [
            "image/png",
            "image/*",
            "image/png, */*",
            "IMAGE/PNG",
            "application/json;q=0.5, image/png",
            "image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
        ] {
            assert_eq!(negotiate(Some(accept)), Some(Answer::Png), "{accept}");
        }
    }

    #[test]
    fn nothing_when_neither_is_admitted() {
        for accept in ["text/html", "text/*", "image/png;q=0, application/json;q=0", "*/*;q=0", "garbage"] {
            assert_eq!(negotiate(Some(accept)), None, "{accept}");
        }
        // The most exact range decides: */* admits the rest, not what is refused by name.
        assert_eq!(negotiate(Some("application/json;q=0, */*")), Some(Answer::Png));
    }

    #[test]
    fn unreadable_q_values_pass_the_range_over() {
        assert_eq!(quality("0.5"), Some(500));
        assert_eq!(quality("1"), Some(1000));
        assert_eq!(quality("1.5"), None);
        assert_eq!(quality("0.1234"), None);
        assert_eq!(negotiate(Some("image/png;q=high, application/json;q=0.1")), Some(Answer::Json));
    }
}
