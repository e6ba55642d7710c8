//! Delivers the endpoint's notifications to the tracker in the background, in batches as an SQS event
//! source mapping delivers them to the Lambda function: the record JSON goes through the same parser and
//! the same batch path, and a notification whose delivery fails is retried until it succeeds. Each one
//! is an [outbox](super::outbox) entry, marked delivered once the tracker has applied it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracker::Tracker;
use tracker::event::compose::{OutgoingRecord, notification_json};
use tracker::event::{Notification, notification_from_value};

use super::chaos;
use super::outbox::{EntryId, Outbox};

const FIRST_RETRY: Duration = Duration::from_millis(50);
const MAX_RETRY: Duration = Duration::from_secs(5);
/// The most notifications delivered as one batch, as an SQS event source mapping's batch size.
const MAX_BATCH: usize = 1_000;

/// Starts the delivery task. It runs until the returned [`Notifier`] is dropped and every notification it
/// sent has been delivered.
pub(crate) fn start(tracker: Tracker, chaos: bool, outbox: Outbox) -> (Notifier, Delivery) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let progress = Arc::new(Progress { emitted: Mutex::new(0), delivered: watch::Sender::new(0) });
    let task = tokio::spawn(run(receiver, tracker, Arc::clone(&progress), chaos, outbox.clone()));
    (Notifier { sender, progress: Arc::clone(&progress), outbox }, Delivery { progress, task })
}

/// One notification on its way, numbered in the order it was sent.
struct Pending {
    number: u64,
    entry: EntryId,
    json: Value,
}

/// How far delivery has come: every notification numbered below `delivered` has been handled (each copy
/// of it, under chaos).
struct Progress {
    emitted: Mutex<u64>,
    delivered: watch::Sender<u64>,
}

impl Progress {
    fn emitted(&self) -> MutexGuard<'_, u64> {
        // The count stays valid even if a holder panicked: it changes only after a successful send.
        self.emitted.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The sending side, held by the S3 service.
pub(crate) struct Notifier {
    sender: mpsc::UnboundedSender<Pending>,
    progress: Arc<Progress>,
    outbox: Outbox,
}

impl Notifier {
    /// Records the notification of one record as the event of its outbox entry, and queues it. Never
    /// waits, so a slow store never slows the S3 requests.
    pub(crate) fn emit(&self, entry: EntryId, record: &OutgoingRecord) {
        let json = notification_json(std::slice::from_ref(record));
        self.outbox.record_event(entry, &json);
        self.queue(entry, json);
    }

    /// Queues a notification recorded earlier (by a run that stopped before delivering it).
    pub(crate) fn queue(&self, entry: EntryId, json: Value) {
        // Numbering and sending under one lock keeps the channel in number order, which `settled` relies on.
        let mut emitted = self.progress.emitted();
        match self.sender.send(Pending { number: *emitted, entry, json }) {
            Ok(()) => *emitted += 1,
            // It stays in the outbox, for the next start.
            Err(_) => {
                tracing::error!("the delivery task has stopped; a notification waits for the next start")
            }
        }
    }
}

/// Notifications were still undelivered when the wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{pending} notifications were still undelivered after {limit:?}")]
pub struct NotSettled {
    pub pending: u64,
    pub limit: Duration,
}

/// The receiving side, held by the running endpoint.
pub(crate) struct Delivery {
    progress: Arc<Progress>,
    task: JoinHandle<()>,
}

impl Delivery {
    /// Waits until every notification emitted before the call has been delivered, or `limit` has passed
    /// (a store that keeps failing never lets them all through).
    pub(crate) async fn settled_within(&self, limit: Duration) -> Result<(), NotSettled> {
        let target = *self.progress.emitted();
        let mut delivered = self.progress.delivered.subscribe();
        // The sender lives in `self.progress`, so the wait cannot fail for want of one.
        let all_delivered =
            tokio::time::timeout(limit, delivered.wait_for(|delivered| *delivered >= target)).await.is_ok();
        if all_delivered {
            return Ok(());
        }
        Err(NotSettled { pending: target.saturating_sub(*delivered.borrow()), limit })
    }

    /// Waits for the task to deliver everything and stop; the notifier must be gone for it to stop.
    pub(crate) async fn finish(self) {
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the delivery task failed");
        }
    }
}

async fn run(
    mut receiver: mpsc::UnboundedReceiver<Pending>,
    tracker: Tracker,
    progress: Arc<Progress>,
    chaos: bool,
    outbox: Outbox,
) {
    let mut batch = Vec::new();
    while let Some(first) = receiver.recv().await {
        batch.clear();
        batch.push(first);
        if chaos {
            chaos::gather(&mut receiver, &mut batch).await;
            // Scrambled, then delivered in small random batches, so that both the order within a batch
            // and the order between batches are put to the test.
            let order = chaos::scramble(&batch);
            let mut rest = order.as_slice();
            while !rest.is_empty() {
                let (now, later) = rest.split_at(fastrand::usize(1..=rest.len().min(4)));
                deliver(&tracker, now).await;
                rest = later;
            }
        } else {
            // Whatever is pending goes as one batch, without waiting for more: a change made on its own
            // gets its own sample.
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(pending) => batch.push(pending),
                    Err(_) => break,
                }
            }
            deliver(&tracker, &batch.iter().collect::<Vec<_>>()).await;
        }
        outbox.delivered(batch.iter().map(|pending| pending.entry).collect());
        if let Some(last) = batch.last() {
            progress.delivered.send_replace(last.number + 1);
        }
    }
    tracing::debug!("every notification delivered");
}

/// Delivers a batch of notifications through the tracker's batch path, retrying those that failed with
/// growing pauses for as long as the store fails: a notification is never dropped, because the totals
/// would no longer be exact.
async fn deliver(tracker: &Tracker, batch: &[&Pending]) {
    let mut notifications = Vec::with_capacity(batch.len());
    for pending in batch {
        match notification_from_value(pending.json.clone()) {
            Ok(notification) => notifications.push(notification),
            // The endpoint wrote this JSON itself; retrying cannot make it readable.
            Err(error) => {
                tracing::error!(%error, json = %pending.json, "an emitted notification does not parse")
            }
        }
    }
    let mut waiting: Vec<&Notification> = notifications.iter().collect();
    let mut pause = FIRST_RETRY;
    while !waiting.is_empty() {
        let results = tracker.handle_batch(&waiting).await;
        let mut failed = Vec::new();
        for (notification, result) in waiting.into_iter().zip(results) {
            match result {
                Ok(reports) => tracing::debug!(?reports, "notification delivered"),
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = pause.as_millis(), "notification not delivered; retrying");
                    failed.push(notification);
                }
            }
        }
        waiting = failed;
        if !waiting.is_empty() {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_RETRY);
        }
    }
}
