//! The outbox: every object change is on disk before the storage makes it, and stays there until the
//! tracker has applied its event, so a `kill -9` at any moment loses no change.
//!
//! The outbox is a folder of append-only segment files, `<number>.log` (numbers grow across runs), of
//! JSON lines:
//!
//! ```text
//! {"intent":7,"bucket":"b","key":"k","sequencer":"…"}   before the change: written and synced to disk
//! {"event":7,"notification":{"Records":[…]}}            after it: its S3 event, as it is delivered
//! {"delivered":[7,8]}                                   once the tracker has applied these
//! ```
//!
//! An entry whose intent has no `delivered` line is left for the next start: with its event, it is
//! delivered as recorded; without one (the process died during the change, or before the event reached
//! the disk) it is announced as the object is then stored, under the intent's sequencer, which every
//! later change outgrows. Only the intents wait for the disk (concurrent ones share one sync); a lost
//! event line leaves an intent, and a lost `delivered` line delivers an event twice, which the tracker
//! skips. A segment takes [`SEGMENT_INTENTS`] intents, and is removed once neither it nor an older one
//! holds an entry left to deliver (so every line about its entries is in it or in a newer segment); a
//! clean stop, with everything delivered, removes them all. A line that does not read (the end of a file
//! cut short) is skipped.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use serde_json::{Value, json};
use tokio::sync::oneshot;

/// How many intents a segment takes before the next one is started.
const SEGMENT_INTENTS: usize = 4_096;
const EXTENSION: &str = "log";

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("cannot read the outbox {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write the outbox {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: Arc<io::Error>,
    },
    #[error("the outbox has stopped")]
    Stopped,
}

/// One entry of the outbox, numbered across runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct EntryId(u64);

/// A change about to be made, recorded on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Intent {
    pub(crate) id: EntryId,
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) sequencer: String,
}

/// An entry a previous run left undelivered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Leftover {
    pub(crate) intent: Intent,
    /// The notification recorded after the change, if it reached the disk.
    pub(crate) notification: Option<Value>,
}

/// Records entries; clones share one writer, which runs until the last clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    commands: Sender<Command>,
}

/// The writer's thread, to wait for once every [`Outbox`] is gone.
#[derive(Debug)]
pub(crate) struct OutboxWriter {
    thread: JoinHandle<()>,
}

#[derive(Debug)]
enum Command {
    Intend {
        bucket: String,
        key: String,
        sequencer: String,
        reply: oneshot::Sender<Result<EntryId, OutboxError>>,
    },
    Event {
        id: EntryId,
        notification: Value,
    },
    Delivered {
        ids: Vec<EntryId>,
    },
}

/// Opens the outbox in `dir` (created if missing), and returns what earlier runs left undelivered,
/// oldest first. Those entries stay in the outbox until they are [delivered](Outbox::delivered).
pub(crate) fn open(dir: &Path) -> Result<(Outbox, OutboxWriter, Vec<Leftover>), OutboxError> {
    open_sized(dir, SEGMENT_INTENTS)
}

fn open_sized(
    dir: &Path,
    segment_intents: usize,
) -> Result<(Outbox, OutboxWriter, Vec<Leftover>), OutboxError> {
    let read_failed = |path: &Path| {
        let path = path.to_owned();
        move |source| OutboxError::Read { path, source }
    };
    std::fs::create_dir_all(dir).map_err(read_failed(dir))?;
    let mut earlier = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_failed(dir))? {
        let path = entry.map_err(read_failed(dir))?.path();
        if let Some(number) = segment_number(&path) {
            earlier.push(number);
        }
    }
    earlier.sort_unstable();

    let mut found = Found::default();
    for &number in &earlier {
        let path = segment_path(dir, number);
        let bytes = std::fs::read(&path).map_err(read_failed(&path))?;
        found.read(number, &path, &bytes);
    }
    let leftovers: Vec<Leftover> = found.entries.values().map(|(_, leftover)| leftover.clone()).collect();
    if !leftovers.is_empty() {
        tracing::info!(dir = %dir.display(), left = leftovers.len(), "changes left in the outbox by an earlier run");
    }

    let mut closed: VecDeque<Segment> = earlier.iter().map(|&number| Segment::new(number)).collect();
    let mut owners = HashMap::with_capacity(found.entries.len());
    for (&id, (number, _)) in &found.entries {
        owners.insert(id, *number);
        if let Some(segment) = closed.iter_mut().find(|segment| segment.number == *number) {
            segment.outstanding += 1;
        }
    }
    let next_segment = earlier.last().map_or(0, |last| last.saturating_add(1));
    let file = create_segment(dir, next_segment)?;
    let mut log = Log {
        dir: dir.to_owned(),
        closed,
        active: Segment::new(next_segment),
        file,
        next_id: found.max_id.map_or(0, |max| max.saturating_add(1)),
        owners,
        torn: false,
        segment_intents,
    };
    log.remove_delivered_segments();

    let (commands, received) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("outbox".into())
        .spawn(move || log.run(received))
        .map_err(|source| OutboxError::Write { path: dir.to_owned(), source: Arc::new(source) })?;
    Ok((Outbox { commands }, OutboxWriter { thread }, leftovers))
}

impl Outbox {
    /// Records that `key` is about to change, and returns once the record is on disk.
    pub(crate) async fn intend(
        &self,
        bucket: &str,
        key: &str,
        sequencer: String,
    ) -> Result<Intent, OutboxError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Intend {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            sequencer: sequencer.clone(),
            reply,
        };
        self.commands.send(command).map_err(|_| OutboxError::Stopped)?;
        let id = answer.await.map_err(|_| OutboxError::Stopped)??;
        Ok(Intent { id, bucket: bucket.to_owned(), key: key.to_owned(), sequencer })
    }

    /// Records the notification of a change that was made. Does not wait for the disk: should it not get
    /// there, the intent is announced as the object is stored at the next start.
    pub(crate) fn record_event(&self, id: EntryId, notification: &Value) {
        self.send(Command::Event { id, notification: notification.clone() });
    }

    /// Records that the tracker has applied these entries, which are then no longer kept.
    pub(crate) fn delivered(&self, ids: Vec<EntryId>) {
        if !ids.is_empty() {
            self.send(Command::Delivered { ids });
        }
    }

    fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            // Only after the writer failed unexpectedly: what was not recorded is resolved at the next start.
            tracing::error!("the outbox has stopped; an entry is not recorded");
        }
    }
}

impl OutboxWriter {
    /// Waits for the writer to stop, which it does once every [`Outbox`] is dropped; it then removes its
    /// files if nothing is left to deliver.
    pub(crate) async fn finish(self) {
        match tokio::task::spawn_blocking(move || self.thread.join()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => tracing::error!("the outbox writer failed"),
            Err(error) => tracing::error!(%error, "cannot wait for the outbox writer"),
        }
    }
}

fn segment_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:016}.{EXTENSION}"))
}

fn segment_number(path: &Path) -> Option<u64> {
    if path.extension()? != EXTENSION {
        return None;
    }
    path.file_stem()?.to_str()?.parse().ok()
}

/// Creates a segment, and syncs the folder so that the file itself survives a power cut.
fn create_segment(dir: &Path, number: u64) -> Result<File, OutboxError> {
    let path = segment_path(dir, number);
    let write_failed = |source| OutboxError::Write { path: path.clone(), source: Arc::new(source) };
    let file = OpenOptions::new().create_new(true).append(true).open(&path).map_err(write_failed)?;
    sync_dir(dir).map_err(write_failed)?;
    Ok(file)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// What the segments of earlier runs hold.
#[derive(Default)]
struct Found {
    /// Every entry not delivered, by id, with the segment of its intent.
    entries: BTreeMap<EntryId, (u64, Leftover)>,
    max_id: Option<u64>,
}

impl Found {
    fn read(&mut self, segment: u64, path: &Path, bytes: &[u8]) {
        for (index, line) in bytes.split(|&byte| byte == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed =
                serde_json::from_slice::<Value>(line).ok().and_then(|value| self.apply(segment, &value));
            if parsed.is_none() {
                tracing::warn!(path = %path.display(), line = index + 1, "an outbox line does not read; skipped");
            }
        }
    }

    /// Takes in one line; `None` when it is not one the outbox writes.
    fn apply(&mut self, segment: u64, line: &Value) -> Option<()> {
        let text = |name: &str| line.get(name).and_then(Value::as_str).map(str::to_owned);
        if let Some(id) = line.get("intent") {
            let id = self.id(id)?;
            let intent =
                Intent { id, bucket: text("bucket")?, key: text("key")?, sequencer: text("sequencer")? };
            self.entries.insert(id, (segment, Leftover { intent, notification: None }));
        } else if let Some(id) = line.get("event") {
            let id = self.id(id)?;
            let notification = line.get("notification")?.clone();
            if let Some((_, leftover)) = self.entries.get_mut(&id) {
                leftover.notification = Some(notification);
            }
        } else {
            for id in line.get("delivered")?.as_array()? {
                let id = self.id(id)?;
                self.entries.remove(&id);
            }
        }
        Some(())
    }

    fn id(&mut self, value: &Value) -> Option<EntryId> {
        let id = value.as_u64()?;
        self.max_id = Some(self.max_id.map_or(id, |max| max.max(id)));
        Some(EntryId(id))
    }
}

/// A segment file, and how many of the entries it holds the intent of are not delivered yet.
#[derive(Debug)]
struct Segment {
    number: u64,
    outstanding: usize,
    intents: usize,
}

impl Segment {
    fn new(number: u64) -> Self {
        Self { number, outstanding: 0, intents: 0 }
    }
}

/// The writer's state.
struct Log {
    dir: PathBuf,
    /// The segments that take no more lines, oldest first.
    closed: VecDeque<Segment>,
    /// The segment new lines go to, and its file.
    active: Segment,
    file: File,
    next_id: u64,
    /// The segment of each entry not yet delivered.
    owners: HashMap<EntryId, u64>,
    /// A write failed part-way, so the file may end inside a line.
    torn: bool,
    segment_intents: usize,
}

impl Log {
    fn run(mut self, commands: Receiver<Command>) {
        while let Ok(first) = commands.recv() {
            // Everything sent meanwhile is written at once, and shares one sync.
            let batch: Vec<Command> = std::iter::once(first).chain(commands.try_iter()).collect();
            self.write(batch);
        }
        self.close();
    }

    fn write(&mut self, batch: Vec<Command>) {
        let mut lines = Vec::new();
        if self.torn {
            lines.push(b'\n');
        }
        let (mut replies, mut delivered) = (Vec::new(), Vec::new());
        for command in batch {
            let line = match command {
                Command::Intend { bucket, key, sequencer, reply } => {
                    let id = EntryId(self.next_id);
                    self.next_id = self.next_id.saturating_add(1);
                    replies.push((id, reply));
                    json!({ "intent": id.0, "bucket": bucket, "key": key, "sequencer": sequencer })
                }
                Command::Event { id, notification } => json!({ "event": id.0, "notification": notification }),
                Command::Delivered { ids } => {
                    let line = json!({ "delivered": ids.iter().map(|id| id.0).collect::<Vec<_>>() });
                    delivered.extend(ids);
                    line
                }
            };
            // A JSON value always serialises, and escapes every line break it holds.
            if serde_json::to_writer(&mut lines, &line).is_ok() {
                lines.push(b'\n');
            }
        }

        let written = self
            .file
            .write_all(&lines)
            .and_then(|()| if replies.is_empty() { Ok(()) } else { self.file.sync_data() });
        let answers: Vec<_> = match written {
            Ok(()) => {
                self.torn = false;
                for (id, _) in &replies {
                    self.owners.insert(*id, self.active.number);
                    self.active.outstanding += 1;
                    self.active.intents += 1;
                }
                replies.into_iter().map(|(id, reply)| (reply, Ok(id))).collect()
            }
            Err(error) => {
                self.torn = true;
                let path = segment_path(&self.dir, self.active.number);
                tracing::error!(path = %path.display(), %error, "cannot write the outbox");
                let error = Arc::new(error);
                let failed = || Err(OutboxError::Write { path: path.clone(), source: Arc::clone(&error) });
                replies.into_iter().map(|(_, reply)| (reply, failed())).collect()
            }
        };

        // Even when the line did not reach the disk: the entry is applied, and at worst delivered again.
        for id in delivered {
            let Some(number) = self.owners.remove(&id) else { continue };
            let segment = std::iter::once(&mut self.active)
                .chain(self.closed.iter_mut())
                .find(|segment| segment.number == number);
            if let Some(segment) = segment {
                segment.outstanding = segment.outstanding.saturating_sub(1);
            }
        }
        if self.active.intents >= self.segment_intents {
            self.roll();
        }
        self.remove_delivered_segments();
        // Last, so that whoever waits for an intent finds the files as this batch leaves them.
        for (reply, answer) in answers {
            let _ = reply.send(answer);
        }
    }

    /// Starts the next segment; on failure, the current one takes more.
    fn roll(&mut self) {
        let number = self.active.number.saturating_add(1);
        match create_segment(&self.dir, number) {
            Ok(file) => {
                self.file = file;
                self.torn = false;
                let full = std::mem::replace(&mut self.active, Segment::new(number));
                self.closed.push_back(full);
            }
            Err(error) => tracing::error!(%error, "cannot start the next outbox segment"),
        }
    }

    /// Removes the oldest closed segments while they hold nothing left to deliver.
    fn remove_delivered_segments(&mut self) {
        while let Some(oldest) = self.closed.front().filter(|segment| segment.outstanding == 0) {
            let path = segment_path(&self.dir, oldest.number);
            if let Err(error) = std::fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), %error, "cannot remove a delivered outbox segment");
                break;
            }
            self.closed.pop_front();
        }
    }

    /// After the last command: with everything delivered, no file is left.
    fn close(self) {
        if !self.owners.is_empty() {
            tracing::info!(left = self.owners.len(), "changes left in the outbox for the next start");
            return;
        }
        let numbers = self.closed.iter().chain(std::iter::once(&self.active)).map(|segment| segment.number);
        for number in numbers {
            let path = segment_path(&self.dir, number);
            if let Err(error) = std::fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), %error, "cannot remove a delivered outbox segment");
            }
        }
        if let Err(error) = sync_dir(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), %error, "cannot sync the outbox folder");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments_in(dir: &Path) -> Vec<u64> {
        let mut numbers: Vec<u64> = std::fs::read_dir(dir)
            .expect("read the outbox")
            .filter_map(|entry| segment_number(&entry.expect("an entry").path()))
            .collect();
        numbers.sort_unstable();
        numbers
    }

    fn notification(n: u64) -> Value {
        json!({ "Records": [{ "n": n }] })
    }

    async fn intend(outbox: &Outbox, key: &str) -> Intent {
        outbox.intend("bucket", key, format!("{:032X}", 1)).await.expect("intend")
    }

    /// Stops the writer as a stop does once every holder is gone.
    async fn close(outbox: Outbox, writer: OutboxWriter) {
        drop(outbox);
        writer.finish().await;
    }

    #[tokio::test]
    async fn what_is_not_delivered_is_left_for_the_next_start_with_its_event_if_recorded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (outbox, writer, left) = open(dir.path()).expect("open");
        assert!(left.is_empty());
        let recorded = intend(&outbox, "recorded").await;
        let bare = intend(&outbox, "bare").await;
        let applied = intend(&outbox, "applied").await;
        outbox.record_event(recorded.id, &notification(1));
        outbox.record_event(applied.id, &notification(3));
        outbox.delivered(vec![applied.id]);
        close(outbox, writer).await;

        let (outbox, writer, left) = open(dir.path()).expect("reopen");
        assert_eq!(
            left,
            vec![
                Leftover { intent: recorded.clone(), notification: Some(notification(1)) },
                Leftover { intent: bare.clone(), notification: None },
            ]
        );
        let next = intend(&outbox, "next").await;
        assert!(next.id > applied.id, "ids grow across runs: {next:?} after {applied:?}");
        outbox.delivered(vec![recorded.id, bare.id, next.id]);
        close(outbox, writer).await;
        assert_eq!(segments_in(dir.path()), Vec::<u64>::new(), "everything delivered: no file is left");
        let (_, _, left) = open(dir.path()).expect("open again");
        assert!(left.is_empty(), "{left:?}");
    }

    #[tokio::test]
    async fn a_line_cut_short_or_unknown_is_skipped_and_the_others_are_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (outbox, writer, _) = open(dir.path()).expect("open");
        let kept = intend(&outbox, "kept").await;
        close(outbox, writer).await;
        let [segment] = segments_in(dir.path())[..] else { panic!("one segment") };
        let mut file = OpenOptions::new().append(true).open(segment_path(dir.path(), segment)).expect("file");
        file.write_all(b"{\"other\":1}\n\x00\x00\n{\"intent\":9,\"bucket\":\"bucket\",\"ke").expect("append");
        drop(file);

        let (_, _, left) = open(dir.path()).expect("reopen");
        assert_eq!(left, vec![Leftover { intent: kept, notification: None }]);
    }

    #[tokio::test]
    async fn a_segment_is_removed_once_it_and_every_older_one_is_delivered() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (outbox, writer, _) = open_sized(dir.path(), 2).expect("open");
        let mut intents = Vec::new();
        for n in 0..5 {
            intents.push(intend(&outbox, &format!("key-{n}")).await.id);
        }
        assert_eq!(segments_in(dir.path()), vec![0, 1, 2], "two intents a segment");

        // An intent waits for every command sent before it, so the files are as they are after those.
        outbox.delivered(intents[2..4].to_vec());
        let sixth = intend(&outbox, "key-5").await.id;
        assert_eq!(segments_in(dir.path()), vec![0, 1, 2, 3], "an older segment still holds an entry");

        outbox.delivered(intents[0..2].to_vec());
        let seventh = intend(&outbox, "key-6").await.id;
        assert_eq!(segments_in(dir.path()), vec![2, 3]);
        close(outbox, writer).await;

        let (_, _, left) = open(dir.path()).expect("reopen");
        let left: Vec<EntryId> = left.iter().map(|leftover| leftover.intent.id).collect();
        assert_eq!(left, vec![intents[4], sixth, seventh]);
    }
}
