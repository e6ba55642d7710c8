use axum::Json;
use axum::extract::State;
use domain::{BucketName, Window};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::params::{self, BucketQuery, Params, RequestedBucket};
use crate::points::points;
use crate::state::AppState;
use crate::views::{SampleView, WindowSummary, WindowView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// The window's length in seconds, ending now (1 … 2678400, default 10), as for `/plot`.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 2678400, example = 10)]
    window: Option<String>,
    /// The former name of `window`, still understood in this release (ignored when `window` is given).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 2678400)]
    seconds: Option<String>,
    /// The most points to answer (1 … 10000, default 1000): past it, the window is reduced per interval.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 10000, example = 1000)]
    max_points: Option<String>,
}

impl WindowQuery {
    /// The window's length, from `window` or its former name `seconds`.
    fn seconds(&self) -> Result<u64, ApiError> {
        match (self.window.as_deref(), self.seconds.as_deref()) {
            (None, Some(seconds)) => params::window_seconds("seconds", Some(seconds)),
            (window, _) => params::window_seconds("window", window),
        }
    }
}

/// A window of the history ending now: its bounds (epoch ms), the sample it opens with, and its samples.
pub(crate) struct ReadWindow {
    pub from: i64,
    pub to: i64,
    pub window: Window,
}

pub(crate) async fn read_window(
    state: &AppState,
    bucket: &BucketName,
    seconds: u64,
) -> Result<ReadWindow, ApiError> {
    read_window_ending(state, bucket, seconds, state.now_ms()).await
}

/// The window of `seconds` ending at `to` (epoch ms).
pub(crate) async fn read_window_ending(
    state: &AppState,
    bucket: &BucketName,
    seconds: u64,
    to: i64,
) -> Result<ReadWindow, ApiError> {
    let from = to - (seconds as i64) * 1000;
    let window = state.history().window(bucket, from, to).await?;
    Ok(ReadWindow { from, to, window })
}

impl ReadWindow {
    pub(crate) fn view(&self, bucket: &BucketName, seconds: u64, max_points: usize) -> WindowView {
        let (samples, interval_ms) = points(&self.window.samples, self.from, self.to, max_points);
        WindowView {
            bucket: bucket.to_string(),
            window_seconds: seconds,
            from: self.from,
            to: self.to,
            carry_in: self.window.carry_in.as_ref().map(SampleView::from),
            sample_count: self.window.samples.len() as u64,
            downsampled: interval_ms.is_some(),
            interval_ms,
            samples,
        }
    }

    /// Everything a plot of this window shows, as text: the bucket, the window and its end, the size it
    /// opens with, its samples (through the last one and their number) and the all-time max. Equal for
    /// two reads exactly when their plots are the same image.
    pub(crate) fn render_inputs(
        &self,
        bucket: &BucketName,
        seconds: u64,
        max: Option<&domain::Sample>,
        shape: &crate::plot::PlotShape,
    ) -> String {
        let sample = |s: Option<&domain::Sample>| {
            s.map_or_else(|| "-".to_owned(), |s| format!("{}:{}:{}", s.ts_ms, s.size_bytes, s.object_count))
        };
        let samples = &self.window.samples;
        // Chained over the samples' bytes: no allocation per sample, however many the window holds.
        let digest = samples.iter().fold(0u64, |hash, s| {
            let mut bytes = [0u8; 24];
            bytes[..8].copy_from_slice(&hash.to_le_bytes());
            bytes[8..16].copy_from_slice(&s.ts_ms.to_le_bytes());
            bytes[16..].copy_from_slice(&s.size_bytes.to_le_bytes());
            domain::fnv1a(&bytes)
        });
        format!(
            "v1|{bucket}|{seconds}|{}|{}|{}|{}|{digest:016x}|{}|{shape}",
            self.to,
            sample(self.window.carry_in.as_ref()),
            samples.len(),
            sample(samples.last()),
            sample(max),
        )
    }

    pub(crate) fn summary(&self) -> WindowSummary {
        let samples = &self.window.samples;
        let sizes = || self.window.carry_in.iter().chain(samples).map(|s| s.size_bytes);
        WindowSummary {
            sample_count: samples.len() as u64,
            first: samples.first().map(SampleView::from),
            last: samples.last().map(SampleView::from),
            min_size_bytes: sizes().min(),
            max_size_bytes: sizes().max(),
        }
    }
}

/// The samples of the last `window` seconds, oldest first, with the sample before the window: at most
/// `max_points` of them, else the window reduced per interval.
#[utoipa::path(get, path = "/window", tag = "history", params(WindowQuery, BucketQuery),
    responses(
        (status = 200, description = "The window's samples", body = WindowView),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "`bucket` names a bucket that is not tracked (no size history)", body = ErrorBody),
        (status = 500, description = "A stored sample is malformed", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ))]
pub async fn get_window(
    State(state): State<AppState>,
    Params(query): Params<WindowQuery>,
    RequestedBucket(bucket): RequestedBucket,
) -> Result<Json<WindowView>, ApiError> {
    let seconds = query.seconds()?;
    let max_points = params::max_points(query.max_points.as_deref())?;
    let read = read_window(&state, &bucket, seconds).await?;
    Ok(Json(read.view(&bucket, seconds, max_points)))
}
