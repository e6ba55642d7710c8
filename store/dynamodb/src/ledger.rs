use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use domain::batch::coalesce;
use domain::correction::{Correction, KeyRows};
use domain::transition::Transition;
use domain::{
    ApplyOutcome, BucketName, ChangeResult, Clock, Ledger, ObjectChange, ObjectKey, Sample, StoreError,
    Totals, system_clock,
};
use futures::stream::{self, StreamExt};

use crate::LedgerTables;
use crate::chunk::{CHANGES_PER_CHUNK, ChunkWriter, KeyStep};
use crate::layout::{Layouts, row_key};
use crate::sampling::Sampler;
use crate::{key_rows, parking};

/// How many chunks of one bucket's changes are written at once.
const CHUNKS_IN_FLIGHT: usize = 4;

/// How many buckets of one batch are written at once (each with its chunks in flight).
const BUCKETS_IN_FLIGHT: usize = 2;

/// The tracker's side of the store: the per-key ledger, the bucket totals and the samples they produce.
#[derive(Clone)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    tables: LedgerTables,
    clock: Clock,
    layouts: Arc<Layouts>,
}

impl DynamoLedger {
    pub fn new(client: aws_sdk_dynamodb::Client, tables: LedgerTables) -> Self {
        Self { client, tables, clock: system_clock(), layouts: Arc::default() }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The client and the index table, for the rows kept beside the ledger's.
    pub(crate) fn index(&self) -> (&aws_sdk_dynamodb::Client, &str) {
        (&self.client, &self.tables.index)
    }

    /// Opens the connection to DynamoDB (TLS included) with one cheap read, so that the first event after
    /// a cold start does not pay for it. A failure here is only logged: events report their own.
    pub async fn warm_up(&self) {
        let read = self
            .client
            .get_item()
            .table_name(&self.tables.index)
            .set_key(Some(row_key("warm-up".into(), "-")))
            .send()
            .await;
        if let Err(error) = read {
            tracing::warn!(error = %domain::ErrorChain(&error), "warming the DynamoDB connection failed");
        }
    }

    /// Writes steps of one bucket in chunks, then a sample that shows them: answers each chunk's
    /// transitions (or its error), and the sample. Even when a chunk failed, the others committed, and the
    /// sample shows them.
    async fn write_and_sample<S: KeyStep>(
        &self,
        bucket: &BucketName,
        steps: &[&S],
    ) -> (Vec<Result<Vec<Transition>, StoreError>>, Result<Sample, StoreError>) {
        let writer = ChunkWriter {
            client: &self.client,
            table: &self.tables.index,
            layouts: &self.layouts,
            bucket,
            now_ms: (self.clock)(),
        };
        let writes: Vec<_> = steps.chunks(CHANGES_PER_CHUNK).map(|chunk| writer.write(chunk)).collect();
        let chunks = stream::iter(writes).buffered(CHUNKS_IN_FLIGHT).collect().await;
        let sampler = Sampler { client: &self.client, tables: &self.tables, layouts: &self.layouts, bucket };
        (chunks, sampler.settle((self.clock)()).await)
    }

    /// Applies the deciding changes of one bucket. Answers one result per change, in order.
    async fn apply_to_bucket(&self, bucket: &BucketName, changes: &[&ObjectChange]) -> Vec<ChangeResult> {
        let (chunks, sample) = self.write_and_sample(bucket, changes).await;
        let sample = sample.map_err(Arc::new);
        changes
            .chunks(CHANGES_PER_CHUNK)
            .zip(chunks)
            .flat_map(|(chunk, written)| match written {
                Ok(transitions) => transitions
                    .into_iter()
                    .map(|transition| {
                        let sample = sample.as_ref().map_err(Arc::clone)?;
                        Ok(match transition {
                            Transition::Apply { .. } => ApplyOutcome::Applied(sample.clone()),
                            Transition::Skip(reason) => {
                                ApplyOutcome::Skipped { reason, totals: sample.totals() }
                            }
                        })
                    })
                    .collect::<Vec<_>>(),
                Err(error) => {
                    let error = Arc::new(error);
                    chunk.iter().map(|_| Err(Arc::clone(&error))).collect()
                }
            })
            .collect()
    }
}

#[async_trait]
impl Ledger for DynamoLedger {
    /// Per bucket, the deciding change of each key is written in chunks (see [`crate::chunk`]) and then
    /// sampled once (see [`crate::sampling`]).
    async fn apply_batch(&self, changes: &[ObjectChange]) -> Vec<ChangeResult> {
        let coalesced = coalesce(changes);
        let mut by_bucket: BTreeMap<&BucketName, Vec<usize>> = BTreeMap::new();
        for (slot, &index) in coalesced.deciding.iter().enumerate() {
            by_bucket.entry(&changes[index].bucket).or_default().push(slot);
        }
        let mut deciding_results: Vec<Option<ChangeResult>> =
            coalesced.deciding.iter().map(|_| None).collect();
        // The buckets of a batch (a bucket and its all-versions series, above all) share no row: they
        // are written side by side.
        let written: Vec<_> = by_bucket
            .into_iter()
            .map(|(bucket, slots)| {
                let bucket_changes: Vec<&ObjectChange> =
                    slots.iter().map(|&slot| &changes[coalesced.deciding[slot]]).collect();
                async move { (slots, self.apply_to_bucket(bucket, &bucket_changes).await) }
            })
            .collect();
        for (slots, results) in
            stream::iter(written).buffer_unordered(BUCKETS_IN_FLIGHT).collect::<Vec<_>>().await
        {
            for (slot, result) in slots.into_iter().zip(results) {
                deciding_results[slot] = Some(result);
            }
        }
        let deciding_results = deciding_results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(Arc::new(StoreError::Corrupt {
                        backend: "dynamodb",
                        message: "a change went unwritten".into(),
                    }))
                })
            })
            .collect();
        coalesced.results(deciding_results)
    }

    async fn key_rows(
        &self,
        bucket: &BucketName,
        after: Option<&ObjectKey>,
        limit: usize,
    ) -> Result<KeyRows, StoreError> {
        let layout = self.layouts.of(&self.client, &self.tables.index, bucket).await?;
        key_rows::read(&self.client, &self.tables.index, &layout.key_partitions(bucket), after, limit).await
    }

    /// Chunks as for a batch, each conditioned on the rows its corrections saw; then one sample.
    async fn correct(
        &self,
        bucket: &BucketName,
        corrections: &[Correction],
    ) -> Result<Vec<Transition>, StoreError> {
        let steps: Vec<&Correction> = corrections.iter().collect();
        let (chunks, sample) = self.write_and_sample(bucket, &steps).await;
        let mut transitions = Vec::with_capacity(corrections.len());
        for chunk in chunks {
            transitions.extend(chunk?);
        }
        sample?;
        Ok(transitions)
    }

    async fn park(&self, changes: &[ObjectChange]) -> Result<(), StoreError> {
        parking::park(&self.client, &self.tables.index, changes).await
    }

    async fn parked(&self, bucket: &BucketName) -> Result<Vec<ObjectChange>, StoreError> {
        parking::parked(&self.client, &self.tables.index, bucket).await
    }

    async fn unpark(&self, changes: &[ObjectChange]) -> Result<(), StoreError> {
        parking::unpark(&self.client, &self.tables.index, changes).await
    }

    async fn totals(&self, bucket: &BucketName) -> Result<Totals, StoreError> {
        Sampler { client: &self.client, tables: &self.tables, layouts: &self.layouts, bucket }.totals().await
    }
}
