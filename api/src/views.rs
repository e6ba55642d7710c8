//! The JSON the api answers with.

use domain::Sample;
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

/// The samples of a window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "bucket": "size-tracking-local", "window_seconds": 10, "from": 1795688420000_i64, "to": 1795688430000_i64,
    "carry_in": null,
    "samples": [{"ts": 1795688421000_i64, "size_bytes": 18, "object_count": 1}, {"ts": 1795688423000_i64, "size_bytes": 27, "object_count": 1}]
}))]
pub struct WindowView {
    pub bucket: String,
    pub window_seconds: u64,
    /// The window's start (epoch ms).
    pub from: i64,
    /// The window's end (epoch ms): the time of the request.
    pub to: i64,
    /// The last sample before the window: the size the window opens with.
    pub carry_in: Option<SampleView>,
    /// Oldest first.
    pub samples: Vec<SampleView>,
}

/// The plot, where it is stored, and a link to it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "bucket": "size-tracking-local", "window_seconds": 10, "from": 1795688420000_i64, "to": 1795688430000_i64,
    "carry_in": null,
    "samples": [{"ts": 1795688421000_i64, "size_bytes": 18, "object_count": 1}],
    "max": {"ts": 1795688421000_i64, "size_bytes": 18, "object_count": 1},
    "key": "plots/plot.png", "url": "http://127.0.0.1:4566/size-tracking-local/plots/plot.png?X-Amz-Signature=…", "expires_in": 300
}))]
pub struct PlotView {
    /// The window that was plotted.
    #[serde(flatten)]
    pub window: WindowView,
    /// The all-time max, if anything was ever recorded.
    pub max: Option<SampleView>,
    /// Where the PNG was stored in the configured bucket.
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
