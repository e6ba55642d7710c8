//! The table names, as the functions' environments give them.

use settings::{ConfigError, Env};

/// The history table's index ordered by size, unless `HISTORY_GSI` names another.
pub const DEFAULT_GSI: &str = "by-size";

/// What the tracker writes: the history table and the ObjectIndex table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTables {
    /// `HISTORY_TABLE`: PK `bucket`, SK `ts`.
    pub history: String,
    /// `INDEX_TABLE`: one row per key and one totals row per bucket.
    pub index: String,
}

/// What the api reads: the history table and its index by size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTables {
    /// `HISTORY_TABLE`.
    pub history: String,
    /// `HISTORY_GSI`: PK `bucket`, SK `size_bytes`.
    pub gsi: String,
}

/// All three names, for creating the tables and for tools that use the whole store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub history: String,
    pub history_gsi: String,
    pub index: String,
}

impl LedgerTables {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { history: env.required("HISTORY_TABLE")?, index: env.required("INDEX_TABLE")? })
    }
}

impl HistoryTables {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            history: env.required("HISTORY_TABLE")?,
            gsi: env.optional("HISTORY_GSI").unwrap_or_else(|| DEFAULT_GSI.into()),
        })
    }
}

impl Tables {
    pub fn ledger(&self) -> LedgerTables {
        LedgerTables { history: self.history.clone(), index: self.index.clone() }
    }

    pub fn history(&self) -> HistoryTables {
        HistoryTables { history: self.history.clone(), gsi: self.history_gsi.clone() }
    }
}
