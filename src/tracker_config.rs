//! What the `tracker` command line reads from its environment.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use domain::{BucketName, Ledger, StoreError};
use settings::{ConfigError, Env};
use store_dynamodb::{DynamoLedger, LedgerTables};
use store_sqlite::SqliteStore;
use tracker::TrackingRules;

/// The local stack's history, which the command line writes to unless told otherwise.
pub const DEFAULT_SQLITE_PATH: &str = ".data/history.sqlite3";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerCliConfig {
    pub store: LedgerStore,
    pub rules: TrackingRules,
    /// The bucket `reconcile` lists when `--bucket` is not given (`BUCKET_NAME`, default the local one).
    pub bucket: BucketName,
}

/// Where the ledger is: `HISTORY_BACKEND` (`sqlite` unless `HISTORY_TABLE` is set, then `dynamodb`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerStore {
    /// `SQLITE_PATH` (default `.data/history.sqlite3`).
    Sqlite(PathBuf),
    /// `HISTORY_TABLE` and `INDEX_TABLE`.
    DynamoDb(LedgerTables),
}

impl TrackerCliConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let backend = match env.optional("HISTORY_BACKEND") {
            Some(name) => name.trim().to_ascii_lowercase(),
            None if env.optional("HISTORY_TABLE").is_some() => "dynamodb".into(),
            None => "sqlite".into(),
        };
        let store = match backend.as_str() {
            "dynamodb" => LedgerStore::DynamoDb(LedgerTables::from_env(env)?),
            "sqlite" => LedgerStore::Sqlite(
                env.optional("SQLITE_PATH").unwrap_or_else(|| DEFAULT_SQLITE_PATH.into()).into(),
            ),
            other => {
                return Err(ConfigError {
                    variable: "HISTORY_BACKEND",
                    reason: format!("{other:?} is not one of \"dynamodb\", \"sqlite\""),
                });
            }
        };
        let bucket = env.parsed::<BucketName>("BUCKET_NAME")?.unwrap_or_else(|| {
            BucketName::parse(startup::local::BUCKET).expect("the local bucket name is valid")
        });
        Ok(Self { store, rules: TrackingRules::from_env(env)?, bucket })
    }
}

impl LedgerStore {
    pub async fn open(&self, sdk: &aws_config::SdkConfig) -> Result<Arc<dyn Ledger>, StoreError> {
        Ok(match self {
            Self::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
            Self::DynamoDb(tables) => {
                Arc::new(DynamoLedger::new(store_dynamodb::client(sdk), tables.clone()))
            }
        })
    }
}

impl fmt::Display for LedgerStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "SQLite {}", path.display()),
            Self::DynamoDb(tables) => {
                write!(f, "DynamoDB tables {} (history) and {} (index)", tables.history, tables.index)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_write_to_the_local_history() {
        let config = TrackerCliConfig::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(config.store, LedgerStore::Sqlite(DEFAULT_SQLITE_PATH.into()));
        assert_eq!(config.bucket.as_str(), "size-tracking-local");
        assert_eq!(config.store.to_string(), "SQLite .data/history.sqlite3");
    }

    #[test]
    fn a_history_table_selects_dynamodb() {
        let env = Env::from_pairs(&[("HISTORY_TABLE", "h"), ("INDEX_TABLE", "i")]);
        let config = TrackerCliConfig::from_env(&env).unwrap();
        assert_eq!(
            config.store,
            LedgerStore::DynamoDb(LedgerTables { history: "h".into(), index: "i".into() })
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("BUCKET_NAME", "Bad_Bucket")], "BUCKET_NAME"),
            (&[("HISTORY_BACKEND", "postgres")], "HISTORY_BACKEND"),
            (&[("HISTORY_BACKEND", "dynamodb"), ("INDEX_TABLE", "i")], "HISTORY_TABLE"),
            (&[("HISTORY_TABLE", "h")], "INDEX_TABLE"),
        ];
        for (pairs, variable) in cases {
            let error = TrackerCliConfig::from_env(&Env::from_pairs(pairs)).unwrap_err();
            assert_eq!(error.variable, *variable);
            assert!(error.to_string().starts_with(variable));
        }
    }
}
