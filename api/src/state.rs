use std::sync::Arc;

use domain::{BucketName, Clock, History, LATEST_PLOT_KEY, ObjectKey, PLOT_RENDERS_PREFIX, Series, fnv1a};

use crate::tracked::TrackedBuckets;

/// What the api is configured with.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Served when a request names no bucket; plots are stored here.
    pub default_bucket: BucketName,
    /// The buckets besides the default that `/buckets` lists and a request may name (as may any with a
    /// history).
    pub tracked: TrackedBuckets,
}

impl ApiConfig {
    /// Serving `default_bucket` only.
    pub fn new(default_bucket: BucketName) -> Self {
        Self { default_bucket, tracked: TrackedBuckets::Listed(Vec::new()) }
    }

    /// The same, serving the buckets of `tracked` too.
    pub fn tracking(self, tracked: TrackedBuckets) -> Self {
        Self { tracked, ..self }
    }

    /// The default bucket's plot at `plots/plot.png`; another bucket's beside it, named after the bucket;
    /// a bucket's all-versions series' with `:all-versions` after that (`plots/plot:all-versions.png`,
    /// `plots/plot-second-bucket:all-versions.png`), which no bucket's name can hold.
    pub fn plot_key_for(&self, name: &BucketName) -> ObjectKey {
        let latest = ObjectKey::parse(LATEST_PLOT_KEY).expect("the plot key is a valid key");
        let (bucket, series) = Series::split(name);
        let (stem, extension) = LATEST_PLOT_KEY.rsplit_once('.').unwrap_or((LATEST_PLOT_KEY, "png"));
        let named = if bucket == self.default_bucket { String::new() } else { format!("-{bucket}") };
        let series = match series {
            Series::Current => "",
            Series::AllVersions => ":all-versions",
        };
        ObjectKey::parse(format!("{stem}{named}{series}.{extension}")).unwrap_or(latest)
    }

    /// Where the render of a plot is stored: named by a hash of everything the image shows (`inputs`), so
    /// requests for the same image share one object.
    pub fn render_key(inputs: &str) -> ObjectKey {
        ObjectKey::parse(format!("{PLOT_RENDERS_PREFIX}{:016x}.png", fnv1a(inputs.as_bytes())))
            .expect("a hex name under the renders prefix is a valid key")
    }
}

/// Everything a request needs, built once at start and shared.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    history: Arc<dyn History>,
    s3: aws_sdk_s3::Client,
    config: ApiConfig,
    clock: Clock,
}

impl AppState {
    pub fn new(history: Arc<dyn History>, s3: aws_sdk_s3::Client, config: ApiConfig, clock: Clock) -> Self {
        Self { inner: Arc::new(Inner { history, s3, config, clock }) }
    }

    pub fn history(&self) -> &dyn History {
        self.inner.history.as_ref()
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.inner.s3
    }

    pub fn config(&self) -> &ApiConfig {
        &self.inner.config
    }

    pub fn now_ms(&self) -> i64 {
        (self.inner.clock)()
    }
}
