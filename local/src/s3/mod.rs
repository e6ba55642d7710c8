//! The local S3-compatible endpoint.
//!
//! [s3s-fs](s3s_fs) keeps the objects as files under a root folder, so they survive restarts; requests
//! must be signed (SigV4, headers or presigned URLs) with the local credentials of
//! [`startup::local`]. Every object change is announced with an event record in S3's own format, and
//! the records are delivered to the [`Tracker`] in the background, exactly as Lambda would receive them.
//! Each change is in the [outbox](outbox) on disk before it is made, until the tracker has applied it, so
//! a crash loses none: the next start delivers what is left.

mod chaos;
mod delivery;
mod digest;
mod keys;
mod locks;
mod notifying;
mod outbox;
mod sequencer;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use domain::BucketName;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use s3s_fs::FileSystem;
use startup::local::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};
use tracker::Tracker;

use self::delivery::Delivery;
pub use self::delivery::NotSettled;
pub use self::outbox::OutboxError;
use self::outbox::OutboxWriter;

/// How long [`RunningS3::settled`] waits: far longer than any delivery to a working store takes.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(30);
use self::notifying::NotifyingS3;
use self::sequencer::SequencerSource;
use self::server::Server;

#[derive(Debug, Clone)]
pub struct S3EndpointConfig {
    /// The storage folder: one sub-folder per bucket.
    pub root: PathBuf,
    /// Where changes wait until the tracker has applied them; outside `root`, whose every folder is a
    /// bucket.
    pub outbox: PathBuf,
    /// Where to listen; port 0 picks a free port (see [`RunningS3::addr`]).
    pub addr: SocketAddr,
    /// Created at start if missing.
    pub bucket: BucketName,
    /// Deliver notifications late, shuffled and partly twice, as S3 may.
    pub chaos: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum S3EndpointError {
    #[error("cannot listen on {addr}: the address is already in use")]
    AddressInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use the storage folder {}: {detail}", path.display())]
    Storage { path: PathBuf, detail: String },
    #[error("cannot open the outbox: {0}")]
    Outbox(#[from] OutboxError),
}

/// The endpoint, serving.
pub struct RunningS3 {
    addr: SocketAddr,
    server: Server,
    delivery: Delivery,
    outbox: OutboxWriter,
}

/// Prepares the storage folder and the bucket, queues what an earlier run left in the outbox, and starts
/// serving. Dropping the result stops accepting connections; [`RunningS3::shutdown`] also waits for open
/// requests and for every delivery.
pub async fn start(config: S3EndpointConfig, tracker: Tracker) -> Result<RunningS3, S3EndpointError> {
    let bucket_dir = config.root.join(config.bucket.as_str());
    let storage_error =
        |path: &PathBuf, detail: String| S3EndpointError::Storage { path: path.clone(), detail };
    tokio::fs::create_dir_all(&bucket_dir).await.map_err(|e| storage_error(&bucket_dir, e.to_string()))?;
    let fs = FileSystem::new(&config.root).map_err(|e| storage_error(&config.root, format!("{e:?}")))?;
    let sequencers =
        SequencerSource::open(&config.root).map_err(|e| storage_error(&config.root, e.to_string()))?;

    let listener = server::bind(config.addr).await?;
    let addr = listener.local_addr().map_err(|source| S3EndpointError::Bind { addr: config.addr, source })?;

    let (outbox, outbox_writer, leftovers) = outbox::open(&config.outbox)?;
    let (notifier, delivery) = delivery::start(tracker, config.chaos, outbox.clone());
    let s3 = NotifyingS3::new(fs, config.root.clone(), notifier, outbox, sequencers);
    s3.resume(leftovers).await;
    let mut service = S3ServiceBuilder::new(s3);
    service.set_auth(SimpleAuth::from_single(ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    let server = server::serve(listener, service.build());
    tracing::info!(%addr, root = %config.root.display(), bucket = %config.bucket, chaos = config.chaos, "S3 endpoint listening");
    Ok(RunningS3 { addr, server, delivery, outbox: outbox_writer })
}

impl RunningS3 {
    /// The bound address (with the port picked when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL for S3 clients, e.g. `http://127.0.0.1:4566`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until every notification emitted so far has been delivered to the tracker, at most
    /// [`SETTLE_LIMIT`]. A request whose answer has arrived has emitted its notifications.
    pub async fn settled(&self) -> Result<(), NotSettled> {
        self.settled_within(SETTLE_LIMIT).await
    }

    /// As [`settled`](Self::settled), waiting at most `limit`.
    pub async fn settled_within(&self, limit: Duration) -> Result<(), NotSettled> {
        self.delivery.settled_within(limit).await
    }

    /// Stops accepting requests, lets open ones finish, then delivers every pending notification (and
    /// empties the outbox).
    pub async fn shutdown(self) {
        self.server.stop().await;
        self.delivery.finish().await;
        self.outbox.finish().await;
    }
}
