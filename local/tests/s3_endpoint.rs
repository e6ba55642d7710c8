//! The local S3 endpoint, driven with the AWS SDK as every client of the system drives it: what it stores,
//! what it announces to the tracker, whom it lets in, and what survives a restart.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use domain::{BucketName, History, Ledger, StoreError, Totals};
use local::s3::{RunningS3, S3EndpointConfig, S3EndpointError, start};
use store_sqlite::SqliteStore;
use tempfile::TempDir;
use testkit::ledger::{Around, LedgerCall, Work, Wrapped};
use tracker::Tracker;
use tracker::event::compose::{OutgoingKind, OutgoingRecord, notification_json};

const PLOTS: &str = domain::PLOTS_PREFIX;

/// An endpoint on a free port over a fresh folder, with a tracker on a fresh SQLite file.
struct Stack {
    dir: TempDir,
    store: Arc<SqliteStore>,
    tracker: Tracker,
    running: RunningS3,
    s3: aws_sdk_s3::Client,
    bucket: BucketName,
}

impl Stack {
    async fn new(chaos: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(SqliteStore::open(&dir.path().join("history.sqlite3")).await.expect("sqlite"));
        Self::with_ledger(dir, Arc::clone(&store), store, chaos).await
    }

    async fn with_ledger(
        dir: TempDir,
        store: Arc<SqliteStore>,
        ledger: Arc<dyn Ledger>,
        chaos: bool,
    ) -> Self {
        let tracker = Tracker::new(ledger, tracker::TrackingRules::default());
        let running =
            start(config(&root_of(&dir), chaos), tracker.clone()).await.expect("start the endpoint");
        let s3 = client(&running).await;
        Self { dir, store, tracker, running, s3, bucket: local_bucket() }
    }

    /// Shuts the endpoint down and starts it again on the same folder, with the same tracker.
    async fn restart(self) -> Self {
        let Self { dir, store, tracker, running, bucket, .. } = self;
        running.shutdown().await;
        let running =
            start(config(&root_of(&dir), false), tracker.clone()).await.expect("restart the endpoint");
        let s3 = client(&running).await;
        Self { dir, store, tracker, running, s3, bucket }
    }

    async fn totals(&self) -> Totals {
        self.tracker.ledger().totals(&self.bucket).await.expect("totals")
    }

    async fn put(&self, key: &str, body: &[u8]) {
        self.s3
            .put_object()
            .bucket(self.bucket.as_str())
            .key(key)
            .body(ByteStream::from(body.to_vec()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key}: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
    }

    async fn delete(&self, key: &str) {
        self.s3
            .delete_object()
            .bucket(self.bucket.as_str())
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("delete {key}: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
    }

    async fn read(&self, key: &str) -> Vec<u8> {
        let object = self.s3.get_object().bucket(self.bucket.as_str()).key(key).send().await.expect("get");
        object.body.collect().await.expect("body").into_bytes().to_vec()
    }

    /// What a listing of the bucket says, outside the reserved prefix.
    async fn listed(&self) -> Totals {
        let mut totals = Totals::default();
        let mut pages = self.s3.list_objects_v2().bucket(self.bucket.as_str()).into_paginator().send();
        while let Some(page) = pages.next().await {
            for object in page.expect("list").contents() {
                if object.key().is_some_and(|key| !key.starts_with(PLOTS)) {
                    totals.size_bytes += u64::try_from(object.size().unwrap_or(0)).expect("size");
                    totals.object_count += 1;
                }
            }
        }
        totals
    }
}

fn root_of(dir: &TempDir) -> PathBuf {
    dir.path().join("s3")
}

fn local_bucket() -> BucketName {
    BucketName::parse(startup::local::BUCKET).expect("bucket name")
}

fn config(root: &Path, chaos: bool) -> S3EndpointConfig {
    S3EndpointConfig {
        root: root.to_owned(),
        outbox: root.with_file_name("outbox"),
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        bucket: local_bucket(),
        chaos,
    }
}

async fn client(running: &RunningS3) -> aws_sdk_s3::Client {
    startup::s3_client(&startup::local::sdk_config(&running.url()).await)
}

fn status<E>(error: &SdkError<E, HttpResponse>) -> Option<u16> {
    error.raw_response().map(|response| response.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_change_keeps_the_totals_equal_to_the_listing() {
    let stack = Stack::new(false).await;
    let bucket = stack.bucket.as_str();
    stack.put("a.txt", &[b'a'; 10]).await;
    stack.put("b.txt", &[b'b'; 20]).await;
    stack.put("a.txt", &[b'A'; 5]).await;
    stack
        .s3
        .copy_object()
        .copy_source(format!("{bucket}/b.txt"))
        .bucket(bucket)
        .key("c.txt")
        .send()
        .await
        .expect("copy");
    stack.delete("b.txt").await;

    let upload =
        stack.s3.create_multipart_upload().bucket(bucket).key("d.bin").send().await.expect("create upload");
    let upload_id = upload.upload_id().expect("upload id");
    let part = stack
        .s3
        .upload_part()
        .bucket(bucket)
        .key("d.bin")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from(vec![7_u8; 7]))
        .send()
        .await
        .expect("upload part");
    let completed = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).set_e_tag(part.e_tag().map(str::to_owned)).build())
        .build();
    stack
        .s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key("d.bin")
        .upload_id(upload_id)
        .multipart_upload(completed)
        .send()
        .await
        .expect("complete upload");

    stack.put("plots/plot.png", &[0; 100]).await;
    stack.put("e.txt", &[b'e'; 3]).await;
    let doomed = ["c.txt", "e.txt", "never-there.txt"]
        .map(|key| ObjectIdentifier::builder().key(key).build().expect("identifier"));
    let answer = stack
        .s3
        .delete_objects()
        .bucket(bucket)
        .delete(Delete::builder().set_objects(Some(doomed.to_vec())).build().expect("delete"))
        .send()
        .await
        .expect("delete objects");
    assert_eq!(answer.deleted().len(), 3);
    assert!(answer.errors().is_empty(), "{:?}", answer.errors());

    stack.running.settled().await.expect("every notification delivered");
    let expected = Totals { size_bytes: 5 + 7, object_count: 2 };
    assert_eq!(stack.totals().await, expected);
    assert_eq!(stack.listed().await, expected);
    assert_eq!(stack.read("d.bin").await, vec![7_u8; 7]);
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_classic_scenario_gives_its_four_samples() {
    let stack = Stack::new(false).await;
    stack.put("assignment1.txt", b"Empty Assignment 1").await;
    stack.put("assignment1.txt", b"Empty Assignment 2222222222").await;
    stack.delete("assignment1.txt").await;
    stack.put("assignment2.txt", b"33").await;
    stack.running.settled().await.expect("every notification delivered");

    let window = stack.store.window(&stack.bucket, 0, i64::MAX).await.expect("window");
    let sizes: Vec<u64> = window.samples.iter().map(|sample| sample.size_bytes).collect();
    assert_eq!(sizes, [18, 27, 0, 2]);
    assert_eq!(stack.totals().await, Totals { size_bytes: 2, object_count: 1 });
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_with_spaces_plus_slashes_and_accents_reach_the_ledger_decoded() {
    let stack = Stack::new(false).await;
    let keys = ["reports/2026 Q3+final été.txt", "a b/c+d/ü ñ 日本.txt"];
    for key in keys {
        stack.put(key, key.as_bytes()).await;
        assert_eq!(stack.read(key).await, key.as_bytes());
    }
    stack.running.settled().await.expect("every notification delivered");
    let size: usize = keys.iter().map(|key| key.len()).sum();
    assert_eq!(stack.totals().await, Totals { size_bytes: size as u64, object_count: 2 });

    // A ledger that knew these keys under other names would take the listed ones as new.
    let report = tracker::reconcile::reconcile(
        &stack.s3,
        stack.tracker.ledger().as_ref(),
        &stack.bucket,
        &[PLOTS.into()],
        |_| {},
    )
    .await
    .expect("reconcile");
    assert_eq!((report.progress.listed, report.progress.added), (2, 0));

    stack.delete(keys[0]).await;
    stack.running.settled().await.expect("every notification delivered");
    assert_eq!(stack.totals().await, Totals { size_bytes: keys[1].len() as u64, object_count: 1 });
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_urls_open_and_altered_or_unsigned_requests_are_refused() {
    let stack = Stack::new(false).await;
    let bucket = stack.bucket.as_str();
    stack.put("plots/plot.png", b"the plot").await;
    stack.put("plots/other.png", b"another plot").await;
    let presigned = stack
        .s3
        .get_object()
        .bucket(bucket)
        .key("plots/plot.png")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).expect("presigning"))
        .await
        .expect("presign");
    let url = presigned.uri().to_owned();
    let http = reqwest::Client::new();

    let opened = http.get(&url).send().await.expect("GET");
    assert_eq!(opened.status().as_u16(), 200);
    assert_eq!(opened.bytes().await.expect("body").as_ref(), b"the plot");

    let marker = "X-Amz-Signature=";
    let at = url.find(marker).expect("a signature") + marker.len();
    let flipped = if url.as_bytes()[at] == b'0' { "1" } else { "0" };
    let altered_signature = format!("{}{flipped}{}", &url[..at], &url[at + 1..]);
    let other_key = url.replacen("/plots/plot.png?", "/plots/other.png?", 1);
    assert_ne!(other_key, url);
    let unsigned = url.split('?').next().expect("path").to_owned();
    for refused in [altered_signature, other_key, unsigned] {
        let answer = http.get(&refused).send().await.expect("GET");
        assert_eq!(answer.status().as_u16(), 403, "{refused}");
    }

    let unsigned_put =
        http.put(format!("{}/{bucket}/sneaked.txt", stack.running.url())).body("x").send().await;
    assert_eq!(unsigned_put.expect("PUT").status().as_u16(), 403);

    let wrong_secret = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(startup::local::REGION))
        .endpoint_url(stack.running.url())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            startup::local::ACCESS_KEY_ID,
            "not-the-secret",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    let intruder = startup::s3_client(&wrong_secret);
    let refused =
        intruder.get_object().bucket(bucket).key("plots/plot.png").send().await.expect_err("refused");
    assert_eq!(status(&refused), Some(403));
    let refused = intruder
        .put_object()
        .bucket(bucket)
        .key("sneaked.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("refused");
    assert_eq!(status(&refused), Some(403));

    let missing = stack.s3.head_object().bucket(bucket).key("sneaked.txt").send().await.expect_err("absent");
    assert_eq!(status(&missing), Some(404));
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_objects_remain_and_new_events_follow_the_old_ones() {
    let stack = Stack::new(false).await;
    stack.put("kept.txt", &[1; 40]).await;
    stack.put("changed.txt", &[2; 30]).await;
    stack.running.settled().await.expect("every notification delivered");
    assert_eq!(stack.totals().await, Totals { size_bytes: 70, object_count: 2 });

    let stack = stack.restart().await;
    assert_eq!(stack.read("kept.txt").await, vec![1; 40]);

    // Each change is applied only if its sequencer is newer than the one recorded before the restart.
    stack.put("changed.txt", &[3; 3]).await;
    stack.running.settled().await.expect("every notification delivered");
    assert_eq!(stack.totals().await, Totals { size_bytes: 43, object_count: 2 });
    stack.delete("kept.txt").await;
    stack.running.settled().await.expect("every notification delivered");
    assert_eq!(stack.totals().await, Totals { size_bytes: 3, object_count: 1 });
    assert_eq!(stack.listed().await, stack.totals().await);
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_listed_as_each_objects_null_version_a_page_at_a_time() {
    let stack = Stack::new(false).await;
    stack.put("a.txt", &[1; 4]).await;
    stack.put("b/c.txt", &[2; 5]).await;
    stack.put("b/d.txt", &[3; 6]).await;
    stack.put("b/d.txt", &[4; 7]).await;
    stack.running.settled().await.expect("every notification delivered");

    let list = |markers: (Option<String>, Option<String>)| {
        stack
            .s3
            .list_object_versions()
            .bucket(stack.bucket.as_str())
            .set_key_marker(markers.0)
            .set_version_id_marker(markers.1)
            .max_keys(2)
            .send()
    };
    let first = list((None, None)).await.expect("first page of versions");
    let listed = |page: &aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput| {
        page.versions()
            .iter()
            .map(|v| (v.key().unwrap_or_default().to_owned(), v.version_id(), v.is_latest(), v.size()))
            .map(|(key, version, latest, size)| (key, version.map(str::to_owned), latest, size))
            .collect::<Vec<_>>()
    };
    let null = Some("null".to_owned());
    assert_eq!(
        listed(&first),
        [
            ("a.txt".to_owned(), null.clone(), Some(true), Some(4)),
            ("b/c.txt".to_owned(), null.clone(), Some(true), Some(5))
        ]
    );
    assert!(first.delete_markers().is_empty());
    assert_eq!(first.is_truncated(), Some(true));
    assert_eq!((first.next_key_marker(), first.next_version_id_marker()), (Some("b/c.txt"), Some("null")));

    let markers =
        (first.next_key_marker().map(str::to_owned), first.next_version_id_marker().map(str::to_owned));
    let second = list(markers).await.expect("second page of versions");
    assert_eq!(listed(&second), [("b/d.txt".to_owned(), null, Some(true), Some(7))]);
    assert_eq!(second.is_truncated(), Some(false));
    assert_eq!(second.next_key_marker(), None);

    // Without versioning, a bucket's versions are its objects: both series agree with both listings.
    let all_versions = domain::Series::AllVersions.of(&stack.bucket);
    let tracked = stack.tracker.ledger().totals(&all_versions).await.expect("all-versions totals");
    assert_eq!(testkit::listed_version_totals(&stack.s3, stack.bucket.as_str()).await, tracked);
    assert_eq!(tracked, Totals { size_bytes: 16, object_count: 3 });
    assert_eq!(stack.listed().await, stack.totals().await);
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaotic_delivery_still_gives_exact_totals() {
    let stack = Arc::new(Stack::new(true).await);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let stack = Arc::clone(&stack);
        workers.spawn(async move {
            for _ in 0..75 {
                let key = format!("chaos/key-{:02}.bin", fastrand::usize(0..20));
                if fastrand::f64() < 0.3 {
                    stack.delete(&key).await;
                } else {
                    stack.put(&key, &vec![b'x'; fastrand::usize(0..=300)]).await;
                }
            }
        });
    }
    while let Some(worker) = workers.join_next().await {
        worker.expect("worker");
    }
    stack.running.settled().await.expect("every notification delivered");
    let listed = stack.listed().await;
    assert!(listed.object_count > 0);
    assert_eq!(stack.totals().await, listed);
}

/// Makes a ledger slow, and fails its first few writes (in front of it, as a [`Wrapped`] one).
struct Unreliable {
    failures_left: AtomicU32,
    delay: Duration,
}

#[async_trait]
impl Around for Unreliable {
    async fn around<'a, T: Send + 'a>(
        &'a self,
        call: LedgerCall,
        work: Work<'a, T>,
    ) -> Result<T, StoreError> {
        if call == LedgerCall::ApplyBatch {
            tokio::time::sleep(self.delay).await;
            let fail =
                self.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            if fail.is_ok() {
                return Err(StoreError::backend("test", "unavailable"));
            }
        }
        work.await
    }
}

async fn unreliable_stack(failures: u32, delay: Duration) -> Stack {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(&dir.path().join("history.sqlite3")).await.expect("sqlite"));
    let ledger =
        Arc::new(Wrapped::new(store.clone(), Unreliable { failures_left: AtomicU32::new(failures), delay }));
    Stack::with_ledger(dir, store, ledger, false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_until_applied() {
    let stack = unreliable_stack(4, Duration::ZERO).await;
    stack.put("a.txt", &[0; 11]).await;
    stack.put("b.txt", &[0; 22]).await;
    stack.running.settled().await.expect("every notification delivered");
    assert_eq!(stack.totals().await, Totals { size_bytes: 33, object_count: 2 });
    stack.running.shutdown().await;
}

/// A store that keeps failing never lets the notifications through: waiting for them ends with an
/// error naming how many are pending, not a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_keeps_failing_is_reported_not_waited_for() {
    let stack = unreliable_stack(u32::MAX, Duration::ZERO).await;
    stack.put("a.txt", &[0; 11]).await;
    let error = stack.running.settled_within(Duration::from_millis(500)).await.unwrap_err();
    assert_eq!(error.pending, 1, "{error}");
    assert_eq!(stack.totals().await, Totals::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_delivers_every_pending_notification() {
    let stack = unreliable_stack(0, Duration::from_millis(20)).await;
    for n in 0..20 {
        stack.put(&format!("pending-{n}.txt"), &[0; 5]).await;
    }
    let Stack { running, tracker, bucket, dir: _dir, .. } = stack;
    running.shutdown().await;
    assert_eq!(
        tracker.ledger().totals(&bucket).await.expect("totals"),
        Totals { size_bytes: 100, object_count: 20 }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_in_use_is_named_in_the_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("history.sqlite3")).await.expect("sqlite");
    let tracker = Tracker::new(Arc::new(store), tracker::TrackingRules::default());
    let config = S3EndpointConfig { addr, ..config(&root_of(&dir), false) };
    let error = match start(config, tracker).await {
        Ok(_) => panic!("started on an address in use"),
        Err(error) => error,
    };
    assert!(matches!(error, S3EndpointError::AddressInUse { .. }), "{error:?}");
    assert!(error.to_string().contains(&addr.to_string()), "{error}");
}

/// The error code of an S3 answer, as the client parsed it.
fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<&str> {
    error.as_service_error().and_then(aws_sdk_s3::error::ProvideErrorMetadata::code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_is_never_deleted_under_an_acknowledged_put() {
    let stack = Stack::new(false).await;
    let s3 = &stack.s3;
    let bucket = "short-lived";
    for round in 0..40 {
        s3.create_bucket().bucket(bucket).send().await.expect("create bucket");
        let puts: Vec<_> = (0..6)
            .map(|n| {
                let s3 = s3.clone();
                tokio::spawn(async move {
                    let key = format!("key-{n}");
                    let put = s3.put_object().bucket(bucket).key(&key).body(ByteStream::from_static(b"x"));
                    (key, put.send().await.map_err(|error| code(&error).map(str::to_owned)))
                })
            })
            .collect();
        let delete = {
            let s3 = s3.clone();
            tokio::spawn(async move {
                s3.delete_bucket()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|error| code(&error).map(str::to_owned))
            })
        };
        let deleted = delete.await.expect("delete task");
        let mut acknowledged = Vec::new();
        for put in puts {
            let (key, answer) = put.await.expect("put task");
            match answer {
                Ok(_) => acknowledged.push(key),
                Err(code) => assert_eq!(code.as_deref(), Some("NoSuchBucket"), "round {round}: put {key}"),
            }
        }
        match &deleted {
            Ok(_) => assert!(acknowledged.is_empty(), "round {round}: deleted under {acknowledged:?}"),
            Err(code) => assert_eq!(code.as_deref(), Some("BucketNotEmpty"), "round {round}"),
        }
        for key in &acknowledged {
            let head = s3.head_object().bucket(bucket).key(key).send().await;
            assert!(head.is_ok(), "round {round}: acknowledged {key} is gone: {head:?}");
            s3.delete_object().bucket(bucket).key(key).send().await.expect("delete object");
        }
        if deleted.is_err() || !acknowledged.is_empty() {
            s3.delete_bucket().bucket(bucket).send().await.expect("delete the emptied bucket");
        }
    }
    stack.running.settled().await.expect("every notification delivered");
    let name = BucketName::parse(bucket).expect("bucket name");
    assert_eq!(stack.tracker.ledger().totals(&name).await.expect("totals"), Totals::default());
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_to_a_missing_bucket_answer_no_such_bucket() {
    let stack = Stack::new(false).await;
    let s3 = &stack.s3;
    let (missing, gone) = ("never-created", "gone-bucket");
    let no_such_bucket =
        |answer: Option<&str>, what: &str| assert_eq!(answer, Some("NoSuchBucket"), "{what}");

    let put = s3.put_object().bucket(missing).key("a.txt").body(ByteStream::from_static(b"x")).send().await;
    no_such_bucket(put.as_ref().err().and_then(code), "put");
    stack.put("source.txt", b"source").await;
    let copy = s3
        .copy_object()
        .copy_source(format!("{}/source.txt", stack.bucket.as_str()))
        .bucket(missing)
        .key("copied.txt")
        .send()
        .await;
    no_such_bucket(copy.as_ref().err().and_then(code), "copy");
    let create = s3.create_multipart_upload().bucket(missing).key("big.bin").send().await;
    no_such_bucket(create.as_ref().err().and_then(code), "create upload");

    // An upload whose bucket is deleted while it runs.
    s3.create_bucket().bucket(gone).send().await.expect("create bucket");
    let upload =
        s3.create_multipart_upload().bucket(gone).key("big.bin").send().await.expect("create upload");
    let upload_id = upload.upload_id().expect("upload id");
    let part = s3
        .upload_part()
        .bucket(gone)
        .key("big.bin")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from(vec![1_u8; 3]))
        .send()
        .await
        .expect("upload part");
    s3.delete_bucket().bucket(gone).send().await.expect("delete bucket");
    let second = s3
        .upload_part()
        .bucket(gone)
        .key("big.bin")
        .upload_id(upload_id)
        .part_number(2)
        .body(ByteStream::from(vec![2_u8; 3]))
        .send()
        .await;
    no_such_bucket(second.as_ref().err().and_then(code), "upload part");
    let completed = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).set_e_tag(part.e_tag().map(str::to_owned)).build())
        .build();
    let complete = s3
        .complete_multipart_upload()
        .bucket(gone)
        .key("big.bin")
        .upload_id(upload_id)
        .multipart_upload(completed)
        .send()
        .await;
    no_such_bucket(complete.as_ref().err().and_then(code), "complete upload");

    let buckets = s3.list_buckets().send().await.expect("list buckets");
    let names: Vec<_> = buckets.buckets().iter().filter_map(|bucket| bucket.name()).collect();
    assert_eq!(names, [stack.bucket.as_str()]);
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_ending_in_a_slash_are_refused_by_every_write() {
    let stack = Stack::new(false).await;
    let bucket = stack.bucket.as_str();
    stack.put("source.txt", &[b's'; 8]).await;

    let refused = stack
        .s3
        .put_object()
        .bucket(bucket)
        .key("folder/")
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .expect_err("put refused");
    assert_eq!((status(&refused), code(&refused)), (Some(400), Some("InvalidArgument")), "{refused:?}");
    let refused = stack
        .s3
        .copy_object()
        .copy_source(format!("{bucket}/source.txt"))
        .bucket(bucket)
        .key("copied/")
        .send()
        .await
        .expect_err("copy refused");
    assert_eq!((status(&refused), code(&refused)), (Some(400), Some("InvalidArgument")), "{refused:?}");
    let refused =
        stack.s3.create_multipart_upload().bucket(bucket).key("multi/").send().await.expect_err("refused");
    assert_eq!((status(&refused), code(&refused)), (Some(400), Some("InvalidArgument")), "{refused:?}");

    // An upload begun under an ordinary key cannot be completed under a folder's.
    let upload =
        stack.s3.create_multipart_upload().bucket(bucket).key("multi").send().await.expect("create upload");
    let upload_id = upload.upload_id().expect("upload id");
    let part = stack
        .s3
        .upload_part()
        .bucket(bucket)
        .key("multi")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from(vec![7_u8; 7]))
        .send()
        .await
        .expect("upload part");
    let completed = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).set_e_tag(part.e_tag().map(str::to_owned)).build())
        .build();
    let refused = stack
        .s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key("multi/")
        .upload_id(upload_id)
        .multipart_upload(completed)
        .send()
        .await
        .expect_err("complete refused");
    assert_eq!((status(&refused), code(&refused)), (Some(400), Some("InvalidArgument")), "{refused:?}");

    stack.running.settled().await.expect("every notification delivered");
    let expected = Totals { size_bytes: 8, object_count: 1 };
    assert_eq!(stack.listed().await, expected);
    assert_eq!(stack.totals().await, expected);
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_the_file_system_cannot_name_is_refused_with_a_clear_error() {
    let stack = Stack::new(false).await;
    let bucket = stack.bucket.as_str();
    let long_segment = format!("a/{}.txt", "s".repeat(256));
    let long_key = "abcdefghi/".repeat(20) + "end.txt";
    let too_long = "k".repeat(1025);
    for (key, expected) in [
        (long_segment.as_str(), "InvalidArgument"),
        (long_key.as_str(), "InvalidArgument"),
        (too_long.as_str(), "KeyTooLongError"),
    ] {
        let refused = stack
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect_err("refused");
        assert_eq!((status(&refused), code(&refused)), (Some(400), Some(expected)), "{key}: {refused:?}");
        let refused =
            stack.s3.create_multipart_upload().bucket(bucket).key(key).send().await.expect_err("refused");
        assert_eq!((status(&refused), code(&refused)), (Some(400), Some(expected)), "{key}: {refused:?}");
    }
    let refused = stack
        .s3
        .put_object()
        .bucket(bucket)
        .key(long_key.as_str())
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("refused");
    let message = aws_sdk_s3::error::ProvideErrorMetadata::message(&refused).unwrap_or_default();
    assert!(message.contains("at most") && message.contains(bucket), "{message}");

    // A key well within the limit, with a long segment, is stored and tracked.
    let fitting = format!("a/{}.txt", "s".repeat(90));
    stack.put(&fitting, b"fits").await;
    assert_eq!(stack.read(&fitting).await, b"fits");
    stack.running.settled().await.expect("every notification delivered");
    let expected = Totals { size_bytes: 4, object_count: 1 };
    assert_eq!(stack.listed().await, expected);
    assert_eq!(stack.totals().await, expected);
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_refused_for_its_digest_leaves_the_stored_object_as_it_was() {
    let stack = Stack::new(false).await;
    let bucket = stack.bucket.as_str();
    stack.put("kept.txt", &[b'k'; 10]).await;

    // The MD5 and the CRC32 of other bytes than the body's.
    let wrong_md5 = "1B2M2Y8AsgTpgAmY7PhCfg==";
    let refused = stack
        .s3
        .put_object()
        .bucket(bucket)
        .key("kept.txt")
        .content_md5(wrong_md5)
        .body(ByteStream::from(vec![b'x'; 20]))
        .send()
        .await
        .expect_err("a wrong Content-MD5 is refused");
    assert_eq!((status(&refused), code(&refused)), (Some(400), Some("BadDigest")), "{refused:?}");
    let refused = stack
        .s3
        .put_object()
        .bucket(bucket)
        .key("kept.txt")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from(vec![b'y'; 30]))
        .send()
        .await
        .expect_err("a wrong CRC32 is refused");
    assert_eq!((status(&refused), code(&refused)), (Some(400), Some("BadDigest")), "{refused:?}");
    let refused = stack
        .s3
        .put_object()
        .bucket(bucket)
        .key("new.txt")
        .content_md5(wrong_md5)
        .body(ByteStream::from(vec![b'z'; 5]))
        .send()
        .await
        .expect_err("a wrong Content-MD5 is refused");
    assert_eq!(code(&refused), Some("BadDigest"), "{refused:?}");

    assert_eq!(stack.read("kept.txt").await, vec![b'k'; 10]);
    stack.running.settled().await.expect("every notification delivered");
    let expected = Totals { size_bytes: 10, object_count: 1 };
    assert_eq!(stack.totals().await, expected);
    assert_eq!(stack.listed().await, expected);

    // Right digests pass.
    let body = vec![b'r'; 20];
    stack
        .s3
        .put_object()
        .bucket(bucket)
        .key("kept.txt")
        .content_md5("mkBH4UsIXogOXq8A9Ys1QA==")
        .checksum_crc32("es8uiQ==")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("right digests pass");
    assert_eq!(stack.read("kept.txt").await, body);
    stack.running.settled().await.expect("every notification delivered");
    assert_eq!(stack.totals().await, Totals { size_bytes: 20, object_count: 1 });
    stack.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_refused_for_its_digest_is_not_stored_and_a_right_one_completes_the_upload() {
    let stack = Stack::new(false).await;
    let bucket = stack.bucket.as_str();
    let upload =
        stack.s3.create_multipart_upload().bucket(bucket).key("big.bin").send().await.expect("create upload");
    let upload_id = upload.upload_id().expect("upload id");
    let part = |md5: &'static str, body: Vec<u8>| {
        stack
            .s3
            .upload_part()
            .bucket(bucket)
            .key("big.bin")
            .upload_id(upload_id)
            .part_number(1)
            .content_md5(md5)
            .body(ByteStream::from(body))
            .send()
    };
    // The MD5 of 20 bytes `r`, sent with other bytes; then with its own.
    let refused = part("mkBH4UsIXogOXq8A9Ys1QA==", vec![b'x'; 20]).await.expect_err("a wrong Content-MD5");
    assert_eq!((status(&refused), code(&refused)), (Some(400), Some("BadDigest")), "{refused:?}");
    let stored = part("mkBH4UsIXogOXq8A9Ys1QA==", vec![b'r'; 20]).await.expect("the right Content-MD5");
    let completed = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).set_e_tag(stored.e_tag().map(str::to_owned)).build())
        .build();
    stack
        .s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key("big.bin")
        .upload_id(upload_id)
        .multipart_upload(completed)
        .send()
        .await
        .expect("complete upload");
    assert_eq!(stack.read("big.bin").await, vec![b'r'; 20]);
    stack.running.settled().await.expect("every notification delivered");
    let expected = Totals { size_bytes: 20, object_count: 1 };
    assert_eq!(stack.totals().await, expected);
    assert_eq!(stack.listed().await, expected);
    stack.running.shutdown().await;
}

/// The segment files in the outbox beside the storage folder.
fn outbox_files(dir: &TempDir) -> Vec<PathBuf> {
    let outbox = dir.path().join("outbox");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&outbox)
        .expect("the outbox folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "log"))
        .collect();
    files.sort();
    files
}

/// What a crash leaves: objects changed on disk, and the outbox lines of the changes (an intent, and
/// for some the event), undelivered. The next start delivers them, and the totals equal the listing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_a_crash_left_in_the_outbox_are_delivered_at_the_next_start() {
    let stack = Stack::new(false).await;
    stack.put("overwritten.txt", &[1; 10]).await;
    stack.put("deleted.txt", &[2; 5]).await;
    stack.running.settled().await.expect("every notification delivered");
    let Stack { dir, store, tracker, running, bucket, .. } = stack;
    running.shutdown().await;
    assert_eq!(outbox_files(&dir), Vec::<PathBuf>::new(), "a stop with everything delivered empties it");

    // Sequencers of the run that crashed: its epoch, with counters past those the puts took.
    let root = root_of(&dir);
    let epoch = std::fs::read_to_string(root.join(".sequencer-epoch")).expect("the epoch");
    let sequencer = |counter: u64| format!("{}{counter:016X}", epoch.trim());
    let objects = root.join(bucket.as_str());
    std::fs::write(objects.join("overwritten.txt"), [3; 25]).expect("overwrite");
    std::fs::remove_file(objects.join("deleted.txt")).expect("delete");
    std::fs::write(objects.join("added.txt"), [4; 9]).expect("add");
    let event = notification_json(&[OutgoingRecord {
        bucket: bucket.as_str().to_owned(),
        key: "added.txt".to_owned(),
        kind: OutgoingKind::Created { how: "Put", size: 9, etag: "e".to_owned() },
        sequencer: sequencer(0x102),
        time: chrono::Utc::now(),
    }]);
    let lines = [
        serde_json::json!({ "intent": 0, "bucket": bucket.as_str(), "key": "overwritten.txt", "sequencer": sequencer(0x100) }),
        serde_json::json!({ "intent": 1, "bucket": bucket.as_str(), "key": "deleted.txt", "sequencer": sequencer(0x101) }),
        serde_json::json!({ "intent": 2, "bucket": bucket.as_str(), "key": "added.txt", "sequencer": sequencer(0x102) }),
        serde_json::json!({ "event": 2, "notification": event }),
    ];
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(dir.path().join("outbox/0000000000000003.log"), text).expect("the outbox segment");

    let running = start(config(&root, false), tracker.clone()).await.expect("restart the endpoint");
    running.settled().await.expect("every notification delivered");
    let s3 = client(&running).await;
    let stack = Stack { dir, store, tracker, running, s3, bucket };
    let expected = Totals { size_bytes: 34, object_count: 2 };
    assert_eq!(stack.listed().await, expected);
    assert_eq!(stack.totals().await, expected);

    let Stack { dir, running, .. } = stack;
    running.shutdown().await;
    assert_eq!(outbox_files(&dir), Vec::<PathBuf>::new(), "delivered, so removed");
}

/// Changes that are refused (for their digest, key or bucket) leave nothing in the outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_changes_leave_the_totals_as_they_were_and_nothing_in_the_outbox() {
    let stack = Stack::new(false).await;
    stack.put("kept.txt", &[1; 10]).await;
    let refused = stack
        .s3
        .put_object()
        .bucket(stack.bucket.as_str())
        .key("kept.txt")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(ByteStream::from(vec![2; 20]))
        .send()
        .await
        .expect_err("a wrong Content-MD5 is refused");
    assert_eq!(code(&refused), Some("BadDigest"), "{refused:?}");
    let missing = stack.s3.delete_object().bucket("no-such-bucket").key("a.txt").send().await;
    assert_eq!(missing.as_ref().err().and_then(code), Some("NoSuchBucket"), "{missing:?}");
    stack.running.settled().await.expect("every notification delivered");
    assert_eq!(stack.totals().await, Totals { size_bytes: 10, object_count: 1 });
    let Stack { dir, running, .. } = stack;
    running.shutdown().await;
    assert_eq!(outbox_files(&dir), Vec::<PathBuf>::new());
}
