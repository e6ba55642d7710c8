//! Which records the tracker applies: the tracked buckets and the keys that never count.

use std::str::FromStr;

use domain::{BucketName, ObjectKey, PLOTS_PREFIX};
use settings::{ConfigError, Env};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingRules {
    /// Keys under these prefixes never change the tracked size (`RESERVED_PREFIXES`, comma-separated;
    /// default `plots/`, where the api stores its plots): `bucket:prefix` reserves the prefix in that
    /// bucket only, a bare prefix in every bucket.
    pub reserved: Vec<ReservedPrefix>,
    /// The buckets whose records are applied (`TRACKED_BUCKETS`, comma-separated, or `*`); `None` is all.
    pub tracked_buckets: Option<Vec<BucketName>>,
}

/// A prefix whose keys never count, in one bucket or in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedPrefix {
    /// `None`: in every bucket.
    pub bucket: Option<BucketName>,
    pub prefix: String,
}

impl ReservedPrefix {
    /// `prefix` reserved in every bucket.
    pub fn everywhere(prefix: &str) -> Self {
        Self { bucket: None, prefix: prefix.to_owned() }
    }

    /// `prefix` reserved in `bucket` only.
    pub fn in_bucket(bucket: BucketName, prefix: &str) -> Self {
        Self { bucket: Some(bucket), prefix: prefix.to_owned() }
    }

    fn applies_in(&self, bucket: &BucketName) -> bool {
        self.bucket.as_ref().is_none_or(|only| only == bucket)
    }
}

/// `prefix` or `bucket:prefix` (a bucket name holds no `:`).
impl FromStr for ReservedPrefix {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once(':') {
            None => Ok(Self::everywhere(text)),
            Some((bucket, prefix)) => {
                let bucket = BucketName::parse(bucket).map_err(|e| e.to_string())?;
                if prefix.is_empty() {
                    return Err(format!("{text:?} names a bucket and no prefix"));
                }
                Ok(Self::in_bucket(bucket, prefix))
            }
        }
    }
}

impl Default for TrackingRules {
    fn default() -> Self {
        Self { reserved: vec![ReservedPrefix::everywhere(PLOTS_PREFIX)], tracked_buckets: None }
    }
}

impl TrackingRules {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let reserved = env
            .list::<ReservedPrefix>("RESERVED_PREFIXES")?
            .unwrap_or_else(|| vec![ReservedPrefix::everywhere(PLOTS_PREFIX)]);
        let tracked_buckets = match env.optional("TRACKED_BUCKETS") {
            Some(list) if list.trim() == "*" => None,
            _ => env.list::<BucketName>("TRACKED_BUCKETS")?,
        };
        Ok(Self { reserved, tracked_buckets })
    }

    /// Only these buckets' records are applied.
    pub fn only(buckets: Vec<BucketName>) -> Self {
        Self { tracked_buckets: Some(buckets), ..Self::default() }
    }

    pub fn tracks(&self, bucket: &BucketName) -> bool {
        self.tracked_buckets.as_ref().is_none_or(|tracked| tracked.contains(bucket))
    }

    /// The prefixes reserved in `bucket`.
    pub fn reserved_prefixes_of(&self, bucket: &BucketName) -> Vec<String> {
        self.reserved
            .iter()
            .filter(|reserved| reserved.applies_in(bucket))
            .map(|r| r.prefix.clone())
            .collect()
    }

    pub fn is_reserved(&self, bucket: &BucketName, key: &ObjectKey) -> bool {
        self.reserved
            .iter()
            .any(|reserved| reserved.applies_in(bucket) && key.as_str().starts_with(reserved.prefix.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(name: &str) -> BucketName {
        BucketName::parse(name).unwrap()
    }

    fn key(name: &str) -> ObjectKey {
        ObjectKey::parse(name).unwrap()
    }

    #[test]
    fn defaults_track_every_bucket_and_reserve_plots() {
        let rules = TrackingRules::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(rules, TrackingRules::default());
        assert_eq!(rules.reserved_prefixes_of(&bucket("any-bucket")), ["plots/"]);
        assert!(rules.tracks(&bucket("any-bucket")));
        assert!(rules.is_reserved(&bucket("any-bucket"), &key("plots/latest.png")));
    }

    #[test]
    fn a_prefix_can_be_reserved_in_one_bucket_only() {
        let env = Env::from_pairs(&[("RESERVED_PREFIXES", "home-bucket:plots/, tmp/")]);
        let rules = TrackingRules::from_env(&env).unwrap();
        assert!(rules.is_reserved(&bucket("home-bucket"), &key("plots/latest.png")));
        assert!(!rules.is_reserved(&bucket("other-bucket"), &key("plots/latest.png")), "a user's own plots/");
        assert!(rules.is_reserved(&bucket("other-bucket"), &key("tmp/x")));
        assert_eq!(rules.reserved_prefixes_of(&bucket("home-bucket")), ["plots/", "tmp/"]);
        assert_eq!(rules.reserved_prefixes_of(&bucket("other-bucket")), ["tmp/"]);
        for bad in ["Bad:plots/", "home-bucket:"] {
            let error = TrackingRules::from_env(&Env::from_pairs(&[("RESERVED_PREFIXES", bad)])).unwrap_err();
            assert_eq!(error.variable, "RESERVED_PREFIXES", "{bad}");
        }
    }

    #[test]
    fn tracked_buckets_are_a_list_or_a_star() {
        let rules =
            TrackingRules::from_env(&Env::from_pairs(&[("TRACKED_BUCKETS", "one-bucket, two-bucket")]))
                .unwrap();
        assert!(rules.tracks(&bucket("two-bucket")));
        assert!(!rules.tracks(&bucket("three-bucket")));
        let all = TrackingRules::from_env(&Env::from_pairs(&[("TRACKED_BUCKETS", "*")])).unwrap();
        assert_eq!(all.tracked_buckets, None);
        let error =
            TrackingRules::from_env(&Env::from_pairs(&[("TRACKED_BUCKETS", "good-one,Bad")])).unwrap_err();
        assert_eq!(error.variable, "TRACKED_BUCKETS");
    }
}
