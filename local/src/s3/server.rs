//! Listening, serving HTTP with hyper, and stopping gracefully.

use std::net::SocketAddr;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use s3s::service::S3Service;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use super::S3EndpointError;

/// How long open requests may run on after a stop before their connections are cut.
const GRACE: Duration = Duration::from_secs(10);
/// The pause after a failed accept (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

pub(crate) async fn bind(addr: SocketAddr) -> Result<TcpListener, S3EndpointError> {
    TcpListener::bind(addr).await.map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => S3EndpointError::AddressInUse { addr },
        _ => S3EndpointError::Bind { addr, source },
    })
}

/// The accept loop, running in its own task.
pub(crate) struct Server {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

pub(crate) fn serve(listener: TcpListener, service: S3Service) -> Server {
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, service, stopped));
    Server { stop, task }
}

impl Server {
    /// Stops accepting, lets open requests finish, and returns once every connection is closed and the
    /// service (with everything it holds) is dropped.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the S3 server task failed");
        }
    }
}

/// Serves until told to stop, or until the [`Server`] is dropped.
async fn accept_loop(listener: TcpListener, service: S3Service, mut stopped: oneshot::Receiver<()>) {
    let builder = ConnectionBuilder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = connections.join_next() => {}
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    let connection = builder.serve_connection(TokioIo::new(socket), service.clone());
                    let connection = graceful.watch(connection.into_owned());
                    connections.spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%peer, %error, "connection closed with an error");
                        }
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }
    drop(listener);
    drop(service);
    if tokio::time::timeout(GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!(grace = ?GRACE, "requests still open after the grace period; closing their connections");
        connections.abort_all();
    }
    while connections.join_next().await.is_some() {}
    tracing::info!("S3 endpoint stopped");
}
