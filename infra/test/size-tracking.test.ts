import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import {
  BUCKET_ARN,
  BUCKET_NAME,
  deref,
  flat,
  logicalIdOf,
  resourceNamed,
  synthesize,
} from './helpers';

describe('SizeTrackingLambdaStack', () => {
  const dev = synthesize({ dev: true });
  const prod = synthesize({ dev: false });
  const stack = dev.stacks.tracking;
  const t = dev.tracking;
  const bucketId = logicalIdOf(stack, stack.bucket);
  const trackerId = logicalIdOf(stack, stack.tracker.function);
  const queueId = logicalIdOf(stack, stack.failureQueue);
  const bucket = t.toJSON().Resources[bucketId];
  const tracker = t.toJSON().Resources[trackerId];

  test('the bucket blocks public access, encrypts (SSE-S3) and logs access to its own log bucket', () => {
    assert.equal(flat(bucket.Properties.BucketName), BUCKET_NAME);
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.deepEqual(bucket.Properties.BucketEncryption, {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    const logs = resourceNamed(t, 'AWS::S3::Bucket', 'AccessLogs');
    assert.deepEqual(bucket.Properties.LoggingConfiguration.DestinationBucketName, { Ref: logs.id });
    assert.deepEqual(logs.resource.Properties.PublicAccessBlockConfiguration, bucket.Properties.PublicAccessBlockConfiguration);
    assert.deepEqual(logs.resource.Properties.BucketEncryption, bucket.Properties.BucketEncryption);
  });

  test('S3 may deliver the tracked bucket\'s access logs, and only those, to the log bucket', () => {
    const logs = resourceNamed(t, 'AWS::S3::Bucket', 'AccessLogs');
    const policy = Object.values<any>(t.findResources('AWS::S3::BucketPolicy')).find(
      (p) => p.Properties.Bucket.Ref === logs.id,
    );
    const delivery = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow' && s.Principal.Service);
    assert.deepEqual(delivery, [
      {
        Action: 's3:PutObject',
        Condition: {
          ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Resource: delivery[0].Resource,
      },
    ]);
    assert.equal(flat(delivery[0].Resource), `<${logs.id}.Arn>/tracked-bucket/*`);
  });

  test('dev: the log bucket is emptied only after the tracked bucket is deleted', () => {
    const logs = resourceNamed(t, 'AWS::S3::Bucket', 'AccessLogs');
    const emptier = Object.entries<any>(t.findResources('Custom::S3AutoDeleteObjects')).find(
      ([, r]) => r.Properties.BucketName.Ref === logs.id,
    );
    assert.ok(emptier);
    assert.ok(emptier[1].DependsOn.includes(bucketId));
  });

  test('both buckets deny every request that does not use TLS', () => {
    for (const policy of Object.values(t.findResources('AWS::S3::BucketPolicy'))) {
      assert.ok(
        policy.Properties.PolicyDocument.Statement.some(
          (s: any) =>
            s.Effect === 'Deny' &&
            s.Action === 's3:*' &&
            s.Principal?.AWS === '*' &&
            s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
        'a Deny on aws:SecureTransport=false',
      );
    }
    assert.equal(Object.keys(t.findResources('AWS::S3::BucketPolicy')).length, 2);
  });

  test('S3 notifies the tracker of ObjectCreated:* and ObjectRemoved:*, natively (no custom resource)', () => {
    assert.deepEqual(bucket.Properties.NotificationConfiguration, {
      LambdaConfigurations: [
        { Event: 's3:ObjectCreated:*', Function: { 'Fn::GetAtt': [trackerId, 'Arn'] } },
        { Event: 's3:ObjectRemoved:*', Function: { 'Fn::GetAtt': [trackerId, 'Arn'] } },
      ],
    });
    assert.deepEqual(t.findResources('Custom::S3BucketNotifications'), {});
    // S3 checks its permission to invoke the function when the configuration is set.
    assert.ok(bucket.DependsOn.includes('S3InvokesTracker'));
  });

  test('only this bucket, in this account, may invoke the tracker', () => {
    const permission = t.toJSON().Resources.S3InvokesTracker;
    assert.equal(permission.Type, 'AWS::Lambda::Permission');
    assert.deepEqual(permission.Properties, {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [trackerId, 'Arn'] },
      Principal: 's3.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: permission.Properties.SourceArn,
    });
    assert.equal(flat(permission.Properties.SourceArn), BUCKET_ARN);
  });

  test('tracker: provided.al2023 on arm64, handler bootstrap, its own zip', () => {
    assert.equal(tracker.Properties.Runtime, 'provided.al2023');
    assert.deepEqual(tracker.Properties.Architectures, ['arm64']);
    assert.equal(tracker.Properties.Handler, 'bootstrap');
    assert.match(tracker.Properties.Code.S3Key, /^[0-9a-f]{64}\.zip$/);
    assert.equal(tracker.Properties.Layers, undefined);
    assert.deepEqual(tracker.Properties.LoggingConfig, {
      LogGroup: { Ref: logicalIdOf(stack, stack.tracker.logGroup) },
    });
  });

  test('tracker environment: both tables and the reserved prefix (the bucket comes with each event)', () => {
    const env = Object.fromEntries(
      Object.entries<any>(tracker.Properties.Environment.Variables).map(([k, v]) => [k, deref(flat(v), dev)]),
    );
    assert.deepEqual(env, {
      HISTORY_TABLE: `<${logicalIdOf(dev.stacks.storage, dev.stacks.storage.historyTable)}>`,
      INDEX_TABLE: `<${logicalIdOf(dev.stacks.storage, dev.stacks.storage.indexTable)}>`,
      RESERVED_PREFIXES: 'plots/',
      RUST_LOG: 'info',
    });
  });

  test('tracker async invocations: 2 retries, 6 h max age, then the failure queue', () => {
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: trackerId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    t.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
  });

  test('the failure queue is encrypted, TLS-only and keeps events 14 days', () => {
    t.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('dev: buckets are emptied and deleted, queue and logs deleted', () => {
    for (const b of Object.values(t.findResources('AWS::S3::Bucket'))) assert.equal(b.DeletionPolicy, 'Delete');
    t.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    for (const type of ['AWS::SQS::Queue', 'AWS::Logs::LogGroup']) {
      for (const r of Object.values(t.findResources(type))) assert.equal(r.DeletionPolicy, 'Delete', type);
    }
  });

  test('not dev: buckets, queue and logs are retained, nothing empties a bucket', () => {
    const p = prod.tracking;
    for (const type of ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup']) {
      const resources = Object.values(p.findResources(type));
      assert.ok(resources.length > 0);
      for (const r of resources) {
        assert.equal(r.DeletionPolicy, 'Retain', type);
        assert.equal(r.UpdateReplacePolicy, 'Retain', type);
      }
    }
    p.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    p.resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('outputs BucketName', () => {
    t.hasOutput('BucketName', { Value: { Ref: bucketId } });
  });
});
