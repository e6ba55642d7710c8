import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { HISTORY_GSI } from '../lib/constants';
import { logicalIdOf, synthesize } from './helpers';

describe('StorageStack', () => {
  const dev = synthesize({ dev: true });
  const prod = synthesize({ dev: false });
  const historyId = logicalIdOf(dev.stacks.storage, dev.stacks.storage.historyTable);
  const indexId = logicalIdOf(dev.stacks.storage, dev.stacks.storage.indexTable);

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

  test('history table: PK bucket (S), SK ts (N), on demand, point-in-time recovery, encrypted', () => {
    dev.storage.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'bucket', KeyType: 'HASH' },
          { AttributeName: 'ts', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'bucket', AttributeType: 'S' },
          { AttributeName: 'ts', AttributeType: 'N' },
          { AttributeName: 'size_bytes', AttributeType: 'N' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        ProvisionedThroughput: Match.absent(),
      }),
    });
  });

  test('history GSI by-size: PK bucket (S), SK size_bytes (N), projection ALL', () => {
    const table = dev.storage.toJSON().Resources[historyId];
    assert.deepEqual(table.Properties.GlobalSecondaryIndexes, [
      {
        IndexName: HISTORY_GSI,
        KeySchema: [
          { AttributeName: 'bucket', KeyType: 'HASH' },
          { AttributeName: 'size_bytes', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    assert.equal(HISTORY_GSI, 'by-size');
  });

  test('ObjectIndex table: PK pk (S), SK sk (S), TTL on expires_at, on demand, point-in-time recovery', () => {
    const table = dev.storage.toJSON().Resources[indexId];
    assert.deepEqual(table.Properties.KeySchema, [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(table.Properties.AttributeDefinitions, [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    assert.deepEqual(table.Properties.TimeToLiveSpecification, { AttributeName: 'expires_at', Enabled: true });
    assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(table.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.equal(table.Properties.GlobalSecondaryIndexes, undefined);
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

  test('outputs TableName and GsiName', () => {
    dev.storage.hasOutput('TableName', { Value: { Ref: historyId } });
    dev.storage.hasOutput('GsiName', { Value: 'by-size' });
    dev.storage.hasOutput('IndexTableName', { Value: { Ref: indexId } });
  });
});
