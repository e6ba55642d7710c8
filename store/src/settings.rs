use std::path::PathBuf;

use crate::{BucketName, ObjectKey};

pub const DEFAULT_BUCKET: &str = "size-tracking-local";
pub const DEFAULT_GSI: &str = "by-size";
pub const DEFAULT_SQLITE_PATH: &str = ".data/history.sqlite3";
pub const DEFAULT_RESERVED_PREFIXES: &str = "plots/";
pub const DEFAULT_PLOT_KEY: &str = "plots/plot.png";

/// Everything the binaries read from the environment, read once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The bucket served when a request names none (`BUCKET_NAME`).
    pub bucket: BucketName,
    pub backend: Backend,
    /// Keys under these prefixes never change the tracked size (`RESERVED_PREFIXES`, comma-separated).
    pub reserved_prefixes: Vec<String>,
    /// Where the api stores the plot (`PLOT_KEY`); always under a reserved prefix.
    pub plot_key: ObjectKey,
    /// The buckets whose notifications are applied (`TRACKED_BUCKETS`, comma-separated); `None` is all.
    pub tracked_buckets: Option<Vec<BucketName>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    DynamoDb(DynamoTables),
    Sqlite { path: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoTables {
    /// `HISTORY_TABLE`: PK `bucket`, SK `ts`.
    pub history: String,
    /// `HISTORY_GSI`: PK `bucket`, SK `size_bytes`.
    pub history_gsi: String,
    /// `INDEX_TABLE`: one row per key and one totals row per bucket.
    pub index: String,
}

/// A setting that is missing or malformed; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct SettingsError {
    pub variable: &'static str,
    pub reason: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, so tests can pass a map instead of the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let read = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let bad = |variable: &'static str, reason: String| SettingsError { variable, reason };

        let bucket = BucketName::parse(read("BUCKET_NAME").unwrap_or_else(|| DEFAULT_BUCKET.into()))
            .map_err(|e| bad("BUCKET_NAME", e.to_string()))?;

        let backend_name = match read("HISTORY_BACKEND") {
            Some(name) => name.trim().to_ascii_lowercase(),
            None if read("HISTORY_TABLE").is_some() => "dynamodb".into(),
            None => "sqlite".into(),
        };
        let backend = match backend_name.as_str() {
            "dynamodb" => {
                let required = |variable: &'static str| {
                    read(variable)
                        .ok_or_else(|| bad(variable, "required when HISTORY_BACKEND=dynamodb".into()))
                };
                Backend::DynamoDb(DynamoTables {
                    history: required("HISTORY_TABLE")?,
                    history_gsi: read("HISTORY_GSI").unwrap_or_else(|| DEFAULT_GSI.into()),
                    index: required("INDEX_TABLE")?,
                })
            }
            "sqlite" => Backend::Sqlite {
                path: read("SQLITE_PATH").unwrap_or_else(|| DEFAULT_SQLITE_PATH.into()).into(),
            },
            other => {
                return Err(bad(
                    "HISTORY_BACKEND",
                    format!("{other:?} is not one of \"dynamodb\", \"sqlite\""),
                ));
            }
        };

        let reserved_prefixes: Vec<String> = read("RESERVED_PREFIXES")
            .unwrap_or_else(|| DEFAULT_RESERVED_PREFIXES.into())
            .split(',')
            .map(str::trim)
            .filter(|prefix| !prefix.is_empty())
            .map(String::from)
            .collect();

        let plot_key = ObjectKey::parse(read("PLOT_KEY").unwrap_or_else(|| DEFAULT_PLOT_KEY.into()))
            .map_err(|e| bad("PLOT_KEY", e.to_string()))?;
        if !plot_key.is_under_any(&reserved_prefixes) {
            return Err(bad(
                "PLOT_KEY",
                format!(
                    "{plot_key:?} must lie under one of RESERVED_PREFIXES ({}), or writing the plot would change the tracked size",
                    reserved_prefixes.join(",")
                ),
            ));
        }

        let tracked_buckets = read("TRACKED_BUCKETS")
            .filter(|list| list.trim() != "*")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .map(BucketName::parse)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| bad("TRACKED_BUCKETS", e.to_string()))
            })
            .transpose()?;

        Ok(Self { bucket, backend, reserved_prefixes, plot_key, tracked_buckets })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_run_locally_on_sqlite() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.bucket.as_str(), DEFAULT_BUCKET);
        assert_eq!(s.backend, Backend::Sqlite { path: DEFAULT_SQLITE_PATH.into() });
        assert_eq!(s.reserved_prefixes, vec!["plots/".to_string()]);
        assert_eq!(s.plot_key.as_str(), DEFAULT_PLOT_KEY);
        assert_eq!(s.tracked_buckets, None);
    }

    #[test]
    fn tracked_buckets_are_a_list() {
        let s = settings(&[("TRACKED_BUCKETS", "one-bucket, two-bucket")]).unwrap();
        let names: Vec<&str> = s.tracked_buckets.iter().flatten().map(|b| b.as_str()).collect();
        assert_eq!(names, ["one-bucket", "two-bucket"]);
    }

    #[test]
    fn a_history_table_selects_dynamodb() {
        let s = settings(&[("HISTORY_TABLE", "h"), ("INDEX_TABLE", "i")]).unwrap();
        assert_eq!(
            s.backend,
            Backend::DynamoDb(DynamoTables {
                history: "h".into(),
                history_gsi: DEFAULT_GSI.into(),
                index: "i".into()
            })
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("BUCKET_NAME", "Bad_Bucket")], "BUCKET_NAME"),
            (&[("HISTORY_BACKEND", "postgres")], "HISTORY_BACKEND"),
            (&[("HISTORY_BACKEND", "dynamodb"), ("INDEX_TABLE", "i")], "HISTORY_TABLE"),
            (&[("HISTORY_TABLE", "h")], "INDEX_TABLE"),
            (&[("PLOT_KEY", "plot.png")], "PLOT_KEY"),
            (&[("TRACKED_BUCKETS", "good-one,Bad")], "TRACKED_BUCKETS"),
        ];
        for (pairs, variable) in cases {
            let error = settings(pairs).unwrap_err();
            assert_eq!(error.variable, *variable);
            assert!(error.to_string().starts_with(variable));
        }
    }
}
