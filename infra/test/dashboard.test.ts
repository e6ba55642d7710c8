import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUCKET_NAME, flat, logicalIdOf, synthesize } from './helpers';

describe('SizeTrackingLambdaStack: the dashboard', () => {
  const dev = synthesize({ dev: true });
  const stack = dev.stacks.tracking;
  const t = dev.tracking;
  const dashboards = Object.values<any>(t.findResources('AWS::CloudWatch::Dashboard'));
  const body = JSON.parse(flat(dashboards[0].Properties.DashboardBody));
  const widget = (title: string) => {
    const found = body.widgets.filter((w: any) => w.properties.title === title);
    assert.equal(found.length, 1, `one widget titled ${title}`);
    return found[0].properties;
  };
  const bucket = (name: string, options: object) => ['s3-size-micro/tracker', name, 'Bucket', BUCKET_NAME, options];

  test('one dashboard, named after the stack and the region, opening on two weeks at each graph\'s own period', () => {
    assert.equal(dashboards.length, 1);
    assert.equal(flat(dashboards[0].Properties.DashboardName), 'SizeTrackingLambdaStack-<AWS::Region>');
    assert.equal(body.start, '-P14D');
    assert.equal(body.periodOverride, 'inherit', 'S3\'s daily points are not re-aggregated');
  });

  test('the tracked size, current and all versions, beside S3\'s BucketSizeBytes of the same bucket, summed over its storage types, daily', () => {
    const size = widget(`${BUCKET_NAME}: size (bytes), tracked vs S3, daily`);
    assert.deepEqual(size.metrics, [
      bucket('TrackedSizeBytes', { label: 'tracked (current objects)', period: 86400, stat: 'Maximum' }),
      [
        {
          label: 'S3 BucketSizeBytes (all storage classes)',
          expression: `SUM(SEARCH('{AWS/S3,BucketName,StorageType} MetricName="BucketSizeBytes" BucketName="${BUCKET_NAME}"', 'Average', 86400))`,
          period: 86400,
        },
      ],
      bucket('TrackedAllVersionsSizeBytes', { label: 'tracked (all versions)', period: 86400, stat: 'Maximum' }),
    ]);
  });

  test('the tracked object and version counts beside S3\'s NumberOfObjects (AllStorageTypes), daily', () => {
    const objects = widget(`${BUCKET_NAME}: objects, tracked vs S3, daily`);
    assert.deepEqual(objects.metrics, [
      bucket('TrackedObjectCount', { label: 'tracked (current objects)', period: 86400, stat: 'Maximum' }),
      // Average is the dashboard's default statistic, so it is not written out.
      ['AWS/S3', 'NumberOfObjects', 'BucketName', BUCKET_NAME, 'StorageType', 'AllStorageTypes', { label: 'S3 NumberOfObjects', period: 86400 }],
      bucket('TrackedVersionCount', { label: 'tracked (all versions)', period: 86400, stat: 'Maximum' }),
    ]);
  });

  test('a note on the dashboard says why the two figures differ', () => {
    const text = body.widgets.find((w: any) => w.type === 'text').properties.markdown;
    for (const reason of ['current objects', 'all versions', 'incomplete multipart uploads', 'noncurrent versions', 'once a day', 'up to a day']) {
      assert.ok(text.includes(reason), reason);
    }
  });

  test('the tracker\'s record counts (no dimension), summed per 5 minutes', () => {
    // 300 s is the dashboard's default period, so it is not written out.
    assert.deepEqual(widget('Tracker records, all buckets (sum per 5 min)').metrics, [
      ['s3-size-micro/tracker', 'RecordsApplied', { stat: 'Sum' }],
      ['s3-size-micro/tracker', 'RecordsSkipped', { stat: 'Sum' }],
      ['s3-size-micro/tracker', 'RecordsParked', { stat: 'Sum' }],
      ['s3-size-micro/tracker', 'MessagesFailed', { stat: 'Sum' }],
    ]);
  });

  test('the drift each finished walk found, for the tracked bucket', () => {
    assert.deepEqual(widget(`${BUCKET_NAME}: reconcile drift per finished walk (listed minus tracked)`).metrics, [
      bucket('KeysCorrected', { period: 900, stat: 'Maximum' }),
      bucket('DriftObjects', { period: 900, stat: 'Maximum' }),
      bucket('DriftBytes', { period: 900, stat: 'Maximum', yAxis: 'right' }),
    ]);
  });

  test('the state of every alarm of the stack', () => {
    const alarms = widget('Alarms');
    const ids = Object.keys(t.findResources('AWS::CloudWatch::Alarm')).map((id) => `<${id}.Arn>`);
    assert.equal(ids.length, 6);
    assert.deepEqual([...alarms.alarms].sort(), ids.sort());
  });

  test('outputs the dashboard\'s name and its console URL', () => {
    const outputs = t.toJSON().Outputs;
    assert.equal(
      flat(outputs.DashboardUrl.Value),
      'https://<AWS::Region>.console.aws.amazon.com/cloudwatch/home?region=<AWS::Region>#dashboards/dashboard/SizeTrackingLambdaStack-<AWS::Region>',
    );
    assert.deepEqual(outputs.DashboardName.Value, { Ref: logicalIdOf(stack, stack.dashboard.dashboard) });
  });
});
