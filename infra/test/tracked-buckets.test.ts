import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createStacks, optionsFromContext, type S3SizeMicroOptions } from '../lib/app';
import { bucketNameProblem } from '../lib/tracked-bucket-rules';
import { InvalidOptionError } from '../lib/tracker-delivery';
import {
  asArray,
  BUCKET_ARN,
  BUCKET_NAME,
  deref,
  flat,
  logicalIdOf,
  newApp,
  roleStatements,
  synthesize,
  type Synthesized,
} from './helpers';

const TRACKED = ['bucket-a', 'logs.example-b'];
const arnOf = (bucket: string) => `arn:<AWS::Partition>:s3:::${bucket}`;
const ALL_BUCKET_ARNS = [BUCKET_ARN, ...TRACKED.map(arnOf)];

/** Every template of the app, by stack name. */
const templates = (s: Synthesized) => ({
  StorageStack: s.storage,
  SizeTrackingLambdaStack: s.tracking,
  PlotLambdaStack: s.plot,
  DriverLambdaStack: s.driver,
});

const resourcesOf = (s: Synthesized, type: string) => Object.entries<any>(s.tracking.findResources(type));

describe('trackedBuckets: one EventBridge rule per bucket, to the events queue', () => {
  const tracked = synthesize({ dev: true, trackedBuckets: TRACKED });
  const stack = tracked.stacks.tracking;
  const queueArn = `<${logicalIdOf(stack, stack.eventsQueue)}.Arn>`;
  const deadLetterArn = `<${logicalIdOf(stack, stack.deadLetterQueue)}.Arn>`;
  const rules = resourcesOf(tracked, 'AWS::Events::Rule');
  const ruleOf = (bucket: string) => {
    const rule = stack.trackedBucketRules.rules.get(bucket);
    assert.ok(rule, `a rule for ${bucket}`);
    return logicalIdOf(stack, rule);
  };

  test('one rule per tracked bucket, none for the own bucket (S3 notifies the queue of it directly)', () => {
    assert.equal(rules.length, TRACKED.length);
    assert.deepEqual(rules.map(([id]) => id).sort(), TRACKED.map(ruleOf).sort());
  });

  test('each on the default bus, matching exactly the bucket\'s Object Created and Object Deleted events', () => {
    for (const bucket of TRACKED) {
      const rule = tracked.tracking.toJSON().Resources[ruleOf(bucket)].Properties;
      assert.equal(rule.EventBusName, undefined, 'the default bus');
      assert.equal(rule.State, 'ENABLED');
      assert.deepEqual(rule.EventPattern, {
        source: ['aws.s3'],
        'detail-type': ['Object Created', 'Object Deleted'],
        detail: { bucket: { name: [bucket] } },
      });
    }
  });

  test('each targets the events queue, with the events queue\'s dead-letter queue for what it cannot deliver', () => {
    for (const bucket of TRACKED) {
      const targets = tracked.tracking.toJSON().Resources[ruleOf(bucket)].Properties.Targets;
      assert.equal(targets.length, 1);
      assert.equal(flat(targets[0].Arn), queueArn);
      assert.equal(flat(targets[0].DeadLetterConfig.Arn), deadLetterArn);
      assert.equal(targets[0].Input, undefined, 'the event itself, as the tracker parses it');
    }
  });

  /** The Allow statements of the policy of `queue` whose principal is the service `service`. */
  const statementsFor = (queue: unknown, service: string) => {
    const queueId = logicalIdOf(stack, queue as never);
    const policies = resourcesOf(tracked, 'AWS::SQS::QueuePolicy').filter(([, p]) =>
      asArray<any>(p.Properties.Queues).some((q) => q.Ref === queueId),
    );
    assert.equal(policies.length, 1, `one policy on ${queueId}`);
    return asArray<any>(policies[0][1].Properties.PolicyDocument.Statement).filter(
      (s) => s.Effect === 'Allow' && s.Principal?.Service === service,
    );
  };

  for (const [name, queue, arn] of [
    ['events queue', stack.eventsQueue, queueArn],
    ['dead-letter queue', stack.deadLetterQueue, deadLetterArn],
  ] as const) {
    test(`the ${name}'s policy lets each rule send, by the rule's ARN, and no other rule`, () => {
      const statements = statementsFor(queue, 'events.amazonaws.com');
      assert.equal(statements.length, TRACKED.length);
      const sources = statements.map((s) => {
        assert.deepEqual(Object.keys(s.Condition), ['ArnEquals']);
        assert.deepEqual(Object.keys(s.Condition.ArnEquals), ['aws:SourceArn']);
        assert.ok(asArray<string>(s.Action).includes('sqs:SendMessage'));
        for (const action of asArray<string>(s.Action)) assert.ok(action.startsWith('sqs:') && !action.includes('*'), action);
        assert.deepEqual(asArray<any>(s.Resource).map(flat), [arn]);
        return flat(s.Condition.ArnEquals['aws:SourceArn']);
      });
      assert.deepEqual(sources.sort(), TRACKED.map((bucket) => `<${ruleOf(bucket)}.Arn>`).sort());
    });
  }

  test('S3 may still send the own bucket\'s notifications to the events queue, from that bucket only', () => {
    const s3 = statementsFor(stack.eventsQueue, 's3.amazonaws.com');
    assert.equal(s3.length, 1);
    assert.equal(flat(s3[0].Condition.ArnLike['aws:SourceArn']), BUCKET_ARN);
  });

  test('rules keep their logical ids when another bucket is added or removed', () => {
    const one = synthesize({ dev: true, trackedBuckets: ['logs.example-b'] });
    const alone = one.stacks.tracking;
    assert.equal(logicalIdOf(alone, alone.trackedBucketRules.rules.get('logs.example-b') as never), ruleOf('logs.example-b'));
    assert.equal(
      logicalIdOf(alone, alone.alarms.reconcileDriftByBucket.get('logs.example-b') as never),
      logicalIdOf(stack, stack.alarms.reconcileDriftByBucket.get('logs.example-b') as never),
    );
  });

  test('nothing in any template may write a bucket\'s notification configuration', () => {
    for (const s of [tracked, synthesize({ dev: true }), synthesize({ dev: false, trackedBuckets: TRACKED })]) {
      for (const [name, template] of Object.entries(templates(s))) {
        const json = JSON.stringify(template.toJSON());
        assert.ok(!json.includes('PutBucketNotification'), `${name} grants s3:PutBucketNotification`);
        assert.deepEqual(Object.keys(template.findResources('Custom::S3BucketNotifications')), [], name);
      }
    }
  });
});

describe('trackedBuckets: the tracker and the reconcile apply, walk and may read exactly these buckets', () => {
  const tracked = synthesize({ dev: true, trackedBuckets: TRACKED });
  const stack = tracked.stacks.tracking;
  const functions = { tracker: stack.tracker, reconcile: stack.reconcile.function };
  const resources = tracked.tracking.toJSON().Resources;

  for (const [name, fn] of Object.entries(functions)) {
    // Only reconcile lists versions (for each bucket's all-versions series).
    const listings = name === 'reconcile' ? ['s3:ListBucket', 's3:ListBucketVersions'] : ['s3:ListBucket'];
    test(`${name}: s3 only on the three buckets (${listings.join(', ')}) and their objects (GetObject)`, () => {
      const s3 = roleStatements(tracked.tracking, stack, fn.role).filter((s) => s.actions.some((a) => a.startsWith('s3:')));
      const granted = s3.flatMap((s) => s.actions.flatMap((action) => s.resources.map((r) => `${action} on ${r}`))).sort();
      assert.deepEqual(
        granted,
        [
          ...listings.flatMap((listing) => ALL_BUCKET_ARNS.map((arn) => `${listing} on ${arn}`)),
          ...ALL_BUCKET_ARNS.map((arn) => `s3:GetObject on ${arn}/*`),
        ].sort(),
      );
      for (const s of s3) assert.equal(s.condition, undefined);
    });

    test(`${name}: TRACKED_BUCKETS is the own bucket then each tracked one; plots/ is reserved in the own bucket only`, () => {
      const vars = resources[logicalIdOf(stack, fn.function)].Properties.Environment.Variables;
      assert.equal(flat(vars.TRACKED_BUCKETS), [BUCKET_NAME, ...TRACKED].join(','));
      assert.equal(flat(vars.RESERVED_PREFIXES), `${BUCKET_NAME}:plots/`);
    });
  }

  test('api: TRACKED_BUCKETS lists the same buckets (GET /buckets); its grants stay on the own bucket', () => {
    const plot = tracked.stacks.plot;
    const vars = tracked.plot.toJSON().Resources[logicalIdOf(plot, plot.api.function)].Properties.Environment.Variables;
    assert.equal(deref(flat(vars.TRACKED_BUCKETS), tracked), [BUCKET_NAME, ...TRACKED].join(','));
    const granted = roleStatements(tracked.plot, plot, plot.api.role)
      .filter((s) => s.actions.some((a) => a.startsWith('s3:')))
      .flatMap((s) => s.resources);
    assert.deepEqual([...new Set(granted)].sort(), [BUCKET_ARN, `${BUCKET_ARN}/plots/*`].sort());
  });

  test('the driver stays on the own bucket', () => {
    const driver = tracked.stacks.driver.driver;
    const resourcesGranted = roleStatements(tracked.driver, tracked.stacks.driver, driver.role)
      .filter((s) => s.actions.some((a) => a.startsWith('s3:')))
      .flatMap((s) => s.resources);
    assert.deepEqual([...new Set(resourcesGranted)].sort(), [BUCKET_ARN, `${BUCKET_ARN}/*`].sort());
  });
});

describe('trackedBuckets: the dashboard and the drift alarms cover each bucket', () => {
  const tracked = synthesize({ dev: true, trackedBuckets: TRACKED });
  const stack = tracked.stacks.tracking;
  const body = JSON.parse(flat(resourcesOf(tracked, 'AWS::CloudWatch::Dashboard')[0][1].Properties.DashboardBody));
  const alarms = resourcesOf(tracked, 'AWS::CloudWatch::Alarm').map(([id, a]) => ({ id, ...a.Properties }));

  test('each bucket has its row: tracked size and objects beside S3\'s, and its drift', () => {
    for (const bucket of [BUCKET_NAME, ...TRACKED]) {
      const row = body.widgets.filter((w: any) => String(w.properties.title).startsWith(`${bucket}: `));
      assert.deepEqual(
        row.map((w: any) => w.properties.title),
        [
          `${bucket}: size (bytes), tracked vs S3, daily`,
          `${bucket}: objects, tracked vs S3, daily`,
          `${bucket}: reconcile drift per finished walk (listed minus tracked)`,
        ],
      );
      assert.equal(new Set(row.map((w: any) => w.y)).size, 1, 'one row');
      const [size, objects] = row.map((w: any) => w.properties.metrics);
      assert.deepEqual(size[0].slice(0, 4), ['s3-size-micro/tracker', 'TrackedSizeBytes', 'Bucket', bucket]);
      assert.ok(size[1][0].expression.includes(`BucketName="${bucket}"`));
      assert.deepEqual(objects[1].slice(0, 6), ['AWS/S3', 'NumberOfObjects', 'BucketName', bucket, 'StorageType', 'AllStorageTypes']);
      assert.deepEqual(size[2].slice(0, 4), ['s3-size-micro/tracker', 'TrackedAllVersionsSizeBytes', 'Bucket', bucket]);
      assert.deepEqual(objects[2].slice(0, 4), ['s3-size-micro/tracker', 'TrackedVersionCount', 'Bucket', bucket]);
    }
  });

  test('the dashboard stays within CloudWatch\'s 500 widgets and the alarm widget shows every alarm', () => {
    assert.ok(body.widgets.length <= 500);
    const alarmWidget = body.widgets.find((w: any) => w.properties.title === 'Alarms');
    assert.deepEqual([...alarmWidget.properties.alarms].sort(), alarms.map((a) => `<${a.id}.Arn>`).sort());
  });

  test('a drift alarm per bucket, on its KeysCorrected, notifying the alarm topic', () => {
    const topic = `<${logicalIdOf(stack, stack.alarms.topic)}>`;
    const drift = alarms.filter((a) => a.MetricName === 'KeysCorrected');
    assert.deepEqual(
      drift.map((a) => [a.AlarmName, a.Dimensions.map((d: any) => `${d.Name}=${flat(d.Value)}`)]).sort(),
      [
        ['SizeTrackingLambdaStack-ReconcileDrift', [`Bucket=${BUCKET_NAME}`]],
        ['SizeTrackingLambdaStack-ReconcileDrift-bucket-a', ['Bucket=bucket-a']],
        ['SizeTrackingLambdaStack-ReconcileDrift-logs.example-b', ['Bucket=logs.example-b']],
      ],
    );
    for (const a of drift) {
      assert.deepEqual(a.AlarmActions.map(flat), [topic]);
      assert.deepEqual(a.OKActions.map(flat), [topic]);
    }
  });

  test('the topic lets CloudWatch publish for each drift alarm, by name', () => {
    const policy = resourcesOf(tracked, 'AWS::SNS::TopicPolicy')[0][1].Properties.PolicyDocument.Statement.find(
      (s: any) => s.Sid === 'TrackerAlarmsPublish',
    );
    const sources = policy.Condition.ArnLike['aws:SourceArn'].map(flat);
    assert.equal(sources.length, alarms.length);
    for (const bucket of TRACKED) {
      assert.ok(
        sources.includes(`arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:SizeTrackingLambdaStack-ReconcileDrift-${bucket}`),
        bucket,
      );
    }
  });
});

describe('without trackedBuckets: only the own bucket, no rule', () => {
  const plain = synthesize({ dev: true });
  const tracked = synthesize({ dev: true, trackedBuckets: TRACKED });
  const ids = (s: Synthesized) => Object.keys(s.tracking.toJSON().Resources).sort();

  test('no rule, and the tracked variant adds only its rules and drift alarms to the tracking stack', () => {
    plain.tracking.resourceCountIs('AWS::Events::Rule', 0);
    const stack = tracked.stacks.tracking;
    const added = [
      ...[...stack.trackedBucketRules.rules.values()].map((rule) => logicalIdOf(stack, rule)),
      ...TRACKED.map((bucket) => logicalIdOf(stack, stack.alarms.reconcileDriftByBucket.get(bucket) as never)),
    ];
    assert.deepEqual(ids(tracked), [...ids(plain), ...added].sort());
    for (const name of ['StorageStack', 'DriverLambdaStack'] as const) {
      assert.deepEqual(templates(tracked)[name].toJSON(), templates(plain)[name].toJSON(), name);
    }
  });

  test('an empty list is the same as none', () => {
    const empty = synthesize({ dev: true, trackedBuckets: [] });
    assert.deepEqual(empty.tracking.toJSON(), plain.tracking.toJSON());
  });
});

describe('trackedBuckets: names S3 would refuse, duplicates and the own bucket are refused, naming the prop', () => {
  const refused = (options: S3SizeMicroOptions, message: RegExp) =>
    assert.throws(
      () => createStacks(newApp(), options),
      (error: unknown) => {
        assert.ok(error instanceof InvalidOptionError, String(error));
        assert.match(error.message, /^trackedBuckets/);
        assert.match(error.message, message);
        return true;
      },
    );

  const BAD: Record<string, RegExp> = {
    ab: /3 to 63/,
    [`a${'b'.repeat(63)}`]: /3 to 63/,
    '': /3 to 63/,
    'Bucket-a': /lowercase/,
    'bucket_a': /lowercase/,
    '-bucket': /begins and ends/,
    'bucket-': /begins and ends/,
    'bucket.': /begins and ends/,
    'a..b': /two dots/,
    '192.168.1.10': /IP address/,
    'xn--bucket': /prefix xn--/,
    'sthree-bucket': /prefix sthree-/,
    'bucket-s3alias': /suffix -s3alias/,
    'bucket--ol-s3': /suffix --ol-s3/,
  };
  for (const [name, message] of Object.entries(BAD)) {
    test(`${JSON.stringify(name)} is not a bucket name`, () => refused({ trackedBuckets: ['bucket-a', name] }, message));
  }

  test('names S3 accepts pass, at both ends of the length range', () => {
    for (const name of ['abc', 'a'.repeat(63), 'logs.example-b', '1-2.3', '192.168.1.a']) {
      assert.equal(bucketNameProblem(name), undefined, name);
    }
    assert.doesNotThrow(() => createStacks(newApp(), { trackedBuckets: ['abc', 'a'.repeat(63)] }));
  });

  test('a bucket listed twice', () => refused({ trackedBuckets: ['bucket-a', 'logs.example-b', 'bucket-a'] }, /bucket-a is listed twice/));

  test('the own bucket, named by bucketName', () =>
    refused({ bucketName: 'my-own-bucket', trackedBuckets: ['my-own-bucket'] }, /my-own-bucket is the stack's own bucket/));

  test('the own bucket by its default name, once account and region are known', () => {
    const env = { account: '123456789012', region: 'eu-west-1' };
    refused({ env, trackedBuckets: ['s3-size-micro-123456789012-eu-west-1'] }, /is the stack's own bucket/);
    assert.doesNotThrow(() => createStacks(newApp(), { env, trackedBuckets: ['s3-size-micro-123456789012-eu-west-2'] }));
  });
});

describe('trackedBuckets from context', () => {
  test('-c trackedBuckets=a,b: the names, trimmed, in their order, reach the stacks', () => {
    const app = newApp({ trackedBuckets: 'bucket-a, logs.example-b' });
    const options = optionsFromContext(app);
    assert.deepEqual(options.trackedBuckets, TRACKED);
    const stacks = createStacks(app, options);
    assert.deepEqual(stacks.tracking.trackedBuckets, TRACKED);
  });

  test('a list in cdk.json or CDK_CONTEXT_JSON reads the same; unset or empty is none', () => {
    assert.deepEqual(optionsFromContext(newApp({ trackedBuckets: TRACKED })).trackedBuckets, TRACKED);
    assert.equal(optionsFromContext(newApp({ trackedBuckets: '' })).trackedBuckets, undefined);
    assert.equal(optionsFromContext(newApp()).trackedBuckets, undefined);
  });

  test('a value that is not names is refused, naming the key; an empty name by the stack', () => {
    assert.throws(() => optionsFromContext(newApp({ trackedBuckets: 3 })), {
      name: 'InvalidOptionError',
      message: /context trackedBuckets must be bucket names/,
    });
    const app = newApp({ trackedBuckets: 'bucket-a,,logs.example-b' });
    assert.throws(() => createStacks(app, optionsFromContext(app)), { name: 'InvalidOptionError', message: /^trackedBuckets: "" is not/ });
  });
});
