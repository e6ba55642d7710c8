//! The whole system on one machine: the S3 endpoint (which notifies the tracker), the SQLite history,
//! and the Plot API, started and stopped together.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use api::{ApiConfig, Application, TrackedBuckets};
use domain::{BucketName, Series, StoreError};
use store_sqlite::SqliteStore;
use tokio::sync::oneshot;
use tracker::reconcile::{ReconcileError, ReconcileReport, reconcile};
use tracker::{ReservedPrefix, Tracker, TrackingRules};

use crate::data_dir::{self, DataDirError, DataDirLock};
use crate::s3::{self, RunningS3, S3EndpointConfig, S3EndpointError};

#[derive(Debug, Clone)]
pub struct StackConfig {
    /// Holds `s3/` (the objects), `outbox/` (changes not yet applied), `history.sqlite3`, and the lock
    /// that keeps a second stack out.
    pub data_dir: PathBuf,
    pub s3_addr: SocketAddr,
    pub api_addr: SocketAddr,
    pub bucket: BucketName,
    /// Deliver notifications late, shuffled and partly twice.
    pub chaos: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error("cannot open the history: {0}")]
    Store(#[from] StoreError),
    #[error("S3 endpoint: {0}")]
    S3(#[from] S3EndpointError),
    #[error("reconciling the bucket failed: {0}")]
    Reconcile(#[from] ReconcileError),
    #[error("listing the buckets of the S3 endpoint failed: {}", domain::ErrorChain(.0.as_ref()))]
    ListBuckets(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the S3 endpoint has no bucket {bucket}")]
    NoBucket { bucket: BucketName },
    #[error("Plot API: cannot listen on {addr}: the address is already in use")]
    ApiAddressInUse { addr: SocketAddr },
    #[error("Plot API: cannot listen on {addr}: {source}")]
    ApiBind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// The running stack.
pub struct RunningStack {
    s3: RunningS3,
    api_addr: SocketAddr,
    api_stop: oneshot::Sender<()>,
    api_task: tokio::task::JoinHandle<std::io::Result<()>>,
    store: Arc<SqliteStore>,
    bucket: BucketName,
    reconciled: ReconcileReport,
    _data_dir: DataDirLock,
}

impl StackConfig {
    pub fn history_path(&self) -> PathBuf {
        self.data_dir.join("history.sqlite3")
    }

    pub fn objects_path(&self) -> PathBuf {
        self.data_dir.join("s3")
    }

    pub fn outbox_path(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

/// Starts everything; at start, the changes a crash left in the outbox are delivered, then every bucket
/// of the endpoint is reconciled (which brings in objects put into its folder by other means). Every
/// bucket is tracked, the configured one and any a client creates; `plots/` is reserved in the configured
/// one only (where the api stores its plots: a user's own `plots/` elsewhere counts). Refused while
/// another stack runs on the same data dir.
pub async fn start(config: StackConfig) -> Result<RunningStack, StackError> {
    let data_dir = data_dir::lock(&config.data_dir)?;
    let store = Arc::new(SqliteStore::open(&config.history_path()).await?);
    let rules = TrackingRules {
        reserved: vec![ReservedPrefix::in_bucket(config.bucket.clone(), domain::PLOTS_PREFIX)],
        tracked_buckets: None,
    };
    let tracker = Tracker::new(store.clone(), rules.clone());
    let s3 = s3::start(
        S3EndpointConfig {
            root: config.objects_path(),
            outbox: config.outbox_path(),
            addr: config.s3_addr,
            bucket: config.bucket.clone(),
            chaos: config.chaos,
        },
        tracker,
    )
    .await?;
    // A store that keeps failing holds them back; they stay in the outbox and are delivered later.
    if let Err(error) = s3.settled().await {
        tracing::warn!(%error, "the changes left by an earlier run are not all applied yet");
    }

    let sdk = startup::local::sdk_config(&s3.url()).await;
    let s3_client = startup::s3_client(&sdk);
    let mut reconciled = None;
    let every_bucket =
        api::tracked::endpoint_buckets(&s3_client).await.map_err(|e| StackError::ListBuckets(e.into()))?;
    for bucket in every_bucket {
        let reserved = rules.reserved_prefixes_of(&bucket);
        for series in Series::ALL {
            let report =
                reconcile(&s3_client, store.as_ref(), &series.of(&bucket), &reserved, |_| ()).await?;
            if bucket == config.bucket && series == Series::Current {
                reconciled = Some(report);
            }
        }
    }
    let reconciled = reconciled.ok_or_else(|| StackError::NoBucket { bucket: config.bucket.clone() })?;

    let listener = tokio::net::TcpListener::bind(config.api_addr).await.map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            StackError::ApiAddressInUse { addr: config.api_addr }
        } else {
            StackError::ApiBind { addr: config.api_addr, source }
        }
    })?;
    let api_addr =
        listener.local_addr().map_err(|source| StackError::ApiBind { addr: config.api_addr, source })?;
    // The local stack tracks every bucket of its endpoint, so the api serves each of them.
    let served =
        ApiConfig::new(config.bucket.clone()).tracking(TrackedBuckets::OnEndpoint(s3_client.clone()));
    let app = Application::build_with(store.clone(), s3_client, served, domain::system_clock());
    let (api_stop, stopped) = oneshot::channel::<()>();
    let api_task = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));

    Ok(RunningStack {
        s3,
        api_addr,
        api_stop,
        api_task,
        store,
        bucket: config.bucket,
        reconciled,
        _data_dir: data_dir,
    })
}

impl RunningStack {
    pub fn api_url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    pub fn s3_url(&self) -> String {
        self.s3.url()
    }

    pub fn bucket(&self) -> &BucketName {
        &self.bucket
    }

    /// The history and ledger, for tests and tools that look inside.
    pub fn store(&self) -> &Arc<SqliteStore> {
        &self.store
    }

    /// What reconciling the bucket at start found.
    pub fn reconciled(&self) -> &ReconcileReport {
        &self.reconciled
    }

    /// Waits until every notification so far has reached the tracker, at most `s3::SETTLE_LIMIT`.
    pub async fn settled(&self) -> Result<(), s3::NotSettled> {
        self.s3.settled().await
    }

    /// Stops taking requests, delivers every pending notification, then releases the data dir.
    pub async fn shutdown(self) {
        let _ = self.api_stop.send(());
        match self.api_task.await {
            Ok(Err(error)) => tracing::error!(%error, "the Plot API stopped with an error"),
            Err(error) => tracing::error!(%error, "the Plot API task failed"),
            Ok(Ok(())) => {}
        }
        self.s3.shutdown().await;
    }
}
