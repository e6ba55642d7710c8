//! The AWS adapter. Two tables (DESIGN §3):
//!
//! - history: PK `bucket` (S), SK `ts` (N), attributes `size_bytes`, `object_count`; GSI (`bucket`, `size_bytes`).
//! - index: PK `pk` (S), SK `sk` (S). Key rows `obj#<bucket>` / `<key>` hold `size`, `sequencer`, `present`
//!   (tombstones carry `expires_at` for TTL). The totals row `total#<bucket>` / `-` holds `size_bytes`,
//!   `object_count`, a `version` bumped by every write and the `last_ts` of the latest sample.
//!
//! Every write is one `TransactWriteItems` conditioned on the versions it read, so the key row, the totals
//! and the sample move together; a lost race re-reads and tries again.

mod attributes;
mod history;
mod ledger;
pub mod schema;

use crate::clock::{Clock, system_clock};
use crate::settings::DynamoTables;

/// Items per Query page; DynamoDB also ends a page at 1 MB.
const DEFAULT_PAGE_SIZE: i32 = 1000;

#[derive(Clone)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    tables: DynamoTables,
    clock: Clock,
    page_size: i32,
}

impl DynamoStore {
    pub fn new(client: aws_sdk_dynamodb::Client, tables: DynamoTables) -> Self {
        Self { client, tables, clock: system_clock(), page_size: DEFAULT_PAGE_SIZE }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size.max(1);
        self
    }
}
