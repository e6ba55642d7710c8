use axum::Json;
use axum::extract::State;
use domain::rollup::ReducedWindow;
use domain::{BucketName, Series};
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

/// A window of the history: its bounds (epoch ms), the sample it opens with, and its spans.
pub(crate) struct ReadWindow {
    pub from: i64,
    pub to: i64,
    pub window: ReducedWindow,
}

/// The window of `seconds` ending at `to` (epoch ms), read for `points` points.
pub(crate) async fn read_window_ending(
    state: &AppState,
    bucket: &BucketName,
    seconds: u64,
    to: i64,
    points: usize,
) -> Result<ReadWindow, ApiError> {
    let from = to - (seconds as i64) * 1000;
    let window = state.history().reduced_window(bucket, from, to, points).await?;
    Ok(ReadWindow { from, to, window })
}

impl ReadWindow {
    /// A window of at most `max_points` samples answers each of them: where rollups joined some, they are
    /// read again one by one (no more than `max_points` of them).
    pub(crate) async fn exact_when_few(
        &mut self,
        state: &AppState,
        bucket: &BucketName,
        max_points: usize,
    ) -> Result<(), ApiError> {
        let spans = &self.window.spans;
        if self.window.sample_count() <= max_points as u64 && !spans.iter().all(|span| span.is_single()) {
            let samples = state.history().samples(bucket, self.from, self.to).await?;
            self.window.spans = samples.iter().map(domain::rollup::Span::of).collect();
            self.window.level_ms = None;
        }
        Ok(())
    }

    pub(crate) fn view(&self, bucket: &BucketName, seconds: u64, max_points: usize) -> WindowView {
        let (samples, interval_ms) = points(&self.window, self.from, self.to, max_points);
        let (bucket, series) = Series::split(bucket);
        WindowView {
            bucket: bucket.to_string(),
            series,
            window_seconds: seconds,
            from: self.from,
            to: self.to,
            carry_in: self.window.carry_in.as_ref().map(SampleView::from),
            sample_count: self.window.sample_count(),
            downsampled: interval_ms.is_some(),
            interval_ms,
            samples,
        }
    }

    /// Everything a plot of this window shows, as text: the bucket, the window and its end, the size it
    /// opens with, its spans (through the last one and their number) and the all-time max. Equal for two
    /// reads exactly when their plots are the same image.
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
        let spans = &self.window.spans;
        // Chained over the spans' bytes: no allocation per span, however many the window holds.
        let digest = spans.iter().fold(0u64, |hash, s| {
            let mut bytes = [0u8; 48];
            bytes[..8].copy_from_slice(&hash.to_le_bytes());
            bytes[8..16].copy_from_slice(&s.first.ts_ms.to_le_bytes());
            bytes[16..24].copy_from_slice(&s.last.ts_ms.to_le_bytes());
            bytes[24..32].copy_from_slice(&s.last.size_bytes.to_le_bytes());
            bytes[32..40].copy_from_slice(&s.min_size_bytes.to_le_bytes());
            bytes[40..].copy_from_slice(&s.max_size_bytes.to_le_bytes());
            domain::fnv1a(&bytes)
        });
        format!(
            "v2|{bucket}|{seconds}|{}|{}|{}|{}|{digest:016x}|{}|{shape}",
            self.to,
            sample(self.window.carry_in.as_ref()),
            self.window.sample_count(),
            sample(spans.last().map(|s| &s.last)),
            sample(max),
        )
    }

    pub(crate) fn summary(&self) -> WindowSummary {
        let spans = &self.window.spans;
        let carry_in = self.window.carry_in.as_ref().map(|s| s.size_bytes);
        WindowSummary {
            sample_count: self.window.sample_count(),
            first: spans.first().map(|s| SampleView::from(&s.first)),
            last: spans.last().map(|s| SampleView::from(&s.last)),
            min_size_bytes: spans.iter().map(|s| s.min_size_bytes).chain(carry_in).min(),
            max_size_bytes: spans.iter().map(|s| s.max_size_bytes).chain(carry_in).max(),
        }
    }

    /// The window as `(ts, size)` points for the renderer, oldest first: each sample, and for a span of
    /// several the first, the smallest, the largest and the last size (the last three at the span's end,
    /// which lies within one pixel column of its start).
    pub(crate) fn plot_points(&self) -> Vec<(i64, u64)> {
        let mut points = Vec::with_capacity(self.window.spans.len() * 2);
        for span in &self.window.spans {
            points.push((span.first.ts_ms, span.first.size_bytes));
            if !span.is_single() {
                let end = span.last.ts_ms;
                points.extend([
                    (end, span.min_size_bytes),
                    (end, span.max_size_bytes),
                    (end, span.last.size_bytes),
                ]);
            }
        }
        points
    }
}

/// The samples of the last `window` seconds, oldest first, with the sample before the window: at most
/// `max_points` of them, else the window reduced per interval.
#[utoipa::path(get, path = "/window", tag = "history", params(WindowQuery, BucketQuery),
    responses(
        (status = 200, description = "The window's samples", body = WindowView),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "`bucket` names a bucket that is not tracked (not listed by `/buckets`, no size history)", body = ErrorBody),
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
    let mut read = read_window_ending(&state, &bucket, seconds, state.now_ms(), max_points).await?;
    read.exact_when_few(&state, &bucket, max_points).await?;
    Ok(Json(read.view(&bucket, seconds, max_points)))
}
