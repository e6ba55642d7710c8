//! The S3 service: s3s-fs stores the objects, and this wrapper announces every object change the way S3
//! does, with one event record per change.
//!
//! Each change is first recorded in the [outbox](super::outbox), with its sequencer, and announced once
//! it is made; a change the storage refuses is announced as the object then is (it may have changed
//! before the failure). A change and its announcement happen under the key's lock, so the sequencers of
//! one key follow the order in which its changes reached the disk, and under its bucket's shared lock,
//! which DeleteBucket takes alone: a bucket is removed only when no acknowledged object is in it, and a
//! write to a missing bucket answers NoSuchBucket rather than creating it. Changes run in their own task:
//! a client that hangs up mid-request cannot cancel the announcement of a change that already happened.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use domain::versions::NULL_VERSION;
use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;
use tracker::event::compose::{OutgoingKind, OutgoingRecord};

use super::delivery::Notifier;
use super::locks::{BucketLocks, KeyLocks};
use super::outbox::{Intent, Leftover, Outbox};
use super::sequencer::SequencerSource;
use super::{digest, keys};

pub(crate) struct NotifyingS3 {
    shared: Arc<Shared>,
}

struct Shared {
    fs: FileSystem,
    /// Where request bodies are spooled while their digests are checked: the storage's own folder.
    spool_dir: PathBuf,
    notifier: Notifier,
    outbox: Outbox,
    sequencers: SequencerSource,
    locks: KeyLocks,
    buckets: BucketLocks,
}

impl NotifyingS3 {
    pub(crate) fn new(
        fs: FileSystem,
        spool_dir: PathBuf,
        notifier: Notifier,
        outbox: Outbox,
        sequencers: SequencerSource,
    ) -> Self {
        let (locks, buckets) = (KeyLocks::new(), BucketLocks::new());
        Self { shared: Arc::new(Shared { fs, spool_dir, notifier, outbox, sequencers, locks, buckets }) }
    }

    /// Announces the changes an earlier run left in the outbox: one whose notification was recorded with
    /// it, and an intent without one as its key is now stored. Called before serving.
    pub(crate) async fn resume(&self, leftovers: Vec<Leftover>) {
        for Leftover { intent, notification } in leftovers {
            match notification {
                Some(json) => self.shared.notifier.queue(intent.id, json),
                None => {
                    // On failure it stays in the outbox (logged), for the next start.
                    let _ = self.shared.announce_stored(&intent, RESOLVED).await;
                }
            }
        }
    }

    /// Runs `change` on the shared state in a task of its own, and waits for it.
    async fn detached<T, F>(&self, change: impl FnOnce(Arc<Shared>) -> F) -> S3Result<T>
    where
        T: Send + 'static,
        F: Future<Output = S3Result<T>> + Send + 'static,
    {
        tokio::spawn(change(Arc::clone(&self.shared))).await.map_err(|error| {
            tracing::error!(%error, "an object change failed unexpectedly");
            S3Error::internal_error(error)
        })?
    }
}

/// How an object found stored for an intent without a recorded event is announced: as a put.
const RESOLVED: &str = "Put";

/// A request for an inner call the endpoint makes of its own accord; the storage reads only its input.
fn internal<U>(input: U) -> S3Request<U> {
    S3Request {
        input,
        method: Default::default(),
        uri: Default::default(),
        headers: Default::default(),
        extensions: Default::default(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

/// A request for an inner call made on behalf of `req`, with its credentials and context.
fn on_behalf<T, U>(req: &S3Request<T>, input: U) -> S3Request<U> {
    S3Request {
        input,
        method: req.method.clone(),
        uri: req.uri.clone(),
        headers: req.headers.clone(),
        extensions: req.extensions.clone(),
        credentials: req.credentials.clone(),
        region: req.region.clone(),
        service: req.service.clone(),
        trailing_headers: None,
    }
}

impl Shared {
    /// Answers NoSuchBucket for a missing bucket; s3s-fs would create its folder on a write.
    async fn require_bucket<T>(&self, context: &S3Request<T>, bucket: &str) -> S3Result<()> {
        let input = HeadBucketInput { bucket: bucket.to_owned(), ..Default::default() };
        self.fs.head_bucket(on_behalf(context, input)).await.map(drop)
    }

    /// Records that `key` is about to change, with the sequencer of its announcement, and returns once
    /// the record is on disk. Called with the key's lock held, before the storage is touched.
    async fn intend(&self, bucket: &str, key: &str) -> S3Result<Intent> {
        self.outbox.intend(bucket, key, self.sequencers.next()).await.map_err(|error| {
            tracing::error!(bucket, key, %error, "a change cannot be recorded, so it is not made");
            S3Error::internal_error(error)
        })
    }

    /// Records and queues the event record of one change. Called with the key's lock held.
    fn announce(&self, intent: &Intent, kind: OutgoingKind) {
        let record = OutgoingRecord {
            bucket: intent.bucket.clone(),
            key: intent.key.clone(),
            kind,
            sequencer: intent.sequencer.clone(),
            time: Utc::now(),
        };
        let (bucket, key, sequencer) =
            (record.bucket.as_str(), record.key.as_str(), record.sequencer.as_str());
        tracing::debug!(bucket, key, sequencer, kind = ?record.kind, "object change");
        self.notifier.emit(intent.id, &record);
    }

    /// Announces the key of `intent` as the storage now holds it: created, with the size and ETag it
    /// reports, or removed. Called with the key's lock held (or before serving). When the object cannot be
    /// read, the intent stays in the outbox, and is announced at the next start.
    async fn announce_stored(&self, intent: &Intent, how: &'static str) -> S3Result<()> {
        let (bucket, key) = (intent.bucket.as_str(), intent.key.as_str());
        let input = HeadObjectInput { bucket: bucket.to_owned(), key: key.to_owned(), ..Default::default() };
        let head = match self.fs.head_object(internal(input)).await {
            Ok(head) => head,
            Err(error) if matches!(error.code(), S3ErrorCode::NoSuchKey | S3ErrorCode::NoSuchBucket) => {
                self.announce(intent, OutgoingKind::Removed);
                return Ok(());
            }
            Err(error) => {
                tracing::error!(bucket, key, %error, "a stored object cannot be read back; its change is announced at the next start");
                return Err(error);
            }
        };
        let size =
            head.output.content_length.and_then(|length| u64::try_from(length).ok()).ok_or_else(|| {
                tracing::error!(
                    bucket,
                    key,
                    "a stored object has no length; its change is announced at the next start"
                );
                s3_error!(InternalError, "the stored object has no length")
            })?;
        let etag = head.output.e_tag.map(ETag::into_value).unwrap_or_default();
        self.announce(intent, OutgoingKind::Created { how, size, etag });
        Ok(())
    }

    /// Passes on the result of a change; after a failure, announces the key as it is now stored, as the
    /// storage may have changed it before failing (at worst the announcement repeats its state).
    async fn after<T>(&self, intent: &Intent, result: S3Result<T>) -> S3Result<T> {
        if result.is_err() {
            // A failure here is logged, and leaves the intent for the next start.
            let _ = self.announce_stored(intent, RESOLVED).await;
        }
        result
    }

    /// The body is read and checked against its digests before anything changes.
    async fn put_object(&self, mut req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        keys::check_storable(&bucket, &key)?;
        let trailers = req.trailing_headers.take();
        req.input = digest::verified(req.input, trailers, &self.spool_dir).await?;
        let context = on_behalf(&req, ());
        let _bucket_held = self.buckets.change(&bucket).await;
        self.require_bucket(&context, &bucket).await?;
        let _held = self.locks.lock(&bucket, &key).await;
        let intent = self.intend(&bucket, &key).await?;
        let response = self.after(&intent, self.fs.put_object(req).await).await?;
        self.announce_stored(&intent, "Put").await?;
        Ok(response)
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        keys::check_storable(&bucket, &key)?;
        let context = on_behalf(&req, ());
        let _bucket_held = self.buckets.change(&bucket).await;
        self.require_bucket(&context, &bucket).await?;
        let _held = self.locks.lock(&bucket, &key).await;
        let intent = self.intend(&bucket, &key).await?;
        let response = self.after(&intent, self.fs.copy_object(req).await).await?;
        self.announce_stored(&intent, "Copy").await?;
        Ok(response)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        keys::check_storable(&bucket, &key)?;
        let context = on_behalf(&req, ());
        let _bucket_held = self.buckets.change(&bucket).await;
        self.require_bucket(&context, &bucket).await?;
        let _held = self.locks.lock(&bucket, &key).await;
        let intent = self.intend(&bucket, &key).await?;
        let completed = async {
            let mut response = self.fs.complete_multipart_upload(req).await?;
            // The storage may answer with a future (to keep slow completions alive); the object is only in
            // place once it has resolved.
            if let Some(future) = response.output.future.take() {
                response.output = future.await?;
            }
            Ok::<_, S3Error>(response)
        };
        let response = self.after(&intent, completed.await).await?;
        self.announce_stored(&intent, "CompleteMultipartUpload").await?;
        Ok(response)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        keys::check_key(&key)?;
        let context = on_behalf(&req, ());
        let _bucket_held = self.buckets.change(&bucket).await;
        self.require_bucket(&context, &bucket).await?;
        let _held = self.locks.lock(&bucket, &key).await;
        if keys::is_folder(&key) {
            // A folder marker is no object of the bucket's: nothing to announce.
            return self.fs.delete_object(req).await;
        }
        let intent = self.intend(&bucket, &key).await?;
        let response = self.after(&intent, self.fs.delete_object(req).await).await?;
        self.announce(&intent, OutgoingKind::Removed);
        Ok(response)
    }

    /// Deletes key by key, so that each deletion is announced as it happens and one failing key neither
    /// hides the deletions before it nor stops those after it (it is reported in the answer's errors).
    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        let bucket_input = HeadBucketInput { bucket: bucket.clone(), ..Default::default() };
        self.fs.head_bucket(on_behalf(&req, bucket_input)).await?;

        let quiet = req.input.delete.quiet.unwrap_or(false);
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        for object in &req.input.delete.objects {
            let input = DeleteObjectInput {
                bucket: bucket.clone(),
                key: object.key.clone(),
                version_id: object.version_id.clone(),
                ..Default::default()
            };
            match self.delete_object(on_behalf(&req, input)).await {
                Ok(_) => deleted.push(DeletedObject {
                    key: Some(object.key.clone()),
                    version_id: object.version_id.clone(),
                    ..Default::default()
                }),
                Err(error) => errors.push(s3s::dto::Error {
                    code: Some(error.code().as_str().to_owned()),
                    key: Some(object.key.clone()),
                    message: error.message().map(str::to_owned),
                    version_id: object.version_id.clone(),
                }),
            }
        }
        let output = DeleteObjectsOutput {
            deleted: (!quiet).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    /// Like S3, refuses to delete a bucket that holds objects: s3s-fs would remove them without a trace.
    /// No object change runs in the bucket meanwhile, so none lands between the check and the removal.
    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let _held = self.buckets.removal(&req.input.bucket).await;
        let probe =
            ListObjectsV2Input { bucket: req.input.bucket.clone(), max_keys: Some(1), ..Default::default() };
        let listing = self.fs.list_objects_v2(on_behalf(&req, probe)).await?;
        if listing.output.contents.is_some_and(|contents| !contents.is_empty()) {
            return Err(s3_error!(BucketNotEmpty));
        }
        self.fs.delete_bucket(req).await
    }
}

#[async_trait::async_trait]
impl S3 for NotifyingS3 {
    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        self.detached(|shared| async move { shared.put_object(req).await }).await
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        self.detached(|shared| async move { shared.copy_object(req).await }).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.detached(|shared| async move { shared.complete_multipart_upload(req).await }).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.detached(|shared| async move { shared.delete_object(req).await }).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.detached(|shared| async move { shared.delete_objects(req).await }).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.detached(|shared| async move { shared.delete_bucket(req).await }).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        // Refused here already, rather than after every part has been uploaded.
        keys::check_storable(&req.input.bucket, &req.input.key)?;
        self.shared.require_bucket(&req, &req.input.bucket).await?;
        self.shared.fs.create_multipart_upload(req).await
    }

    // Parts are kept outside the bucket until the upload completes (which checks the bucket again).

    /// The part is checked against its digests before it is stored, as a PutObject's body is.
    async fn upload_part(
        &self,
        mut req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.shared.require_bucket(&req, &req.input.bucket).await?;
        let trailers = req.trailing_headers.take();
        req.input = digest::verified(req.input, trailers, &self.shared.spool_dir).await?;
        self.shared.fs.upload_part(req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.shared.require_bucket(&req, &req.input.bucket).await?;
        self.shared.fs.upload_part_copy(req).await
    }

    // What follows changes no object, and is the storage's own answer.

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.shared.fs.list_parts(req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.shared.fs.abort_multipart_upload(req).await
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.shared.fs.list_buckets(req).await
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.shared.fs.create_bucket(req).await
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.shared.fs.head_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.shared.fs.get_bucket_location(req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.shared.fs.list_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.shared.fs.list_objects_v2(req).await
    }

    /// The storage keeps no versions: each object is its `null` version, the only and the latest one, so
    /// a listing of versions is the listing of objects (after `key-marker`, as each key has one version).
    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let key_marker = req.input.key_marker.clone();
        let objects = req.map_input(|input| ListObjectsV2Input {
            bucket: input.bucket,
            delimiter: input.delimiter,
            encoding_type: input.encoding_type,
            max_keys: input.max_keys,
            prefix: input.prefix,
            start_after: input.key_marker,
            ..Default::default()
        });
        let listed = self.shared.fs.list_objects_v2(objects).await?;
        Ok(listed.map_output(|objects| ListObjectVersionsOutput {
            versions: objects.contents.map(|contents| contents.into_iter().map(null_version).collect()),
            common_prefixes: objects.common_prefixes,
            delimiter: objects.delimiter,
            encoding_type: objects.encoding_type,
            is_truncated: objects.is_truncated,
            key_marker,
            max_keys: objects.max_keys,
            name: objects.name,
            next_version_id_marker: objects.next_continuation_token.as_ref().map(|_| NULL_VERSION.to_owned()),
            next_key_marker: objects.next_continuation_token,
            prefix: objects.prefix,
            ..Default::default()
        }))
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        self.shared.fs.get_object(req).await
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        self.shared.fs.head_object(req).await
    }
}

/// An object as the version S3 keeps of it in a bucket without versioning.
fn null_version(object: Object) -> ObjectVersion {
    ObjectVersion {
        e_tag: object.e_tag,
        is_latest: Some(true),
        key: object.key,
        last_modified: object.last_modified,
        owner: object.owner,
        size: object.size,
        version_id: Some(NULL_VERSION.to_owned()),
        ..Default::default()
    }
}
