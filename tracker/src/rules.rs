//! Which records the tracker applies: the tracked buckets and the keys that never count.

use domain::{BucketName, ObjectKey, PLOTS_PREFIX};
use settings::{ConfigError, Env};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingRules {
    /// Keys under these prefixes never change the tracked size (`RESERVED_PREFIXES`, comma-separated;
    /// default `plots/`, where the api stores its plots).
    pub reserved_prefixes: Vec<String>,
    /// The buckets whose records are applied (`TRACKED_BUCKETS`, comma-separated, or `*`); `None` is all.
    pub tracked_buckets: Option<Vec<BucketName>>,
}

impl Default for TrackingRules {
    fn default() -> Self {
        Self { reserved_prefixes: vec![PLOTS_PREFIX.to_owned()], tracked_buckets: None }
    }
}

impl TrackingRules {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let reserved_prefixes =
            env.list::<String>("RESERVED_PREFIXES")?.unwrap_or_else(|| vec![PLOTS_PREFIX.to_owned()]);
        let tracked_buckets = match env.optional("TRACKED_BUCKETS") {
            Some(list) if list.trim() == "*" => None,
            _ => env.list::<BucketName>("TRACKED_BUCKETS")?,
        };
        Ok(Self { reserved_prefixes, tracked_buckets })
    }

    /// Only these buckets' records are applied.
    pub fn only(buckets: Vec<BucketName>) -> Self {
        Self { tracked_buckets: Some(buckets), ..Self::default() }
    }

    pub fn tracks(&self, bucket: &BucketName) -> bool {
        self.tracked_buckets.as_ref().is_none_or(|tracked| tracked.contains(bucket))
    }

    pub fn is_reserved(&self, key: &ObjectKey) -> bool {
        key.is_under_any(&self.reserved_prefixes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_track_every_bucket_and_reserve_plots() {
        let rules = TrackingRules::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(rules, TrackingRules::default());
        assert_eq!(rules.reserved_prefixes, ["plots/"]);
        assert!(rules.tracks(&BucketName::parse("any-bucket").unwrap()));
    }

    #[test]
    fn tracked_buckets_are_a_list_or_a_star() {
        let rules =
            TrackingRules::from_env(&Env::from_pairs(&[("TRACKED_BUCKETS", "one-bucket, two-bucket")]))
                .unwrap();
        assert!(rules.tracks(&BucketName::parse("two-bucket").unwrap()));
        assert!(!rules.tracks(&BucketName::parse("three-bucket").unwrap()));
        let all = TrackingRules::from_env(&Env::from_pairs(&[("TRACKED_BUCKETS", "*")])).unwrap();
        assert_eq!(all.tracked_buckets, None);
        let error =
            TrackingRules::from_env(&Env::from_pairs(&[("TRACKED_BUCKETS", "good-one,Bad")])).unwrap_err();
        assert_eq!(error.variable, "TRACKED_BUCKETS");
    }
}
