import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contractJson, logicalIdOf, synthesize } from './helpers';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A synthesized AWS::DynamoDB::Table in the shape of contract/dynamodb-tables.json, so the two compare
 * with one deepEqual. The Rust schema code compares the tables it creates with the same file: neither
 * side can drift from it without its test failing.
 */
function asContractTable(properties: Json): Json {
  const attributeType = (name: string): string => {
    const found = properties.AttributeDefinitions.find((a: Json) => a.AttributeName === name);
    assert.ok(found, `${name} has no attribute definition`);
    return found.AttributeType;
  };
  const keys = (schema: Json[]): Json => {
    const key = (type: string) => {
      const element = schema.find((k) => k.KeyType === type);
      return element && { name: element.AttributeName, type: attributeType(element.AttributeName) };
    };
    assert.equal(schema.length, key('RANGE') ? 2 : 1);
    return { partitionKey: key('HASH'), ...(key('RANGE') ? { sortKey: key('RANGE') } : {}) };
  };
  const ttl = properties.TimeToLiveSpecification;
  const keyNames = [properties.KeySchema, ...(properties.GlobalSecondaryIndexes ?? []).map((i: Json) => i.KeySchema)]
    .flat()
    .map((k: Json) => k.AttributeName);
  for (const definition of properties.AttributeDefinitions) {
    assert.ok(keyNames.includes(definition.AttributeName), `${definition.AttributeName} is defined but is no key`);
  }
  return {
    ...keys(properties.KeySchema),
    globalSecondaryIndexes: (properties.GlobalSecondaryIndexes ?? []).map((index: Json) => ({
      name: index.IndexName,
      ...keys(index.KeySchema),
      projection: index.Projection.ProjectionType,
    })),
    billing: properties.BillingMode ?? 'PROVISIONED',
    timeToLiveAttribute: ttl?.Enabled ? ttl.AttributeName : null,
  };
}

describe('StorageStack', () => {
  const dev = synthesize({ dev: true });
  const prod = synthesize({ dev: false });
  const historyId = logicalIdOf(dev.stacks.storage, dev.stacks.storage.historyTable);
  const indexId = logicalIdOf(dev.stacks.storage, dev.stacks.storage.indexTable);
  const { $comment, ...tablesJson } = contractJson('dynamodb-tables.json');

  test('holds exactly the two tables and nothing else', () => {
    const resources = dev.storage.toJSON().Resources as Record<string, { Type: string }>;
    assert.deepEqual(
      Object.entries(resources).map(([id, r]) => [id, r.Type]).sort(),
      [
        [historyId, 'AWS::DynamoDB::Table'],
        [indexId, 'AWS::DynamoDB::Table'],
      ].sort(),
    );
  });

  test('the tables keep their logical ids (another id would replace the table and lose its data)', () => {
    assert.equal(historyId, 'SizeHistory56A4C369');
    assert.equal(indexId, 'ObjectIndex5AF65DFE');
  });

  for (const [variant, synthesized] of Object.entries({ dev, retained: prod })) {
    test(`the tables are exactly contract/dynamodb-tables.json: keys, types, GSI, projection, billing, TTL (${variant})`, () => {
      const resources = synthesized.storage.toJSON().Resources;
      const { storage } = synthesized.stacks;
      const synthesizedTables = {
        history: asContractTable(resources[logicalIdOf(storage, storage.historyTable)].Properties),
        index: asContractTable(resources[logicalIdOf(storage, storage.indexTable)].Properties),
      };
      assert.deepEqual(synthesizedTables, tablesJson);
    });
  }

  test('both tables: point-in-time recovery, encrypted with the AWS managed key, no provisioned throughput', () => {
    for (const table of Object.values(dev.storage.findResources('AWS::DynamoDB::Table'))) {
      assert.deepEqual(table.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
      assert.deepEqual(table.Properties.SSESpecification, { SSEEnabled: true });
      assert.equal(table.Properties.ProvisionedThroughput, undefined);
    }
  });

  test('dev: the tables are deleted with the stack', () => {
    for (const table of Object.values(dev.storage.findResources('AWS::DynamoDB::Table'))) {
      assert.equal(table.DeletionPolicy, 'Delete');
      assert.equal(table.UpdateReplacePolicy, 'Delete');
      assert.equal(table.Properties.DeletionProtectionEnabled, false);
    }
  });

  test('not dev: the tables are retained and deletion-protected', () => {
    for (const table of Object.values(prod.storage.findResources('AWS::DynamoDB::Table'))) {
      assert.equal(table.DeletionPolicy, 'Retain');
      assert.equal(table.UpdateReplacePolicy, 'Retain');
      assert.equal(table.Properties.DeletionProtectionEnabled, true);
    }
  });

  test('outputs TableName, GsiName (the history GSI of contract/dynamodb-tables.json) and IndexTableName', () => {
    dev.storage.hasOutput('TableName', { Value: { Ref: historyId } });
    dev.storage.hasOutput('GsiName', { Value: tablesJson.history.globalSecondaryIndexes[0].name });
    dev.storage.hasOutput('IndexTableName', { Value: { Ref: indexId } });
  });
});
