//! The JSON the api answers with.

use domain::{Sample, Series};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One sample of the size history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"ts": 1795688427933_i64, "size_bytes": 27, "object_count": 1}))]
pub struct SampleView {
    /// When the bucket reached this size (epoch milliseconds, UTC).
    pub ts: i64,
    pub size_bytes: u64,
    pub object_count: u64,
}

impl From<&Sample> for SampleView {
    fn from(sample: &Sample) -> Self {
        Self { ts: sample.ts_ms, size_bytes: sample.size_bytes, object_count: sample.object_count }
    }
}

/// One point of a window: a sample, or, in a downsampled window, the last sample of an interval with the
/// interval's smallest and largest size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"ts": 1795688427933_i64, "size_bytes": 27, "object_count": 1}))]
pub struct PointView {
    /// When the bucket reached this size (epoch milliseconds, UTC).
    pub ts: i64,
    pub size_bytes: u64,
    pub object_count: u64,
    /// Downsampled only: the interval's smallest size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size_bytes: Option<u64>,
    /// Downsampled only: the interval's largest size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size_bytes: Option<u64>,
}

impl From<&Sample> for PointView {
    fn from(sample: &Sample) -> Self {
        Self {
            ts: sample.ts_ms,
            size_bytes: sample.size_bytes,
            object_count: sample.object_count,
            min_size_bytes: None,
            max_size_bytes: None,
        }
    }
}

/// The samples of a window: all of them, or, past `max_points`, the window reduced per interval.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "bucket": "size-tracking-local", "series": "current", "window_seconds": 10, "from": 1795688420000_i64, "to": 1795688430000_i64,
    "carry_in": null, "sample_count": 2, "downsampled": false, "interval_ms": null,
    "samples": [{"ts": 1795688421000_i64, "size_bytes": 18, "object_count": 1}, {"ts": 1795688423000_i64, "size_bytes": 27, "object_count": 1}]
}))]
pub struct WindowView {
    pub bucket: String,
    /// The bucket's series: `current` or `all-versions`.
    #[schema(value_type = String, example = "current")]
    pub series: Series,
    pub window_seconds: u64,
    /// The window's start (epoch ms).
    pub from: i64,
    /// The window's end (epoch ms): the time of the request.
    pub to: i64,
    /// The last sample before the window: the size the window opens with.
    pub carry_in: Option<SampleView>,
    /// How many samples the window holds.
    pub sample_count: u64,
    /// Whether `samples` is the window reduced per interval (it holds more than `max_points` samples).
    pub downsampled: bool,
    /// The length of each interval when downsampled; intervals are aligned on multiples of it (epoch ms).
    pub interval_ms: Option<i64>,
    /// Oldest first: every sample, or one point per interval that holds any.
    pub samples: Vec<PointView>,
}

/// What a window holds, in a few numbers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WindowSummary {
    /// How many samples the window holds.
    pub sample_count: u64,
    /// The window's first and last sample.
    pub first: Option<SampleView>,
    pub last: Option<SampleView>,
    /// The smallest and largest size in the window, the size it opens with (`carry_in`) included.
    pub min_size_bytes: Option<u64>,
    pub max_size_bytes: Option<u64>,
}

/// The plot, a summary of the window it shows, where it is stored, and a link to it. The window's samples
/// are `GET /window`'s.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "bucket": "size-tracking-local", "series": "current", "window_seconds": 10, "from": 1795688420000_i64, "to": 1795688430000_i64,
    "carry_in": null,
    "summary": {"sample_count": 1, "first": {"ts": 1795688421000_i64, "size_bytes": 18, "object_count": 1},
                "last": {"ts": 1795688421000_i64, "size_bytes": 18, "object_count": 1}, "min_size_bytes": 18, "max_size_bytes": 18},
    "max": {"ts": 1795688421000_i64, "size_bytes": 18, "object_count": 1},
    "key": "plots/renders/3f6c2a9e1b7d4c05.png", "url": "http://127.0.0.1:4566/size-tracking-local/plots/renders/3f6c2a9e1b7d4c05.png?X-Amz-Signature=…", "expires_in": 300
}))]
pub struct PlotView {
    pub bucket: String,
    /// The bucket's series: `current` or `all-versions`.
    #[schema(value_type = String, example = "current")]
    pub series: Series,
    pub window_seconds: u64,
    /// The window's start (epoch ms).
    pub from: i64,
    /// The window's end (epoch ms): the time of the request.
    pub to: i64,
    /// The last sample before the window: the size the window opens with.
    pub carry_in: Option<SampleView>,
    pub summary: WindowSummary,
    /// The all-time max, if anything was ever recorded.
    pub max: Option<SampleView>,
    /// Where the PNG is stored in the configured bucket: `plots/renders/<hash>.png`, named by what it shows,
    /// so identical requests share it (expired after a day). The bucket's latest plot is also at
    /// `plots/plot.png` (another bucket's at `plots/plot-<bucket>.png`).
    pub key: String,
    /// A presigned GET URL for the PNG.
    pub url: String,
    /// Seconds the URL stays valid.
    pub expires_in: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"bucket": "size-tracking-local", "key": "plots/plot.png", "url": "http://127.0.0.1:4566/size-tracking-local/plots/plot.png?X-Amz-Signature=…", "expires_in": 300}))]
pub struct PresignView {
    pub bucket: String,
    pub key: String,
    pub url: String,
    pub expires_in: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct HealthView {
    pub status: String,
}

/// A PNG image (the body of `GET /plot` with `Accept: image/png`).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "image/png")]
pub struct PngImage(#[allow(dead_code)] Vec<u8>);

/// The buckets the api serves.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "default": "size-tracking-local",
    "buckets": [
        {"name": "size-tracking-local", "plot_key": "plots/plot.png", "all_versions_plot_key": "plots/plot:all-versions.png"},
        {"name": "second-bucket", "plot_key": "plots/plot-second-bucket.png", "all_versions_plot_key": "plots/plot-second-bucket:all-versions.png"}
    ]
}))]
pub struct BucketsView {
    /// Served when a request names no bucket; every plot is stored in it.
    pub default: String,
    /// Every tracked bucket, the default first.
    pub buckets: Vec<TrackedBucketView>,
}

/// One tracked bucket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackedBucketView {
    pub name: String,
    /// Its latest plot in the default bucket (`/presign?key=` signs it).
    pub plot_key: String,
    /// The latest plot of its all-versions series (`/plot?series=all-versions`), beside it.
    pub all_versions_plot_key: String,
}
