use settings::{ConfigError, Env};
use store_dynamodb::LedgerTables;
use tracker::TrackingRules;

/// What the tracker function reads from its environment (`contract/functions.json` lists the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerLambdaConfig {
    pub tables: LedgerTables,
    pub rules: TrackingRules,
}

impl TrackerLambdaConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { tables: LedgerTables::from_env(env)?, rules: TrackingRules::from_env(env)? })
    }
}
