use std::time::Duration;

use domain::BucketName;
use settings::{ConfigError, Env};
use store_dynamodb::LedgerTables;
use tracker::{ReservedPrefix, TrackingRules};

/// What the reconcile function reads from its environment (`contract/functions.json` lists the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileLambdaConfig {
    pub tables: LedgerTables,
    /// The buckets walked, in this order (`TRACKED_BUCKETS`: a list, not `*`).
    pub buckets: Vec<BucketName>,
    /// Keys under these never count (`RESERVED_PREFIXES`, as for the tracker).
    pub reserved: Vec<ReservedPrefix>,
    /// A new walk of a bucket begins this long after the last began (`RECONCILE_EVERY`, e.g. `1day`,
    /// `6h`; default a day).
    pub every: Duration,
}

impl ReconcileLambdaConfig {
    pub const DEFAULT_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let TrackingRules { reserved, tracked_buckets } = TrackingRules::from_env(env)?;
        let buckets = tracked_buckets.filter(|buckets| !buckets.is_empty()).ok_or_else(|| ConfigError {
            variable: "TRACKED_BUCKETS",
            reason: "must list the buckets to reconcile".into(),
        })?;
        let every =
            env.parsed::<humantime::Duration>("RECONCILE_EVERY")?.map_or(Self::DEFAULT_EVERY, Into::into);
        if every.is_zero() {
            return Err(ConfigError {
                variable: "RECONCILE_EVERY",
                reason: "must be longer than zero".into(),
            });
        }
        Ok(Self { tables: LedgerTables::from_env(env)?, buckets, reserved, every })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let mut all = vec![("HISTORY_TABLE", "h"), ("INDEX_TABLE", "i")];
        all.extend_from_slice(pairs);
        Env::from_pairs(&all)
    }

    #[test]
    fn the_buckets_must_be_listed_and_the_period_defaults_to_a_day() {
        let config =
            ReconcileLambdaConfig::from_env(&env(&[("TRACKED_BUCKETS", "one-bucket,two-bucket")])).unwrap();
        assert_eq!(config.buckets.len(), 2);
        assert_eq!(config.every, ReconcileLambdaConfig::DEFAULT_EVERY);
        for unlisted in [env(&[]), env(&[("TRACKED_BUCKETS", "*")])] {
            let error = ReconcileLambdaConfig::from_env(&unlisted).unwrap_err();
            assert_eq!(error.variable, "TRACKED_BUCKETS");
        }
    }

    #[test]
    fn the_period_reads_as_a_duration() {
        let six_hours = env(&[("TRACKED_BUCKETS", "one-bucket"), ("RECONCILE_EVERY", "6h")]);
        assert_eq!(ReconcileLambdaConfig::from_env(&six_hours).unwrap().every, Duration::from_secs(6 * 3600));
        for bad in ["soon", "0s"] {
            let error = ReconcileLambdaConfig::from_env(&env(&[
                ("TRACKED_BUCKETS", "one-bucket"),
                ("RECONCILE_EVERY", bad),
            ]))
            .unwrap_err();
            assert_eq!(error.variable, "RECONCILE_EVERY", "{bad}");
        }
    }
}
