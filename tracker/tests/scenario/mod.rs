//! What happens in a bucket and how S3 tells the tracker, as proptest strategies, and the runner that
//! delivers it (used by `property.rs`).
//!
//! - A [`History`] is what happened: per key, its operations in sequencer order, each with its sequencer
//!   as S3 may write it (any length: the domain compares them as left-padded hex numbers).
//! - A [`Delivery`] is how it reached the tracker: the records grouped into notifications, duplicated,
//!   in any order, and the store calls that failed on the way. A notification whose handling fails is
//!   delivered again later (S3 and Lambda deliver at least once), [`Delivery::redelivery_gaps`] say when.
//!
//! The two are separate strategies, so that a new way of delivering (SQS batches of notifications) adds
//! a field to [`Delivery`] and a step to [`delivery`], and a new kind of history (versioned buckets, whose
//! records carry a `versionId`) adds to [`Event`] and [`History::expected_totals`], without replacing
//! either.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use domain::{BucketName, ErrorChain, Ledger, ObjectKey, StoreError, Totals};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use testkit::faults::{Fault, Reach, is_injected, is_unreachable};
use testkit::ledger::{Around, LedgerCall, Work, Wrapped};
use tracker::event::compose::{OutgoingKind, OutgoingRecord, notification_json};
use tracker::event::{Notification, notification_from_value};
use tracker::{Tracker, TrackingRules};

/// The keys a history draws from: plain, nested, ones S3 form-URL-encodes, one under the reserved
/// `plots/` prefix (never counted) and a one-letter one.
pub const KEYS: [&str; 6] = ["a.txt", "dir/b.txt", "c d+e.txt", "été/ü%.txt", "plots/ignored.png", "x"];

/// How big the generated cases get.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Keys in a history, at most (of [`KEYS`]).
    pub keys: usize,
    /// Events of one key, at most.
    pub events_per_key: usize,
    /// How often one record may be delivered, at most (at least 2).
    pub copies: usize,
    /// Records in one notification, at most.
    pub records_per_notification: usize,
    /// Notifications in one batch (an SQS batch), at most.
    pub notifications_per_batch: usize,
    /// Failed store calls, at most.
    pub faults: usize,
    /// Store calls one record costs, about: faults are placed among the first `calls_per_record` ×
    /// records calls.
    pub calls_per_record: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `ObjectCreated:<how>` with this size.
    Put { size: u64, how: &'static str },
    /// `ObjectRemoved:Delete`.
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub op: Op,
    /// As the record writes it: hex, any case, any number of leading zeros.
    pub sequencer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHistory {
    pub key: &'static str,
    /// In the order S3 applied them: their sequencers rise.
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub keys: Vec<KeyHistory>,
}

/// One event of a history: the `event`-th of the `key`-th key (shown as `key.event`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordRef {
    pub key: usize,
    pub event: usize,
}

impl std::fmt::Debug for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.key, self.event)
    }
}

impl History {
    pub fn records(&self) -> Vec<RecordRef> {
        self.keys
            .iter()
            .enumerate()
            .flat_map(|(key, history)| (0..history.events.len()).map(move |event| RecordRef { key, event }))
            .collect()
    }

    /// The totals once every event is applied: each key's last event decides, reserved keys never count.
    pub fn expected_totals(&self, rules: &TrackingRules, bucket: &BucketName) -> Totals {
        let mut totals = Totals::default();
        for history in &self.keys {
            let reserved = ObjectKey::parse(history.key).is_ok_and(|key| rules.is_reserved(bucket, &key));
            if let (false, Some(Event { op: Op::Put { size, .. }, .. })) = (reserved, history.events.last()) {
                totals.size_bytes += size;
                totals.object_count += 1;
            }
        }
        totals
    }

    /// The notification S3 would send for these records, in its wire format, read back as the tracker
    /// reads it.
    pub fn notification(&self, bucket: &str, records: &[RecordRef]) -> Result<Notification, String> {
        let outgoing: Vec<OutgoingRecord> = records
            .iter()
            .map(|r| {
                let history = &self.keys[r.key];
                let event = &history.events[r.event];
                let kind = match event.op {
                    Op::Put { size, how } => OutgoingKind::Created { how, size, etag: format!("{size:x}") },
                    Op::Delete => OutgoingKind::Removed,
                };
                OutgoingRecord {
                    bucket: bucket.to_owned(),
                    key: history.key.to_owned(),
                    kind,
                    sequencer: event.sequencer.clone(),
                    time: Utc::now(),
                }
            })
            .collect();
        notification_from_value(notification_json(&outgoing)).map_err(|e| e.to_string())
    }
}

/// `n` rising sequencers, written with 0 to 3 extra leading zeros and in either case, so that one
/// ordering comes in several lengths (`0A` < `00B`). They start at small numbers, below a change of
/// length (`FF` → `100`) or at S3's usual 18 digits.
fn sequencers(n: usize) -> impl Strategy<Value = Vec<String>> {
    let start = prop_oneof![
        0u128..=0x20,
        0xF0u128..=0x100,
        0xFF0u128..=0x1000,
        0x00_62B1_A6F0_A1B2_C300_u128..=0x00_62B1_A6F0_A1B2_C3FF_u128,
    ];
    (start, vec(1u128..=0x30, n), vec(0usize..=3, n), vec(any::<bool>(), n)).prop_map(
        |(start, gaps, pads, lowercase)| {
            let mut value = start;
            gaps.iter()
                .zip(&pads)
                .zip(&lowercase)
                .map(|((gap, pad), lowercase)| {
                    value += gap;
                    let text = format!("{}{value:X}", "0".repeat(*pad));
                    if *lowercase { text.to_ascii_lowercase() } else { text }
                })
                .collect()
        },
    )
}

fn ops(max: usize) -> impl Strategy<Value = Vec<Op>> {
    let put = (0u64..5_000, select(vec!["Put", "Copy", "CompleteMultipartUpload", "Post"]))
        .prop_map(|(size, how)| Op::Put { size, how });
    let op = prop_oneof![3 => put, 1 => Just(Op::Delete)];
    prop_oneof![
        6 => vec(op, 1..=max),
        // A key that is removed without ever having been created.
        1 => vec(Just(Op::Delete), 1..=max.min(3)),
    ]
}

/// One key's events: up to `max` operations, each with the next of `max` rising sequencers.
fn events(max: usize) -> impl Strategy<Value = Vec<Event>> {
    (ops(max), sequencers(max)).prop_map(|(ops, sequencers)| {
        ops.into_iter().zip(sequencers).map(|(op, sequencer)| Event { op, sequencer }).collect()
    })
}

/// Any history of up to `scale.keys` keys. The keys and their events are drawn apart (the i-th events
/// go to the i-th key chosen), so that a failing case sheds keys and events independently.
pub fn history(scale: Scale) -> impl Strategy<Value = History> {
    let keys = scale.keys.clamp(1, KEYS.len());
    (subsequence(KEYS.to_vec(), 1..=keys), vec(events(scale.events_per_key.max(1)), keys)).prop_map(
        |(keys, events)| History {
            keys: keys.into_iter().zip(events).map(|(key, events)| KeyHistory { key, events }).collect(),
        },
    )
}

/// How a history reaches the tracker, drawn without knowing the history (so that a failing case shrinks
/// its history and its delivery apart): [`Delivery::notifications`] and [`Delivery::faults`] apply it to
/// one. Its lists are as long as the largest history of its [`Scale`] needs; a smaller history uses their
/// beginnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// How often each record is sent beyond once (the i-th entry for the i-th of [`History::records`]).
    pub extra_copies: Vec<u8>,
    /// The order of the sent records: they are sorted by these keys (ties keep the history's order).
    pub record_order: Vec<u16>,
    /// How many records each notification holds, in turn.
    pub sizes: Vec<u8>,
    /// Whether each notification is sent twice (S3 delivering it again).
    pub resent: Vec<bool>,
    /// The order of the notifications, copies included: sorted by these keys.
    pub notification_order: Vec<u16>,
    /// Store calls that fail, and how: each at this many thousandths of the calls a delivery makes, about.
    pub faults: Vec<(u16, Fault)>,
    /// Store calls one record costs, about (from the [`Scale`]).
    pub calls_per_record: u64,
    /// When the k-th failed notification is delivered again: after this many others (the k-th entry,
    /// cycled).
    pub redelivery_gaps: Vec<usize>,
    /// How many notifications the k-th batch takes from the front of the queue (the k-th entry, cycled).
    pub batch_sizes: Vec<u8>,
}

impl Delivery {
    /// The records of `history` as sent, in order: each record once or more.
    fn sent(&self, history: &History) -> Vec<RecordRef> {
        let mut sent = Vec::new();
        for (i, record) in history.records().into_iter().enumerate() {
            for _ in 0..=self.extra_copies.get(i).copied().unwrap_or(0) {
                let j = sent.len();
                sent.push((self.record_order.get(j).copied().unwrap_or(0), j, record));
            }
        }
        sent.sort_by_key(|&(order, j, _)| (order, j));
        sent.into_iter().map(|(_, _, record)| record).collect()
    }

    /// The notifications, in the order they are first delivered (one sent twice is here twice); each
    /// holds its records in order.
    pub fn notifications(&self, history: &History) -> Vec<Vec<RecordRef>> {
        let sent = self.sent(history);
        let groups: Vec<&[RecordRef]> = {
            let mut groups = Vec::new();
            let mut rest = sent.as_slice();
            while !rest.is_empty() {
                let size = usize::from(self.sizes.get(groups.len()).copied().unwrap_or(1).max(1));
                let (group, tail) = rest.split_at(size.min(rest.len()));
                groups.push(group);
                rest = tail;
            }
            groups
        };
        let mut copies = Vec::new();
        for (i, group) in groups.iter().enumerate() {
            let times = if self.resent.get(i).copied().unwrap_or(false) { 2 } else { 1 };
            for _ in 0..times {
                let j = copies.len();
                copies.push((self.notification_order.get(j).copied().unwrap_or(0), j, group.to_vec()));
            }
        }
        copies.sort_by_key(|&(order, j, _)| (order, j));
        copies.into_iter().map(|(_, _, group)| group).collect()
    }

    /// The store calls that fail when `history` is delivered this way: call number (0 is the first) →
    /// how. What a call is depends on the store: a `Ledger` call on SQLite, a request (SDK retries
    /// included) on DynamoDB.
    pub fn faults(&self, history: &History) -> BTreeMap<u64, Fault> {
        let calls = self.calls_per_record * self.sent(history).len() as u64 + 2;
        self.faults.iter().map(|&(at, fault)| (u64::from(at) * calls / 1000, fault)).collect()
    }
}

fn fault() -> impl Strategy<Value = Fault> {
    let reach = prop_oneof![Just(Reach::Withheld), Just(Reach::Processed)];
    prop_oneof![
        Just(Fault::Unsent),
        reach.clone().prop_map(Fault::Throttling),
        reach.clone().prop_map(Fault::ServerError),
        reach.prop_map(Fault::TransactionCanceled),
    ]
}

/// Any delivery of a history of `scale`: each record sent once to `scale.copies` times, shuffled, cut
/// into notifications of 1 to `scale.records_per_notification` records, some notifications sent twice,
/// in any order, delivered in batches of 1 to `scale.notifications_per_batch` notifications, with up to
/// `scale.faults` failed store calls.
pub fn delivery(scale: Scale) -> impl Strategy<Value = Delivery> {
    let records = scale.keys.min(KEYS.len()) * scale.events_per_key;
    let copies = scale.copies.max(1);
    let sent = records * copies;
    let extra = prop_oneof![3 => Just(0u8), 1 => 0..=u8::try_from(copies - 1).unwrap_or(u8::MAX)];
    let size = 1..=u8::try_from(scale.records_per_notification).unwrap_or(u8::MAX).max(1);
    (
        vec(extra, records),
        vec(any::<u16>(), sent),
        vec(size, sent),
        vec(prop::bool::weighted(0.2), sent),
        vec(any::<u16>(), 2 * sent),
        vec((0u16..1000, fault()), 0..=scale.faults),
        vec(0usize..=4, 1..=4),
        vec(1..=u8::try_from(scale.notifications_per_batch).unwrap_or(u8::MAX).max(1), 1..=4),
    )
        .prop_map(
            move |(
                extra_copies,
                record_order,
                sizes,
                resent,
                notification_order,
                faults,
                gaps,
                batch_sizes,
            )| Delivery {
                extra_copies,
                record_order,
                sizes,
                resent,
                notification_order,
                faults,
                calls_per_record: scale.calls_per_record,
                redelivery_gaps: gaps,
                batch_sizes,
            },
        )
}

/// A history and one way of delivering it. Its `Debug` shows the delivery applied to the history.
#[derive(Clone)]
pub struct Case {
    pub history: History,
    pub delivery: Delivery,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("history", &self.history)
            .field("notifications", &self.delivery.notifications(&self.history))
            .field("failed_calls", &self.delivery.faults(&self.history))
            .field("redelivery_gaps", &self.delivery.redelivery_gaps)
            .finish()
    }
}

pub fn case(scale: Scale) -> impl Strategy<Value = Case> {
    (history(scale), delivery(scale)).prop_map(|(history, delivery)| Case { history, delivery })
}

/// How a run of deliveries ended when it did not end well.
#[derive(Debug)]
pub enum Failure {
    /// The store could not be reached: the peer is gone, which says nothing of the property.
    Unreachable(String),
    /// The tracker or the store did something wrong.
    Wrong(String),
}

/// What a delivery run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Deliveries {
    pub handled: usize,
    pub failed: usize,
}

/// Delivers every notification of `delivery` to `tracker` in batches (as an SQS event source mapping
/// does), each failed notification again later (at least once), until all are handled. Only injected
/// failures may happen: a batch in which a notification fails uses up at least one of them, so more such
/// batches than faults, or a failure that is not injected, is wrong.
pub async fn deliver(
    tracker: &Tracker,
    bucket: &str,
    history: &History,
    delivery: &Delivery,
) -> Result<Deliveries, Failure> {
    let notifications = delivery.notifications(history);
    let mut queue: VecDeque<usize> = (0..notifications.len()).collect();
    let faults = delivery.faults(history).len();
    let (mut batches, mut failed_batches) = (0usize, 0usize);
    let mut done = Deliveries::default();
    while !queue.is_empty() {
        let sizes = &delivery.batch_sizes;
        let size = if sizes.is_empty() { 1 } else { usize::from(sizes[batches % sizes.len()]) };
        let batch: Vec<usize> = queue.drain(..size.clamp(1, queue.len())).collect();
        batches += 1;
        let mut parsed = Vec::with_capacity(batch.len());
        for &n in &batch {
            parsed.push(
                history
                    .notification(bucket, &notifications[n])
                    .map_err(|e| Failure::Wrong(format!("notification {n} does not parse: {e}")))?,
            );
        }
        let refs: Vec<&Notification> = parsed.iter().collect();
        let mut failed = Vec::new();
        for (&n, result) in batch.iter().zip(tracker.handle_batch(&refs).await) {
            match result {
                Ok(_) => done.handled += 1,
                Err(error) if is_injected(&error) => failed.push(n),
                Err(error) if is_unreachable(&error) => {
                    return Err(Failure::Unreachable(ErrorChain(&error).to_string()));
                }
                Err(error) => {
                    return Err(Failure::Wrong(format!("notification {n} failed: {}", ErrorChain(&error))));
                }
            }
        }
        if !failed.is_empty() {
            failed_batches += 1;
            if failed_batches > faults {
                return Err(Failure::Wrong(format!(
                    "{failed_batches} batches failed, more than the {faults} injected faults"
                )));
            }
        }
        for n in failed {
            let gaps = &delivery.redelivery_gaps;
            let gap = if gaps.is_empty() { 0 } else { gaps[done.failed % gaps.len()] };
            done.failed += 1;
            queue.insert(gap.min(queue.len()), n);
        }
    }
    Ok(done)
}

/// Which calls of a ledger fail (the SQLite stand-in for `testkit::faults::FaultInjector`), in front of
/// it as a [`Wrapped`] ledger: a fault that reaches the service fails the call after it is applied (the
/// answer is lost), any other before. Calls are counted across `apply`, `seed` and `totals`.
pub struct Faults {
    faults: BTreeMap<u64, Fault>,
    calls: AtomicU64,
    injected: AtomicU64,
}

#[derive(Debug)]
struct Injected {
    call: u64,
    fault: Fault,
}

impl std::fmt::Display for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "call {} failed with {:?} ({})", self.call, self.fault, testkit::faults::INJECTED)
    }
}

impl std::error::Error for Injected {}

impl Faults {
    /// `inner`, the calls of `faults` failing.
    pub fn in_front_of(inner: Arc<dyn Ledger>, faults: BTreeMap<u64, Fault>) -> Wrapped<Self> {
        Wrapped::new(inner, Self { faults, calls: AtomicU64::new(0), injected: AtomicU64::new(0) })
    }

    /// How many calls failed on purpose so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Around for Faults {
    async fn around<'a, T: Send + 'a>(&'a self, _: LedgerCall, work: Work<'a, T>) -> Result<T, StoreError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let Some(&fault) = self.faults.get(&call) else { return work.await };
        self.injected.fetch_add(1, Ordering::SeqCst);
        if fault.reaches_service() {
            work.await?;
        }
        Err(StoreError::backend("sqlite", Injected { call, fault }))
    }
}
