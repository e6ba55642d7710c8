use std::sync::Arc;

use axum::Router;
use domain::{BucketName, History};

use crate::state::{ApiConfig, AppState};

/// The Plot service, built once from what it reads (the history) and writes (the plots' bucket).
pub struct Application {
    router: Router,
}

impl Application {
    /// `default_bucket` is served when a request names none, and holds every plot.
    pub fn build(history: Arc<dyn History>, s3: aws_sdk_s3::Client, default_bucket: BucketName) -> Self {
        Self::build_with(history, s3, ApiConfig::new(default_bucket), domain::system_clock())
    }

    /// [`Self::build`] with the whole configuration (the buckets tracked besides the default), telling
    /// the time by `clock` (tests move it by hand).
    pub fn build_with(
        history: Arc<dyn History>,
        s3: aws_sdk_s3::Client,
        config: ApiConfig,
        clock: domain::Clock,
    ) -> Self {
        let state = AppState::new(history, s3, config, clock);
        Self { router: crate::app::router(state) }
    }

    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves on `listener` until `shutdown` resolves, then finishes the requests in flight.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        crate::serve::http(listener, self.router, shutdown).await
    }
}
