use std::sync::Arc;

use store::{BucketName, Clock, History, ObjectKey, Settings};

/// What the api is configured with, read once at start.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Served when a request names no bucket; plots are stored here.
    pub default_bucket: BucketName,
    /// Where the default bucket's plot is stored.
    pub plot_key: ObjectKey,
    /// The reserved prefix the plots live under: the only keys `/presign` signs.
    pub plot_prefix: String,
}

impl ApiConfig {
    pub fn from_settings(settings: &Settings) -> Self {
        let plot_prefix = settings
            .reserved_prefixes
            .iter()
            .find(|prefix| settings.plot_key.as_str().starts_with(prefix.as_str()))
            .cloned()
            .unwrap_or_else(|| settings.plot_key.as_str().to_owned());
        Self { default_bucket: settings.bucket.clone(), plot_key: settings.plot_key.clone(), plot_prefix }
    }

    /// The default bucket's plot at `PLOT_KEY`; another bucket's beside it, named after the bucket.
    pub fn plot_key_for(&self, bucket: &BucketName) -> ObjectKey {
        if *bucket == self.default_bucket {
            return self.plot_key.clone();
        }
        let key = self.plot_key.as_str();
        let (stem, extension) = key.rsplit_once('.').unwrap_or((key, "png"));
        ObjectKey::parse(format!("{stem}-{bucket}.{extension}")).unwrap_or_else(|_| self.plot_key.clone())
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
    pub fn new(history: Arc<dyn History>, s3: aws_sdk_s3::Client, config: ApiConfig) -> Self {
        Self { inner: Arc::new(Inner { history, s3, config, clock: store::system_clock() }) }
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
