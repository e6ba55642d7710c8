import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { METRICS, METRICS_NAMESPACE, parseMetrics } from '../lib/tracker-metrics';
import { BUCKET_NAME, contractJson, flat, logicalIdOf, synthesize } from './helpers';

describe('the metrics the alarms and the dashboard read are the ones contract/metrics.json lists', () => {
  test('the file reads as it is on disk, and a line without metrics is refused, naming the field', () => {
    const json = contractJson('metrics.json');
    assert.equal(METRICS_NAMESPACE, json.namespace);
    const { $comment, ...lines } = json.lines;
    assert.deepEqual(JSON.parse(JSON.stringify(METRICS.lines)), lines);
    const broken = contractJson('metrics.json');
    broken.lines.reconcile.metrics = 'KeysCorrected';
    assert.throws(() => parseMetrics(broken), { message: /contract\/metrics\.json: lines\.reconcile\.metrics: expected an array/ });
  });

  test('every metric of the namespace an alarm or the dashboard reads is in a line of the file, with its dimensions', () => {
    const { tracking } = synthesize({ dev: true });
    const listed = new Set(
      Object.values(METRICS.lines).flatMap((line) => line.metrics.map((metric) => `${metric} [${line.dimensions.join()}]`)),
    );
    const read: string[] = [];
    for (const alarm of Object.values<any>(tracking.findResources('AWS::CloudWatch::Alarm'))) {
      if (alarm.Properties.Namespace !== METRICS_NAMESPACE) continue;
      const dimensions = (alarm.Properties.Dimensions ?? []).map((d: any) => d.Name).join();
      read.push(`${alarm.Properties.MetricName} [${dimensions}]`);
    }
    for (const dashboard of Object.values<any>(tracking.findResources('AWS::CloudWatch::Dashboard'))) {
      const body = JSON.parse(flat(dashboard.Properties.DashboardBody).replace(/<[^>]*>/g, 'x'));
      for (const widget of body.widgets) {
        for (const metric of widget.properties?.metrics ?? []) {
          if (metric[0] !== METRICS_NAMESPACE) continue;
          const options = typeof metric[metric.length - 1] === 'object' ? 1 : 0;
          const dimensions = metric.slice(2, metric.length - options).filter((_: unknown, i: number) => i % 2 === 0);
          read.push(`${metric[1]} [${dimensions.join()}]`);
        }
      }
    }
    assert.ok(read.length >= 5, read.join('; '));
    for (const metric of read) assert.ok(listed.has(metric), `${metric} is not in contract/metrics.json`);
  });
});

describe('SizeTrackingLambdaStack: alarms on the functions and on the reconcile\'s drift', () => {
  const dev = synthesize({ dev: true });
  const stack = dev.stacks.tracking;
  const t = dev.tracking;
  const topicId = logicalIdOf(stack, stack.alarms.topic);
  const trackerId = logicalIdOf(stack, stack.tracker.function);
  const reconcileId = logicalIdOf(stack, stack.reconcile.function.function);
  const alarms = Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const named = (suffix: string) => {
    const found = alarms.filter((a) => a.AlarmName === `SizeTrackingLambdaStack-${suffix}`);
    assert.equal(found.length, 1, `one alarm named SizeTrackingLambdaStack-${suffix}`);
    return found[0];
  };
  const judged = (alarm: any) => ({
    Namespace: alarm.Namespace,
    MetricName: alarm.MetricName,
    Dimensions: alarm.Dimensions?.map((d: any) => ({ Name: d.Name, Value: flat(d.Value) })),
    Statistic: alarm.Statistic,
    Period: alarm.Period,
    ComparisonOperator: alarm.ComparisonOperator,
    Threshold: alarm.Threshold,
    EvaluationPeriods: alarm.EvaluationPeriods,
    TreatMissingData: alarm.TreatMissingData,
    AlarmActions: alarm.AlarmActions,
    OKActions: alarm.OKActions,
  });
  const onTheTopic = { AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] };

  test('every alarm is named after the stack and notifies the topic in ALARM and OK', () => {
    assert.deepEqual(alarms.map((a) => a.AlarmName).sort(), [
      'SizeTrackingLambdaStack-ReconcileDrift',
      'SizeTrackingLambdaStack-ReconcileErrors',
      'SizeTrackingLambdaStack-TrackerDeadLetters',
      'SizeTrackingLambdaStack-TrackerDeliveryLag',
      'SizeTrackingLambdaStack-TrackerErrors',
      'SizeTrackingLambdaStack-TrackerEventsOldestMessage',
    ]);
    for (const alarm of alarms) {
      assert.deepEqual(alarm.AlarmActions, onTheTopic.AlarmActions, alarm.AlarmName);
      assert.deepEqual(alarm.OKActions, onTheTopic.OKActions, alarm.AlarmName);
    }
    assert.deepEqual(stack.alarms.alarms.length, 6);
  });

  test('tracker errors: the tracker\'s Errors (AWS/Lambda) summed over 5 minutes, above 0', () => {
    assert.deepEqual(judged(named('TrackerErrors')), {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: `<${trackerId}>` }],
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      ...onTheTopic,
    });
  });

  test('delivery lag: the tracker\'s DeliveryLag, Maximum over 5 minutes above oldestMessageAlarmMinutes (15 min)', () => {
    assert.deepEqual(judged(named('TrackerDeliveryLag')), {
      Namespace: 's3-size-micro/tracker',
      MetricName: 'DeliveryLag',
      Dimensions: undefined,
      Statistic: 'Maximum',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 15 * 60 * 1000,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      ...onTheTopic,
    });
    const late = synthesize({ oldestMessageAlarmMinutes: 30 }).tracking;
    const lag = Object.values<any>(late.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.MetricName === 'DeliveryLag');
    assert.equal(lag.Properties.Threshold, 30 * 60 * 1000);
  });

  test('reconcile errors: the reconcile function\'s Errors over one tick (15 minutes), above 0', () => {
    assert.deepEqual(judged(named('ReconcileErrors')), {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: `<${reconcileId}>` }],
      Statistic: 'Sum',
      Period: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      ...onTheTopic,
    });
  });

  test('reconcile drift: KeysCorrected of the tracked bucket, Maximum above 0, missing data not breaching', () => {
    assert.deepEqual(judged(named('ReconcileDrift')), {
      Namespace: 's3-size-micro/tracker',
      MetricName: 'KeysCorrected',
      Dimensions: [{ Name: 'Bucket', Value: BUCKET_NAME }],
      Statistic: 'Maximum',
      Period: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      ...onTheTopic,
    });
    assert.match(named('ReconcileDrift').AlarmDescription, /bucket reconciled/);
  });

  test('the topic\'s and the key\'s policies name exactly these six alarms', () => {
    const alarmArns = alarms
      .map((a) => `arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:${a.AlarmName}`)
      .sort();
    const topicPolicy = Object.values<any>(t.findResources('AWS::SNS::TopicPolicy'))[0];
    const publish = topicPolicy.Properties.PolicyDocument.Statement.find((s: any) => s.Effect === 'Allow');
    assert.deepEqual(publish.Condition.ArnLike['aws:SourceArn'].map(flat).sort(), alarmArns);
    const key = t.toJSON().Resources[logicalIdOf(stack, stack.alarms.key)];
    const keyUse = key.Properties.KeyPolicy.Statement.find((s: any) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    assert.deepEqual(keyUse.Condition.ArnLike['aws:SourceArn'].map(flat).sort(), alarmArns);
    assert.equal(alarmArns.length, 6);
  });

  test('a bucket named by bucketName is the drift alarm\'s dimension', () => {
    const named = synthesize({ dev: true, bucketName: 'my-tracked-bucket' });
    const drift = Object.values<any>(named.tracking.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.MetricName === 'KeysCorrected',
    );
    assert.deepEqual(drift.Properties.Dimensions, [{ Name: 'Bucket', Value: 'my-tracked-bucket' }]);
  });
});
