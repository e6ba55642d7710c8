//! `tracker redrive`: drains a queue of S3 events (the events queue's dead-letter queue, or the on-failure
//! destination queue of the asynchronous deployment) into the events queue the tracker's Lambda function
//! consumes. A message is deleted from the source only after the destination took it, so a failure at any
//! point loses nothing (at worst an event is delivered twice, and the tracker skips one it applied before).
//! A body the tracker would refuse is not moved: it stays in the source and is named.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::fmt;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{BuildError, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{
    BatchResultErrorEntry, DeleteMessageBatchRequestEntry, Message, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use domain::ErrorChain;
use serde_json::value::RawValue;
use tracker::event::{Envelope, EventError, envelope_from_slice};

/// SQS's limits: ten messages per receive and per batch call, 256 KiB of bodies per batch call.
const BATCH: usize = 10;
const MAX_BATCH_BYTES: usize = 256 * 1024;
/// Short polls sample some of SQS's servers, so one empty answer does not mean an empty queue: after this
/// many empty receives in a row the queue is drained when it reports no visible message…
const EMPTY_RECEIVES: u32 = 3;
/// …and after this many, whatever it reports.
const MAX_EMPTY_RECEIVES: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How long a received message stays hidden from other receives: longer than a run, so one left
    /// behind is not received again in the same run.
    pub visibility_timeout_secs: i32,
    /// The most messages one run handles, so a queue that keeps filling cannot keep it going.
    pub max_messages: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self { visibility_timeout_secs: 300, max_messages: 100_000 }
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    pub from: String,
    pub to: String,
    /// Messages sent to `to` and deleted from `from`.
    pub moved: u64,
    /// Messages left in `from` because the tracker would refuse them, in the order they were received.
    pub left: Vec<Left>,
    /// About how many messages `from` still held at the end that this run never received: hidden by
    /// another consumer or an earlier run (they come back when their visibility timeout ends), or delayed.
    pub unseen: u64,
    /// The run stopped at this limit ([`Options::max_messages`]) with messages still in `from`.
    pub stopped_at_limit: Option<u64>,
}

impl Redrive {
    /// Everything the source held was moved.
    pub fn is_complete(&self) -> bool {
        self.left.is_empty() && self.unseen == 0 && self.stopped_at_limit.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub message_id: String,
    pub reason: String,
}

/// Why a message is not moved.
#[derive(Debug, thiserror::Error)]
pub enum Unmovable {
    #[error(transparent)]
    Malformed(#[from] EventError),
    #[error("an SQS batch of {0} messages, not one event: the events queue takes one event per message")]
    Batch(usize),
    #[error("the message has no body")]
    NoBody,
    #[error("SQS gave no receipt handle, so it could not be deleted")]
    NoReceiptHandle,
}

#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    #[error("--from and --to are the same queue ({0}): moving its messages into itself would never end")]
    SameQueue(String),
    #[error("{action} {queue} failed: {cause}")]
    Sqs {
        action: &'static str,
        queue: String,
        /// SQS's error code and message, or the whole chain when SQS did not answer.
        cause: String,
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
    #[error("{action} {queue} refused {} messages: {}", .refused.len(), Listed(.refused))]
    Refused { action: &'static str, queue: String, refused: Vec<Left> },
}

/// A run stopped by an error: what it did until then, and the error.
#[derive(Debug)]
pub struct Interrupted {
    pub so_far: Redrive,
    pub error: RedriveError,
}

/// Moves every message of `from` whose body the tracker understands into `to`; see the module's docs.
pub async fn redrive(
    sqs: &Client,
    from: &str,
    to: &str,
    options: Options,
) -> Result<Redrive, Box<Interrupted>> {
    let mut run = Redrive {
        from: from.to_owned(),
        to: to.to_owned(),
        moved: 0,
        left: Vec::new(),
        unseen: 0,
        stopped_at_limit: None,
    };
    match drain(sqs, &mut run, options).await {
        Ok(()) => Ok(run),
        Err(error) => Err(Box::new(Interrupted { so_far: run, error })),
    }
}

async fn drain(sqs: &Client, run: &mut Redrive, options: Options) -> Result<(), RedriveError> {
    // Both queues are checked before anything is received, so a wrong `--to` hides no message.
    if queue_arn(sqs, &run.from).await? == queue_arn(sqs, &run.to).await? {
        return Err(RedriveError::SameQueue(run.from.clone()));
    }
    let mut left_ids = HashSet::new();
    let mut handled = 0u64;
    let mut empty_in_a_row = 0u32;
    let mut at_limit = false;
    loop {
        let room = options.max_messages.saturating_sub(handled);
        if room == 0 {
            at_limit = true;
            break;
        }
        let messages =
            receive(sqs, &run.from, room.min(BATCH as u64), options.visibility_timeout_secs).await?;
        let mut outgoing = Vec::new();
        let mut new = 0u64;
        for message in messages {
            let message_id = message.message_id.clone().unwrap_or_else(|| "(no message id)".into());
            match movable(message) {
                Ok(message) => {
                    new += 1;
                    outgoing.push(message);
                }
                // Received again (its visibility timeout ended during the run): already reported.
                Err(_) if left_ids.contains(&message_id) => {}
                Err(reason) => {
                    tracing::info!(queue = run.from, message = message_id, %reason, "left in the source queue");
                    new += 1;
                    left_ids.insert(message_id.clone());
                    run.left.push(Left { message_id, reason: reason.to_string() });
                }
            }
        }
        handled += new;
        for chunk in chunks(outgoing) {
            move_chunk(sqs, run, chunk).await?;
        }
        if new > 0 {
            empty_in_a_row = 0;
            continue;
        }
        empty_in_a_row += 1;
        if empty_in_a_row >= MAX_EMPTY_RECEIVES
            || (empty_in_a_row >= EMPTY_RECEIVES && counts(sqs, &run.from).await?.visible == 0)
        {
            break;
        }
    }
    let counts = counts(sqs, &run.from).await?;
    run.unseen = (counts.visible + counts.hidden + counts.delayed).saturating_sub(run.left.len() as u64);
    run.stopped_at_limit = (at_limit && run.unseen > 0).then_some(options.max_messages);
    Ok(())
}

/// A message to move: the body to send, and the handle that deletes it from the source.
struct Outgoing {
    message_id: String,
    receipt_handle: String,
    body: String,
}

fn movable(message: Message) -> Result<Outgoing, Unmovable> {
    let body = message.body.ok_or(Unmovable::NoBody)?;
    match envelope_from_slice(body.as_bytes())? {
        Envelope::Single(_) => {}
        Envelope::Sqs(messages) => return Err(Unmovable::Batch(messages.len())),
    }
    let receipt_handle = message.receipt_handle.ok_or(Unmovable::NoReceiptHandle)?;
    Ok(Outgoing {
        message_id: message.message_id.unwrap_or_default(),
        receipt_handle,
        body: unwrap_destination_record(&body).unwrap_or(body),
    })
}

/// An on-failure destination record's `requestPayload`, byte for byte, so the events queue holds the S3
/// event itself. The same rule as the tracker's: an object with `requestContext` and `requestPayload`.
fn unwrap_destination_record(body: &str) -> Option<String> {
    let fields: HashMap<String, &RawValue> = serde_json::from_str(body).ok()?;
    if !fields.contains_key("requestContext") {
        return None;
    }
    fields.get("requestPayload").map(|payload| payload.get().to_owned())
}

/// Splits messages into batches SQS takes in one call.
fn chunks(messages: Vec<Outgoing>) -> Vec<Vec<Outgoing>> {
    let mut chunks: Vec<Vec<Outgoing>> = Vec::new();
    let mut bytes = 0;
    for message in messages {
        match chunks.last_mut() {
            Some(chunk) if chunk.len() < BATCH && bytes + message.body.len() <= MAX_BATCH_BYTES => {
                bytes += message.body.len();
                chunk.push(message);
            }
            _ => {
                bytes = message.body.len();
                chunks.push(vec![message]);
            }
        }
    }
    chunks
}

/// Sends a batch to `to`, then deletes from `from` what was sent. What `to` refused stays in `from`.
async fn move_chunk(sqs: &Client, run: &mut Redrive, chunk: Vec<Outgoing>) -> Result<(), RedriveError> {
    let sending = "sending to";
    let mut send = sqs.send_message_batch().queue_url(&run.to);
    for (index, message) in chunk.iter().enumerate() {
        let entry = SendMessageBatchRequestEntry::builder().id(index.to_string()).message_body(&message.body);
        send = send.entries(entry.build().map_err(|e| build_error(sending, &run.to, e))?);
    }
    let sent = send.send().await.map_err(|e| sqs_error(sending, &run.to, e))?;
    let send_refused = refusals(&chunk, sent.failed());

    let deleting = "deleting from";
    let sent_ids: HashSet<&str> = sent.successful().iter().map(|entry| entry.id()).collect();
    let mut delete = sqs.delete_message_batch().queue_url(&run.from);
    let mut deleted_any = false;
    for (index, message) in chunk.iter().enumerate() {
        if sent_ids.contains(index.to_string().as_str()) {
            let entry = DeleteMessageBatchRequestEntry::builder()
                .id(index.to_string())
                .receipt_handle(&message.receipt_handle);
            delete = delete.entries(entry.build().map_err(|e| build_error(deleting, &run.from, e))?);
            deleted_any = true;
        }
    }
    if deleted_any {
        let deleted = delete.send().await.map_err(|e| sqs_error(deleting, &run.from, e))?;
        run.moved += deleted.successful().len() as u64;
        tracing::info!(from = run.from, to = run.to, moved = deleted.successful().len(), "moved a batch");
        let delete_refused = refusals(&chunk, deleted.failed());
        if !delete_refused.is_empty() {
            // Already in `to`: moved again by the next run, and the tracker skips the duplicate.
            return Err(RedriveError::Refused {
                action: deleting,
                queue: run.from.clone(),
                refused: delete_refused,
            });
        }
    }
    if send_refused.is_empty() {
        Ok(())
    } else {
        Err(RedriveError::Refused { action: sending, queue: run.to.clone(), refused: send_refused })
    }
}

fn refusals(chunk: &[Outgoing], failed: &[BatchResultErrorEntry]) -> Vec<Left> {
    failed
        .iter()
        .map(|entry| Left {
            message_id: entry
                .id()
                .parse::<usize>()
                .ok()
                .and_then(|index| chunk.get(index))
                .map_or_else(|| format!("batch entry {}", entry.id()), |m| m.message_id.clone()),
            reason: match entry.message() {
                Some(message) => format!("{}: {message}", entry.code()),
                None => entry.code().to_owned(),
            },
        })
        .collect()
}

async fn receive(
    sqs: &Client,
    queue: &str,
    max: u64,
    visibility_timeout_secs: i32,
) -> Result<Vec<Message>, RedriveError> {
    let output = sqs
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(i32::try_from(max).unwrap_or(BATCH as i32))
        .visibility_timeout(visibility_timeout_secs)
        .wait_time_seconds(0)
        .send()
        .await
        .map_err(|e| sqs_error("receiving from", queue, e))?;
    Ok(output.messages.unwrap_or_default())
}

async fn queue_arn(sqs: &Client, queue: &str) -> Result<String, RedriveError> {
    let mut attributes = attributes(sqs, queue, &[QueueAttributeName::QueueArn]).await?;
    Ok(attributes.remove(&QueueAttributeName::QueueArn).unwrap_or_else(|| queue.to_owned()))
}

/// SQS's approximate counts of a queue's messages.
struct Counts {
    visible: u64,
    hidden: u64,
    delayed: u64,
}

async fn counts(sqs: &Client, queue: &str) -> Result<Counts, RedriveError> {
    use QueueAttributeName::{
        ApproximateNumberOfMessages, ApproximateNumberOfMessagesDelayed,
        ApproximateNumberOfMessagesNotVisible,
    };
    let names = [
        ApproximateNumberOfMessages,
        ApproximateNumberOfMessagesNotVisible,
        ApproximateNumberOfMessagesDelayed,
    ];
    let attributes = attributes(sqs, queue, &names).await?;
    let count = |name| attributes.get(&name).and_then(|value| value.parse().ok()).unwrap_or(0);
    Ok(Counts {
        visible: count(ApproximateNumberOfMessages),
        hidden: count(ApproximateNumberOfMessagesNotVisible),
        delayed: count(ApproximateNumberOfMessagesDelayed),
    })
}

async fn attributes(
    sqs: &Client,
    queue: &str,
    names: &[QueueAttributeName],
) -> Result<HashMap<QueueAttributeName, String>, RedriveError> {
    let output = sqs
        .get_queue_attributes()
        .queue_url(queue)
        .set_attribute_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(|e| sqs_error("reading the attributes of", queue, e))?;
    Ok(output.attributes.unwrap_or_default())
}

/// A failed SQS call: SQS's code and message when it answered (the SDK's own text says only "service
/// error"), else the whole chain (a connection that failed, a timeout…).
fn sqs_error<E, R>(action: &'static str, queue: &str, error: SdkError<E, R>) -> RedriveError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let cause = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => ErrorChain(&error).to_string(),
    };
    RedriveError::Sqs { action, queue: queue.to_owned(), cause, source: Box::new(error) }
}

/// A batch entry that could not be built (every field it needs is set: not expected).
fn build_error(action: &'static str, queue: &str, error: BuildError) -> RedriveError {
    let cause = ErrorChain(&error).to_string();
    RedriveError::Sqs { action, queue: queue.to_owned(), cause, source: Box::new(error) }
}

/// `id: reason, id: reason`.
struct Listed<'a>(&'a [Left]);

impl fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, left) in self.0.iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            write!(f, "{separator}{}: {}", left.message_id, left.reason)?;
        }
        Ok(())
    }
}

fn messages(n: u64) -> &'static str {
    if n == 1 { "message" } else { "messages" }
}

/// The summary: `moved 23 messages from A to B; 2 malformed left in A: id: reason, …`.
impl fmt::Display for Redrive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "moved {} {} from {} to {}; {} malformed left in {}",
            self.moved,
            messages(self.moved),
            self.from,
            self.to,
            self.left.len(),
            self.from
        )?;
        if !self.left.is_empty() {
            write!(f, ": {}", Listed(&self.left))?;
        }
        let (unseen, from) = (self.unseen, &self.from);
        match self.stopped_at_limit {
            Some(limit) => write!(
                f,
                "; stopped at the limit of {limit} {} per run, about {unseen} more in {from}: run again for \
                 the rest",
                messages(limit)
            )?,
            None if unseen > 0 => write!(
                f,
                "; about {unseen} more {} in {from} were hidden or delayed and not received: run again once \
                 their visibility timeout ends",
                messages(unseen)
            )?,
            None => {}
        }
        Ok(())
    }
}
