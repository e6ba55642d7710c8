//! Creates the two tables, for tests and for running against a local DynamoDB-compatible endpoint.
//! In AWS the StorageStack creates them with the same layout: both are checked against
//! `contract/dynamodb-tables.json`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use domain::StoreError;

use crate::Tables;
use crate::errors::OrStore;

fn attribute(name: &str, kind: ScalarAttributeType) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder().attribute_name(name).attribute_type(kind).build().or_store()
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().or_store()
}

pub async fn create_tables(client: &Client, tables: &Tables) -> Result<(), StoreError> {
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
                .or_store()?,
        )
        .send()
        .await
        .or_store()?;

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
        .or_store()?;

    client
        .update_time_to_live()
        .table_name(&tables.index)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .or_store()?,
        )
        .send()
        .await
        .or_store()?;
    Ok(())
}
