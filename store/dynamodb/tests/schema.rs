//! The tables `schema::create_tables` creates are the ones `contract/dynamodb-tables.json` lists, which
//! StorageStack synthesizes too (the infra tests compare its templates with the same file).

use aws_sdk_dynamodb::types::{KeySchemaElement, KeyType, TableDescription};
use serde_json::{Value, json};

fn key_json(description: &TableDescription, schema: &[KeySchemaElement], kind: KeyType) -> Value {
    let Some(name) = schema.iter().find(|k| *k.key_type() == kind).map(|k| k.attribute_name()) else {
        return Value::Null;
    };
    let attribute = description
        .attribute_definitions()
        .iter()
        .find(|a| a.attribute_name() == name)
        .unwrap_or_else(|| panic!("{name} has no attribute definition"));
    json!({ "name": name, "type": attribute.attribute_type().as_str() })
}

/// A created table in the contract's shape.
async fn described(client: &aws_sdk_dynamodb::Client, table: &str) -> Value {
    let description = client.describe_table().table_name(table).send().await.unwrap().table.unwrap();
    let indexes: Vec<Value> = description
        .global_secondary_indexes()
        .iter()
        .map(|index| {
            json!({
                "name": index.index_name(),
                "partitionKey": key_json(&description, index.key_schema(), KeyType::Hash),
                "sortKey": key_json(&description, index.key_schema(), KeyType::Range),
                "projection": index.projection().and_then(|p| p.projection_type()).map(|p| p.as_str()),
            })
        })
        .collect();
    let ttl = client.describe_time_to_live().table_name(table).send().await.unwrap();
    let ttl_attribute = ttl
        .time_to_live_description()
        .filter(|d| d.time_to_live_status().is_some_and(|s| s.as_str() == "ENABLED"))
        .and_then(|d| d.attribute_name());
    json!({
        "partitionKey": key_json(&description, description.key_schema(), KeyType::Hash),
        "sortKey": key_json(&description, description.key_schema(), KeyType::Range),
        "globalSecondaryIndexes": indexes,
        "billing": description.billing_mode_summary().and_then(|b| b.billing_mode()).map(|b| b.as_str()),
        "timeToLiveAttribute": ttl_attribute,
    })
}

#[tokio::test]
async fn the_created_tables_are_the_contracts() {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let mut contract = testkit::contract::load("dynamodb-tables.json");
    contract.as_object_mut().unwrap().remove("$comment");
    let created = json!({
        "history": described(&client, &tables.history).await,
        "index": described(&client, &tables.index).await,
    });
    assert_eq!(created, contract, "created (left) and contract/dynamodb-tables.json (right) differ");
}
