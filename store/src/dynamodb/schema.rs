//! Creates the two tables, for tests and for running against a local DynamoDB-compatible endpoint.
//! In AWS the StorageStack creates them with the same layout.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use crate::StoreError;
use crate::settings::DynamoTables;

fn attribute(name: &str, kind: ScalarAttributeType) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .map_err(StoreError::dynamodb)
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(StoreError::dynamodb)
}

pub async fn create_tables(client: &Client, tables: &DynamoTables) -> Result<(), StoreError> {
    client
        .create_table()
        .table_name(&tables.history)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("bucket", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("ts", ScalarAttributeType::N)?)
        .attribute_definitions(attribute("size_bytes", ScalarAttributeType::N)?)
        .key_schema(key("bucket", KeyType::Hash)?)
        .key_schema(key("ts", KeyType::Range)?)
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&tables.history_gsi)
                .key_schema(key("bucket", KeyType::Hash)?)
                .key_schema(key("size_bytes", KeyType::Range)?)
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(StoreError::dynamodb)?,
        )
        .send()
        .await
        .map_err(|e| StoreError::dynamodb(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;

    client
        .create_table()
        .table_name(&tables.index)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("sk", ScalarAttributeType::S)?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .send()
        .await
        .map_err(|e| StoreError::dynamodb(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;

    client
        .update_time_to_live()
        .table_name(&tables.index)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .map_err(StoreError::dynamodb)?,
        )
        .send()
        .await
        .map_err(|e| StoreError::dynamodb(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    Ok(())
}
