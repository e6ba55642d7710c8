//! The store in AWS. Two tables (their layout is `contract/dynamodb-tables.json`, which StorageStack
//! synthesizes too; [`schema`] creates the same for tests and local endpoints):
//!
//! - history: PK `bucket` (S), SK `ts` (N), attributes `size_bytes`, `object_count`; GSI (`bucket`, `size_bytes`).
//! - index: PK `pk` (S), SK `sk` (S), one row each of:
//!   - a key: `obj#<bucket>#<p>` / `<key>` (`p` = FNV-1a of the key mod the bucket's S partitions; no
//!     `#<p>` in the unspread layout) with `size`, `sequencer`, `present` (tombstones carry `expires_at`
//!     for TTL);
//!   - a totals shard: `total#<bucket>#<i>` / `-` (`total#<bucket>` unspread) with `size_bytes`,
//!     `object_count` (signed: a shard may go below zero, the sum never does) and a `version` counting
//!     its writes;
//!   - the layout: `layout#<bucket>` / `-` with `object_partitions` (S) and `totals_shards` (N);
//!   - the latest sample: `sampled#<bucket>` / `-` with its `ts`, `size_bytes`, `object_count` and the
//!     shard `versions` it showed;
//!   - a parked change: `parked#<bucket>` / `<sequencer>|<key>` with `key`, `sequencer`, `size`;
//!   - where the bucket's scheduled reconcile stands: `reconcile#<bucket>` / `-` ([`checkpoints`]).
//!
//! [`DynamoLedger`] (the tracker's side) applies batches and reconcile's corrections: per bucket, chunks
//! of key rows and one totals shard, each one `TransactWriteItems` conditioned on the key rows it read
//! ([`chunk`]), then a sample ([`sampling`]); reconcile reads the key rows in key order across their
//! partitions ([`key_rows`]); a bucket's rows are spread by its [`Layout`] ([`layout`]), and [`relayout`] moves a
//! bucket tracked before that to a spread layout. [`DynamoHistory`] (the api's side) reads the history
//! table and its GSI.

mod attributes;
mod checkpoints;
mod chunk;
mod config;
mod errors;
mod history;
mod key_rows;
mod layout;
mod ledger;
mod parking;
mod reads;
pub mod relayout;
mod retry;
mod rollups;
mod sampling;
pub mod schema;

pub use config::{DEFAULT_GSI, HistoryTables, LedgerTables, Tables};
pub use history::DynamoHistory;
pub use layout::Layout;
pub use ledger::DynamoLedger;
pub use retry::{client, retry_config};

/// Both sides over one set of tables, for tests and tools that need the whole store.
#[derive(Clone)]
pub struct DynamoStore {
    pub ledger: DynamoLedger,
    pub history: DynamoHistory,
}

impl DynamoStore {
    pub fn new(client: aws_sdk_dynamodb::Client, tables: &Tables) -> Self {
        Self {
            ledger: DynamoLedger::new(client.clone(), tables.ledger()),
            history: DynamoHistory::new(client, tables.history()),
        }
    }

    pub fn with_clock(mut self, clock: domain::Clock) -> Self {
        self.ledger = self.ledger.with_clock(clock);
        self
    }

    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.history = self.history.with_page_size(page_size);
        self
    }
}

#[async_trait::async_trait]
impl domain::Ledger for DynamoStore {
    async fn apply(&self, change: &domain::ObjectChange) -> Result<domain::ApplyOutcome, domain::StoreError> {
        self.ledger.apply(change).await
    }
    async fn apply_batch(&self, changes: &[domain::ObjectChange]) -> Vec<domain::ChangeResult> {
        self.ledger.apply_batch(changes).await
    }
    async fn key_rows(
        &self,
        bucket: &domain::BucketName,
        after: Option<&domain::ObjectKey>,
        limit: usize,
    ) -> Result<domain::correction::KeyRows, domain::StoreError> {
        self.ledger.key_rows(bucket, after, limit).await
    }
    async fn correct(
        &self,
        bucket: &domain::BucketName,
        corrections: &[domain::correction::Correction],
    ) -> Result<Vec<domain::transition::Transition>, domain::StoreError> {
        self.ledger.correct(bucket, corrections).await
    }
    async fn park(&self, changes: &[domain::ObjectChange]) -> Result<(), domain::StoreError> {
        self.ledger.park(changes).await
    }
    async fn parked(
        &self,
        bucket: &domain::BucketName,
    ) -> Result<Vec<domain::ObjectChange>, domain::StoreError> {
        self.ledger.parked(bucket).await
    }
    async fn unpark(&self, changes: &[domain::ObjectChange]) -> Result<(), domain::StoreError> {
        self.ledger.unpark(changes).await
    }
    async fn totals(&self, bucket: &domain::BucketName) -> Result<domain::Totals, domain::StoreError> {
        self.ledger.totals(bucket).await
    }
}

#[async_trait::async_trait]
impl domain::History for DynamoStore {
    async fn samples(
        &self,
        bucket: &domain::BucketName,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<domain::Sample>, domain::StoreError> {
        self.history.samples(bucket, from_ms, to_ms).await
    }
    async fn samples_from(
        &self,
        bucket: &domain::BucketName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<domain::Sample>, domain::StoreError> {
        self.history.samples_from(bucket, from_ms, to_ms, limit).await
    }
    async fn carry_in(
        &self,
        bucket: &domain::BucketName,
        before_ms: i64,
    ) -> Result<Option<domain::Sample>, domain::StoreError> {
        self.history.carry_in(bucket, before_ms).await
    }
    async fn max(&self, bucket: &domain::BucketName) -> Result<Option<domain::Sample>, domain::StoreError> {
        self.history.max(bucket).await
    }
    async fn latest(
        &self,
        bucket: &domain::BucketName,
    ) -> Result<Option<domain::Sample>, domain::StoreError> {
        self.history.latest(bucket).await
    }
    async fn rollups(
        &self,
        bucket: &domain::BucketName,
        level_ms: i64,
        first_start: i64,
        last_start: i64,
    ) -> Result<Vec<domain::rollup::Rollup>, domain::StoreError> {
        self.history.rollups(bucket, level_ms, first_start, last_start).await
    }
    async fn put_rollups(
        &self,
        bucket: &domain::BucketName,
        rollups: &[domain::rollup::Rollup],
    ) -> Result<(), domain::StoreError> {
        self.history.put_rollups(bucket, rollups).await
    }
}
