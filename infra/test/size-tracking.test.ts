import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Duration } from 'aws-cdk-lib';
import { TRACKED_EVENTS } from '../lib/size-tracking-lambda-stack';
import {
  DELIVERY_DEFAULTS,
  trackerDelivery,
  type TrackerDeliveryProps,
  VISIBILITY_TIMEOUT_FACTOR,
  visibilityTimeoutFor,
} from '../lib/tracker-delivery';
import {
  BUCKET_ARN,
  BUCKET_NAME,
  deref,
  flat,
  logicalIdOf,
  resourceNamed,
  roleStatements,
  synthesize,
} from './helpers';

describe('SizeTrackingLambdaStack', () => {
  const dev = synthesize({ dev: true });
  const prod = synthesize({ dev: false });
  const stack = dev.stacks.tracking;
  const t = dev.tracking;
  const bucketId = logicalIdOf(stack, stack.bucket);
  const trackerId = logicalIdOf(stack, stack.tracker.function);
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

  test('rendered plots (plots/renders/) expire a day after they are written, nothing else does', () => {
    assert.deepEqual(bucket.Properties.LifecycleConfiguration, {
      Rules: [{ Id: 'ExpirePlotRenders', Prefix: 'plots/renders/', ExpirationInDays: 1, Status: 'Enabled' }],
    });
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

  test('tracker environment: both tables, the bucket it applies and the prefix reserved in it', () => {
    const env = Object.fromEntries(
      Object.entries<any>(tracker.Properties.Environment.Variables).map(([k, v]) => [k, deref(flat(v), dev)]),
    );
    assert.deepEqual(env, {
      HISTORY_TABLE: `<${logicalIdOf(dev.stacks.storage, dev.stacks.storage.historyTable)}>`,
      INDEX_TABLE: `<${logicalIdOf(dev.stacks.storage, dev.stacks.storage.indexTable)}>`,
      TRACKED_BUCKETS: BUCKET_NAME,
      RESERVED_PREFIXES: `${BUCKET_NAME}:plots/`,
      RUST_LOG: 'info',
    });
  });

  test('dev: buckets are emptied and deleted, queues and logs deleted', () => {
    for (const b of Object.values(t.findResources('AWS::S3::Bucket'))) assert.equal(b.DeletionPolicy, 'Delete');
    t.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    for (const type of ['AWS::SQS::Queue', 'AWS::Logs::LogGroup']) {
      for (const r of Object.values(t.findResources(type))) assert.equal(r.DeletionPolicy, 'Delete', type);
    }
  });

  test('not dev: buckets, queues and logs are retained, nothing empties a bucket', () => {
    const p = prod.tracking;
    for (const type of ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup']) {
      const resources = Object.values(p.findResources(type));
      assert.ok(resources.length > 0);
      if (type === 'AWS::SQS::Queue') assert.equal(resources.length, 3, 'events, dead-letter and failure queues');
      for (const r of resources) {
        assert.equal(r.DeletionPolicy, 'Retain', type);
        assert.equal(r.UpdateReplacePolicy, 'Retain', type);
      }
    }
    p.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    p.resourceCountIs('AWS::Lambda::Function', 2); // the tracker and the reconcile
  });

  test('outputs BucketName', () => {
    t.hasOutput('BucketName', { Value: { Ref: bucketId } });
  });
});

describe('SizeTrackingLambdaStack: S3 events reach the tracker through SQS', () => {
  const dev = synthesize({ dev: true });
  const stack = dev.stacks.tracking;
  const t = dev.tracking;
  const resources = t.toJSON().Resources;
  const bucketId = logicalIdOf(stack, stack.bucket);
  const trackerId = logicalIdOf(stack, stack.tracker.function);
  const eventsId = logicalIdOf(stack, stack.eventsQueue);
  const dlqId = logicalIdOf(stack, stack.deadLetterQueue);
  const failureId = logicalIdOf(stack, stack.failureQueue);
  const topicId = logicalIdOf(stack, stack.alarms.topic);
  const keyId = logicalIdOf(stack, stack.alarms.key);
  const bucket = resources[bucketId];
  const events = resources[eventsId];
  const dlq = resources[dlqId];
  const tracker = resources[trackerId];
  const queuePolicyOf = (queueId: string) => {
    const policies = Object.entries<any>(t.findResources('AWS::SQS::QueuePolicy')).filter(([, p]) =>
      p.Properties.Queues.some((q: any) => q.Ref === queueId),
    );
    assert.equal(policies.length, 1, `one policy for ${queueId}`);
    return { id: policies[0][0], statements: policies[0][1].Properties.PolicyDocument.Statement as any[] };
  };
  const mappings = () => Object.values<any>(t.findResources('AWS::Lambda::EventSourceMapping'));
  const alarmOn = (queueId: string) => {
    const found = Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
      a.Properties.Dimensions?.some((d: any) => d.Name === 'QueueName' && d.Value['Fn::GetAtt']?.[0] === queueId),
    );
    assert.equal(found.length, 1, `one alarm on ${queueId}`);
    return found[0].Properties;
  };

  test('S3 notifies the events queue of ObjectCreated:*, ObjectRemoved:* and LifecycleExpiration:*, natively', () => {
    assert.deepEqual(TRACKED_EVENTS, ['s3:ObjectCreated:*', 's3:ObjectRemoved:*', 's3:LifecycleExpiration:*']);
    const queue = { 'Fn::GetAtt': [eventsId, 'Arn'] };
    assert.deepEqual(bucket.Properties.NotificationConfiguration, {
      QueueConfigurations: [
        { Event: 's3:ObjectCreated:*', Queue: queue },
        { Event: 's3:ObjectRemoved:*', Queue: queue },
        { Event: 's3:LifecycleExpiration:*', Queue: queue },
      ],
    });
    assert.deepEqual(t.findResources('Custom::S3BucketNotifications'), {});
    // S3 checks that it may send to the queue when the configuration is set.
    assert.ok(bucket.DependsOn.includes(queuePolicyOf(eventsId).id), 'the bucket waits for the queue policy');
  });

  test('S3 invokes nothing: no Lambda permission, no async invoke settings, no on-failure destination', () => {
    t.resourceCountIs('AWS::Lambda::Permission', 0);
    t.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    assert.equal(resources.S3InvokesTracker, undefined);
  });

  test('only this bucket, in this account, may send to the events queue, and only over TLS', () => {
    const { statements } = queuePolicyOf(eventsId);
    const allows = statements.filter((s) => s.Effect === 'Allow');
    assert.deepEqual(allows, [
      {
        Sid: 'TrackedBucketSendsEvents',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [eventsId, 'Arn'] },
        Condition: {
          ArnLike: { 'aws:SourceArn': allows[0].Condition.ArnLike['aws:SourceArn'] },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
    assert.equal(flat(allows[0].Condition.ArnLike['aws:SourceArn']), BUCKET_ARN);
  });

  test('every queue is encrypted (SSE-SQS) and denies requests without TLS', () => {
    for (const id of [eventsId, dlqId, failureId]) {
      assert.equal(resources[id].Properties.SqsManagedSseEnabled, true, id);
      assert.ok(
        queuePolicyOf(id).statements.some(
          (s) =>
            s.Effect === 'Deny' &&
            s.Action === 'sqs:*' &&
            s.Principal?.AWS === '*' &&
            s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
        `${id}: a Deny on aws:SecureTransport=false`,
      );
    }
  });

  test('the events queue hides a received message for 6 × the tracker\'s timeout', () => {
    assert.equal(tracker.Properties.Timeout, 30);
    assert.equal(events.Properties.VisibilityTimeout, 6 * tracker.Properties.Timeout);
  });

  test('visibilityTimeoutFor: 6 × the consumer\'s timeout', () => {
    assert.equal(VISIBILITY_TIMEOUT_FACTOR, 6);
    assert.equal(visibilityTimeoutFor(Duration.seconds(30)).toSeconds(), 180);
    assert.equal(visibilityTimeoutFor(Duration.minutes(2)).toSeconds(), 720);
  });

  test('a message the tracker failed on 5 times moves to the dead-letter queue, which keeps it longer (14 days > 4 days)', () => {
    assert.deepEqual(events.Properties.RedrivePolicy, {
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: 5,
    });
    assert.equal(events.Properties.MessageRetentionPeriod, 4 * 24 * 3600);
    assert.equal(dlq.Properties.MessageRetentionPeriod, 14 * 24 * 3600);
    assert.ok(dlq.Properties.MessageRetentionPeriod > events.Properties.MessageRetentionPeriod);
    assert.equal(dlq.Properties.RedrivePolicy, undefined, 'the dead-letter queue redrives nowhere');
  });

  test('the tracker consumes the events queue: batches of 1000 within 1 s, partial batch failures, at most 5 at once', () => {
    assert.deepEqual(mappings(), [
      {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': [eventsId, 'Arn'] },
          FunctionName: { Ref: trackerId },
          BatchSize: 1000,
          MaximumBatchingWindowInSeconds: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: 5 },
        },
      },
    ]);
  });

  test('the tracker\'s role may consume the events queue and use no other queue', () => {
    const sqsStatements = roleStatements(t, stack, stack.tracker.role).filter((s) => s.actions.some((a) => a.startsWith('sqs:')));
    assert.deepEqual(
      sqsStatements.map((s) => [s.actions, s.resources]),
      [
        [
          ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
          [`<${eventsId}.Arn>`],
        ],
      ],
    );
    // The function is created, and so the mapping, only once the role may receive.
    assert.ok(tracker.DependsOn.some((id: string) => id.startsWith('TrackerRoleDefaultPolicy')));
  });

  test('the tracker reserves no concurrency by default', () => {
    assert.equal(tracker.Properties.ReservedConcurrentExecutions, undefined);
  });

  test('the failure queue stays, with its logical id and properties, for tracker redrive to drain', () => {
    assert.equal(failureId, 'TrackerFailuresE5BB43C0');
    assert.deepEqual(resources[failureId].Properties, { MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    // Nothing sends to it or reads from it any more.
    const uses = JSON.stringify(
      Object.entries<any>(resources).filter(([id, r]) => id !== failureId && r.Type !== 'AWS::SQS::QueuePolicy'),
    );
    assert.ok(!uses.includes(failureId), 'no resource but its own policy refers to the failure queue');
  });

  test('an alarm when the dead-letter queue holds a message, notifying the topic in ALARM and OK', () => {
    const alarm = alarmOn(dlqId);
    assert.deepEqual(
      {
        Namespace: alarm.Namespace,
        MetricName: alarm.MetricName,
        Statistic: alarm.Statistic,
        Period: alarm.Period,
        ComparisonOperator: alarm.ComparisonOperator,
        Threshold: alarm.Threshold,
        EvaluationPeriods: alarm.EvaluationPeriods,
        TreatMissingData: alarm.TreatMissingData,
        AlarmActions: alarm.AlarmActions,
        OKActions: alarm.OKActions,
      },
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Period: 60,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      },
    );
    assert.match(alarm.AlarmDescription, /tracker redrive --from <DeadLetterQueueUrl> --to <EventsQueueUrl>/);
  });

  test('an alarm when the events queue\'s oldest message is over 15 minutes old, notifying the topic', () => {
    const alarm = alarmOn(eventsId);
    assert.equal(alarm.MetricName, 'ApproximateAgeOfOldestMessage');
    assert.equal(alarm.Namespace, 'AWS/SQS');
    assert.equal(alarm.Statistic, 'Maximum');
    assert.equal(alarm.ComparisonOperator, 'GreaterThanThreshold');
    assert.equal(alarm.Threshold, 15 * 60);
    assert.deepEqual(alarm.AlarmActions, [{ Ref: topicId }]);
    assert.deepEqual(alarm.OKActions, [{ Ref: topicId }]);
    // With the tracker's and the reconcile's errors and the reconcile's drift (test/alarms.test.ts).
    t.resourceCountIs('AWS::CloudWatch::Alarm', 6);
  });

  test('the alarm topic is encrypted with its own rotated key, requires TLS, and only these alarms may publish', () => {
    const topic = resources[topicId];
    assert.deepEqual(topic.Properties.KmsMasterKeyId, { 'Fn::GetAtt': [keyId, 'Arn'] });
    assert.equal(resources[keyId].Properties.EnableKeyRotation, true);
    const alarmArns = Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => `arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:${a.Properties.AlarmName}`,
    );
    const fromTheseAlarms = (s: any) => {
      assert.deepEqual(s.Principal, { Service: 'cloudwatch.amazonaws.com' });
      assert.deepEqual(s.Condition.StringEquals, { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      assert.deepEqual(s.Condition.ArnLike['aws:SourceArn'].map(flat).sort(), alarmArns.sort());
    };
    const topicPolicies = Object.values<any>(t.findResources('AWS::SNS::TopicPolicy'));
    assert.equal(topicPolicies.length, 1);
    assert.deepEqual(topicPolicies[0].Properties.Topics, [{ Ref: topicId }]);
    const statements = topicPolicies[0].Properties.PolicyDocument.Statement;
    assert.ok(
      statements.some(
        (s: any) => s.Effect === 'Deny' && s.Principal === '*' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      ),
      'a Deny on aws:SecureTransport=false',
    );
    const publish = statements.filter((s: any) => s.Effect === 'Allow');
    assert.equal(publish.length, 1);
    assert.equal(publish[0].Action, 'sns:Publish');
    assert.deepEqual(publish[0].Resource, { Ref: topicId });
    fromTheseAlarms(publish[0]);
    const keyUse = resources[keyId].Properties.KeyPolicy.Statement.filter((s: any) => s.Principal?.Service);
    assert.equal(keyUse.length, 1);
    assert.deepEqual(keyUse[0].Action, ['kms:Decrypt', 'kms:GenerateDataKey*']);
    fromTheseAlarms(keyUse[0]);
  });

  test('no email subscription unless alarmEmail is set', () => {
    t.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = synthesize({ dev: true, alarmEmail: 'ops@example.com' });
    const subscriptions = Object.values<any>(withEmail.tracking.findResources('AWS::SNS::Subscription'));
    assert.deepEqual(
      subscriptions.map((s) => s.Properties),
      [
        {
          Protocol: 'email',
          Endpoint: 'ops@example.com',
          TopicArn: { Ref: logicalIdOf(withEmail.stacks.tracking, withEmail.stacks.tracking.alarms.topic) },
        },
      ],
    );
  });

  test('outputs the queue URLs for tracker redrive, and the alarm topic', () => {
    t.hasOutput('EventsQueueUrl', { Value: { Ref: eventsId } });
    t.hasOutput('DeadLetterQueueUrl', { Value: { Ref: dlqId } });
    t.hasOutput('FailureQueueUrl', { Value: { Ref: failureId } });
    t.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });
});

describe('SizeTrackingLambdaStack: delivery props', () => {
  test('batch size, window, maximum and reserved concurrency and the age threshold reach the template', () => {
    const s = synthesize({
      dev: true,
      trackerBatchSize: 10,
      trackerBatchWindowSeconds: 0,
      trackerMaxConcurrency: 4,
      trackerReservedConcurrency: 4,
      oldestMessageAlarmMinutes: 60,
    });
    const mapping = Object.values<any>(s.tracking.findResources('AWS::Lambda::EventSourceMapping'));
    assert.deepEqual(
      mapping.map((m) => [m.Properties.BatchSize, m.Properties.MaximumBatchingWindowInSeconds, m.Properties.ScalingConfig]),
      [[10, 0, { MaximumConcurrency: 4 }]],
    );
    const tracker = s.tracking.toJSON().Resources[logicalIdOf(s.stacks.tracking, s.stacks.tracking.tracker.function)];
    assert.equal(tracker.Properties.ReservedConcurrentExecutions, 4);
    const age = Object.values<any>(s.tracking.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage',
    );
    assert.equal(age.Properties.Threshold, 3600);
  });

  test('the defaults', () => {
    assert.deepEqual(DELIVERY_DEFAULTS, {
      trackerBatchSize: 1000,
      trackerBatchWindowSeconds: 1,
      trackerMaxConcurrency: 5,
      oldestMessageAlarmMinutes: 15,
    });
    assert.deepEqual(trackerDelivery({}), {
      batchSize: 1000,
      batchWindowSeconds: 1,
      maxConcurrency: 5,
      reservedConcurrency: undefined,
      oldestMessageAlarmMinutes: 15,
      alarmEmail: undefined,
    });
  });

  const refused: Array<[string, TrackerDeliveryProps, string]> = [
    ['a batch of 0', { trackerBatchSize: 0 }, 'trackerBatchSize must be a whole number from 1 to 10000, got 0'],
    ['a batch over 10 000', { trackerBatchSize: 10_001 }, 'trackerBatchSize must be a whole number from 1 to 10000, got 10001'],
    ['a fractional batch', { trackerBatchSize: 2.5 }, 'trackerBatchSize must be a whole number from 1 to 10000, got 2.5'],
    ['a window over 300 s', { trackerBatchWindowSeconds: 301 }, 'trackerBatchWindowSeconds must be a whole number from 0 to 300, got 301'],
    [
      'a batch over 10 without a window',
      { trackerBatchSize: 11, trackerBatchWindowSeconds: 0 },
      'trackerBatchWindowSeconds must be at least 1 when trackerBatchSize is over 10 (AWS refuses a larger batch without a batching window), got trackerBatchSize 11 and trackerBatchWindowSeconds 0',
    ],
    [
      'the default batch without a window',
      { trackerBatchWindowSeconds: 0 },
      'trackerBatchWindowSeconds must be at least 1 when trackerBatchSize is over 10 (AWS refuses a larger batch without a batching window), got trackerBatchSize 1000 and trackerBatchWindowSeconds 0',
    ],
    [
      'a maximum concurrency of 1',
      { trackerMaxConcurrency: 1 },
      "trackerMaxConcurrency must be a whole number from 2 to 1000 (the SQS event source's maximum concurrency), got 1",
    ],
    [
      'a maximum concurrency over 1000',
      { trackerMaxConcurrency: 1001 },
      "trackerMaxConcurrency must be a whole number from 2 to 1000 (the SQS event source's maximum concurrency), got 1001",
    ],
    ['a reservation of 0', { trackerReservedConcurrency: 0 }, 'trackerReservedConcurrency must be a whole number of at least 1, got 0'],
    [
      'a reservation under the default maximum concurrency',
      { trackerReservedConcurrency: 4 },
      'trackerMaxConcurrency (5) must not exceed trackerReservedConcurrency (4): the event source would receive batches the function may not run, and each throttled receive counts towards the 5 after which a message moves to the dead-letter queue',
    ],
    [
      'a reservation under the maximum concurrency',
      { trackerMaxConcurrency: 20, trackerReservedConcurrency: 10 },
      'trackerMaxConcurrency (20) must not exceed trackerReservedConcurrency (10)',
    ],
    [
      'an age threshold of 0',
      { oldestMessageAlarmMinutes: 0 },
      "oldestMessageAlarmMinutes must be a whole number from 1 to 5759 (under the events queue's retention of 4 days), got 0",
    ],
    [
      'an age threshold the retention never reaches',
      { oldestMessageAlarmMinutes: 4 * 24 * 60 },
      "oldestMessageAlarmMinutes must be a whole number from 1 to 5759 (under the events queue's retention of 4 days), got 5760",
    ],
    ['an email without @', { alarmEmail: 'ops.example.com' }, 'alarmEmail must be an email address, got "ops.example.com"'],
  ];
  for (const [what, props, message] of refused) {
    test(`refused: ${what}`, () => {
      assert.throws(() => trackerDelivery(props), (error: Error) => {
        assert.equal(error.name, 'InvalidOptionError');
        assert.ok(error.message.startsWith(message), error.message);
        return true;
      });
      // The stack refuses it too, before it builds anything.
      assert.throws(() => synthesize({ dev: true, ...props }), { name: 'InvalidOptionError' });
    });
  }

  test('accepted at the edges: a batch of 10 without a window, maximum concurrency equal to the reservation', () => {
    assert.doesNotThrow(() => trackerDelivery({ trackerBatchSize: 10, trackerBatchWindowSeconds: 0 }));
    assert.doesNotThrow(() => trackerDelivery({ trackerBatchSize: 10_000, trackerBatchWindowSeconds: 300 }));
    assert.doesNotThrow(() => trackerDelivery({ trackerMaxConcurrency: 2, trackerReservedConcurrency: 2 }));
    assert.doesNotThrow(() => trackerDelivery({ trackerMaxConcurrency: 1000, oldestMessageAlarmMinutes: 5759 }));
  });
});
