use std::net::{Ipv4Addr, SocketAddr};

use domain::BucketName;
use settings::{ConfigError, Env};
use store_dynamodb::HistoryTables;

/// What the api function reads from its environment (`contract/functions.json` lists the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiLambdaConfig {
    /// `BUCKET_NAME`: served when a request names none, and where plots are stored.
    pub bucket: BucketName,
    /// `TRACKED_BUCKETS` (comma-separated): the buckets `/buckets` lists after `bucket`; none when unset.
    pub tracked: Vec<BucketName>,
    pub tables: HistoryTables,
    pub mode: Mode,
}

/// How the function takes its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Over HTTP on 127.0.0.1:`AWS_LWA_PORT`, where the Lambda Web Adapter forwards them.
    WebAdapter(SocketAddr),
    /// Without the adapter: Lambda events through `lambda_http` (the stack then sets
    /// `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`, so routes match as they do over HTTP).
    Native,
}

impl ApiLambdaConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mode = match env.parsed::<u16>("AWS_LWA_PORT")? {
            Some(port) => Mode::WebAdapter(SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
            None => Mode::Native,
        };
        Ok(Self {
            bucket: env.required_parsed("BUCKET_NAME")?,
            tracked: env.list::<BucketName>("TRACKED_BUCKETS")?.unwrap_or_default(),
            tables: HistoryTables::from_env(env)?,
            mode,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adapters_port_selects_http_and_its_absence_native() {
        let env = |pairs: &[(&str, &str)]| {
            let mut all = vec![("BUCKET_NAME", "plots-bucket"), ("HISTORY_TABLE", "h")];
            all.extend_from_slice(pairs);
            ApiLambdaConfig::from_env(&Env::from_pairs(&all))
        };
        assert_eq!(
            env(&[("AWS_LWA_PORT", "8080")]).unwrap().mode,
            Mode::WebAdapter(([127, 0, 0, 1], 8080).into())
        );
        assert_eq!(env(&[]).unwrap().mode, Mode::Native);
        assert_eq!(env(&[("AWS_LWA_PORT", "http")]).unwrap_err().variable, "AWS_LWA_PORT");
        assert_eq!(env(&[]).unwrap().tables.gsi, store_dynamodb::DEFAULT_GSI);
    }

    #[test]
    fn the_tracked_buckets_are_read_as_listed() {
        let tracked = |value: &str| {
            let pairs = [("BUCKET_NAME", "plots-bucket"), ("HISTORY_TABLE", "h"), ("TRACKED_BUCKETS", value)];
            ApiLambdaConfig::from_env(&Env::from_pairs(&pairs))
                .map(|config| config.tracked.iter().map(ToString::to_string).collect::<Vec<_>>())
        };
        assert!(tracked("").unwrap().is_empty());
        assert_eq!(
            tracked("other-one, plots-bucket,other-two").unwrap(),
            ["other-one", "plots-bucket", "other-two"]
        );
        assert_eq!(tracked("other-one,Not_A_Bucket").unwrap_err().variable, "TRACKED_BUCKETS");
    }
}
