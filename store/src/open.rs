use std::sync::Arc;

use crate::{Backend, SizeStore, StoreError, dynamodb::DynamoStore, sqlite::SqliteStore};

/// Opens the configured adapter. `sdk` is used only by the DynamoDB adapter.
pub async fn open(backend: &Backend, sdk: &aws_config::SdkConfig) -> Result<Arc<dyn SizeStore>, StoreError> {
    Ok(match backend {
        Backend::DynamoDb(tables) => {
            Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), tables.clone()))
        }
        Backend::Sqlite { path } => Arc::new(SqliteStore::open(path).await?),
    })
}
