import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RECONCILE_TICK } from './scheduled-reconcile';
import { MAX_RECEIVE_COUNT } from './tracker-delivery';
import { deliveryLagMetric, reconcileMetric } from './tracker-metrics';

export interface TrackerAlarmsProps {
  readonly deadLetterQueue: sqs.IQueue;
  readonly eventsQueue: sqs.IQueue;
  /**
   * The events queue's oldest message may be this old before the age alarm fires, and an applied event
   * this late (from its event time to the sample that applied it) before the lag alarm does.
   */
  readonly oldestMessageAlarmMinutes: number;
  /** The function that consumes the events queue. */
  readonly tracker: lambda.IFunction;
  /** The scheduled reconcile's function. */
  readonly reconcile: lambda.IFunction;
  /**
   * The buckets the reconcile walks, the stack's own first: the `Bucket` dimension of the reconcile's
   * metrics, one drift alarm each.
   */
  readonly bucketNames: readonly string[];
  /** Subscribed to the topic by email when set. */
  readonly alarmEmail?: string;
}

/** What differs between the alarms: their name, their words, what they watch and where they fire. */
type AlarmOnMetric = Pick<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription' | 'metric' | 'threshold'>;

/** SQS publishes its queue metrics once a minute. */
const PERIOD = Duration.minutes(1);

/** The tracker's errors are summed over 5 minutes. */
export const TRACKER_ERRORS_PERIOD = Duration.minutes(5);

/**
 * The reconcile's alarms look at one tick per period: a failed tick (or a walk that corrected keys) holds
 * the alarm until the next period, then it is OK again unless that tick failed (or corrected) too.
 */
export const RECONCILE_ALARM_PERIOD = RECONCILE_TICK;

/**
 * The alarms of the tracking stack, all notifying one SNS topic (in ALARM and back to OK): on the tracker's
 * delivery, a message in the dead-letter queue and the events queue's oldest message older than the
 * threshold (the tracker is down, throttled or failing), and an event applied later than that after it
 * happened; on the functions, a failed invocation of the
 * tracker or of the reconcile; and a finished reconcile walk that corrected keys (the ledger had drifted
 * from the bucket), one alarm per tracked bucket.
 *
 * The topic is encrypted with its own customer managed key: CloudWatch cannot publish to a topic under
 * the AWS managed key `alias/aws/sns`, whose policy no one can extend. The key's and the topic's policies
 * let the CloudWatch service act only for these alarms, by name, in this account; the topic refuses
 * requests without TLS.
 */
export class TrackerAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly deadLetters: cloudwatch.Alarm;
  readonly oldestMessage: cloudwatch.Alarm;
  readonly deliveryLag: cloudwatch.Alarm;
  readonly trackerErrors: cloudwatch.Alarm;
  readonly reconcileErrors: cloudwatch.Alarm;
  /** The drift alarm of the stack's own bucket. */
  readonly reconcileDrift: cloudwatch.Alarm;
  /** The drift alarm of each bucket, by name: the own bucket's is reconcileDrift. */
  readonly reconcileDriftByBucket: ReadonlyMap<string, cloudwatch.Alarm>;
  /** Every alarm above, each notifying the topic. */
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: TrackerAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Named, so the policies below can name them without referring to them (the key would otherwise
    // depend on the alarms, which depend on the topic, which depends on the key).
    const names = {
      deadLetters: `${stack.stackName}-TrackerDeadLetters`,
      oldestMessage: `${stack.stackName}-TrackerEventsOldestMessage`,
      deliveryLag: `${stack.stackName}-TrackerDeliveryLag`,
      trackerErrors: `${stack.stackName}-TrackerErrors`,
      reconcileErrors: `${stack.stackName}-ReconcileErrors`,
      reconcileDrift: `${stack.stackName}-ReconcileDrift`,
    };
    const [ownBucket, ...trackedBuckets] = props.bucketNames;
    if (ownBucket === undefined) throw new Error('TrackerAlarms needs the stack\'s own bucket');
    // The own bucket's drift alarm keeps its name; a tracked bucket's is named after the bucket (below).
    const alarmNames = [...Object.values(names), ...trackedBuckets.map((bucket) => `${names.reconcileDrift}-${bucket}`)];
    const alarmArns = alarmNames.map((name) =>
      stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    const fromTheseAlarms = {
      ArnLike: { 'aws:SourceArn': alarmArns },
      StringEquals: { 'aws:SourceAccount': stack.account },
    };
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');

    this.key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the tracker alarm topic (s3-size-micro)',
      enableKeyRotation: true,
      // It protects notifications in flight only: nothing outlives the topic that would need it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'TrackerAlarmsPublishEncrypted',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromTheseAlarms,
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 's3-size-micro tracker alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'TrackerAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromTheseAlarms,
      }),
    );
    if (props.alarmEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    // Each alarm fires when one period's value is above its threshold. Missing data never breaches: each
    // metric below is absent only when there is nothing to judge (said at each).
    const aboveThreshold = (id: string, props: AlarmOnMetric) =>
      new cloudwatch.Alarm(this, id, {
        ...props,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.deadLetters = aboveThreshold('DeadLetters', {
      alarmName: names.deadLetters,
      alarmDescription:
        `Tracker events are in the dead-letter queue: the tracker failed on each ${MAX_RECEIVE_COUNT} times. ` +
        'Once the cause is fixed, move them back with `tracker redrive --from <DeadLetterQueueUrl> --to <EventsQueueUrl>`.',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      // An idle queue publishes no metric: nothing is waiting.
    });
    this.oldestMessage = aboveThreshold('OldestMessage', {
      alarmName: names.oldestMessage,
      alarmDescription:
        `A tracker event has waited over ${props.oldestMessageAlarmMinutes} min in the events queue: ` +
        'the tracker is failing, throttled or not consuming (see its log group and the event source mapping).',
      metric: props.eventsQueue.metricApproximateAgeOfOldestMessage({
        period: PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: Duration.minutes(props.oldestMessageAlarmMinutes).toSeconds(),
    });
    this.deliveryLag = aboveThreshold('DeliveryLag', {
      alarmName: names.deliveryLag,
      alarmDescription:
        `An event was applied over ${props.oldestMessageAlarmMinutes} min after it happened (DeliveryLag, the largest ` +
        `of the last ${TRACKER_ERRORS_PERIOD.toMinutes()} min): S3's delivery, the events queue or the tracker is behind; ` +
        'the plots lag the bucket by as much.',
      metric: deliveryLagMetric(TRACKER_ERRORS_PERIOD),
      threshold: Duration.minutes(props.oldestMessageAlarmMinutes).toMilliseconds(),
      // Nothing applied, no lag: an idle bucket is not late (the age alarm watches a stuck queue).
    });
    this.trackerErrors = aboveThreshold('TrackerErrors', {
      alarmName: names.trackerErrors,
      alarmDescription:
        `The tracker function failed an invocation in the last ${TRACKER_ERRORS_PERIOD.toMinutes()} min (an error, a timeout ` +
        'or a crash, not a message it reported as failed): the batch returns to the events queue and is retried. See its log group.',
      metric: props.tracker.metricErrors({ period: TRACKER_ERRORS_PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      // No invocation, no metric: nothing failed.
    });
    this.reconcileErrors = aboveThreshold('ReconcileErrors', {
      alarmName: names.reconcileErrors,
      alarmDescription:
        'A tick of the scheduled reconcile failed (an error, a timeout or a crash): a walk under way resumes from its ' +
        'checkpoint at the next tick. See the reconcile function\'s log group.',
      metric: props.reconcile.metricErrors({ period: RECONCILE_ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
    });
    // One per bucket: its walks' KeysCorrected carry its name as the dimension Bucket.
    const driftAlarm = (bucket: string, alarmName: string) =>
      aboveThreshold(alarmName === names.reconcileDrift ? 'ReconcileDrift' : `ReconcileDrift-${bucket}`, {
        alarmName,
        alarmDescription:
          `A finished reconcile walk of the tracked bucket${bucket === ownBucket ? '' : ` ${bucket}`} corrected keys ` +
          '(KeysCorrected > 0): the ledger had drifted from the bucket (events lost or never sent) and now agrees with it ' +
          'again. The walk\'s report is the `bucket reconciled` line in the reconcile function\'s log group; DriftBytes and ' +
          'DriftObjects say by how much.',
        metric: reconcileMetric('KeysCorrected', bucket, {
          period: RECONCILE_ALARM_PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        // Emitted once per finished walk: between walks there is nothing to judge.
      });
    this.reconcileDriftByBucket = new Map([
      [ownBucket, driftAlarm(ownBucket, names.reconcileDrift)],
      ...trackedBuckets.map((bucket): [string, cloudwatch.Alarm] => [bucket, driftAlarm(bucket, `${names.reconcileDrift}-${bucket}`)]),
    ]);
    this.reconcileDrift = this.reconcileDriftByBucket.get(ownBucket) as cloudwatch.Alarm;
    this.alarms = [
      this.deadLetters,
      this.oldestMessage,
      this.deliveryLag,
      this.trackerErrors,
      this.reconcileErrors,
      ...this.reconcileDriftByBucket.values(),
    ];
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(new actions.SnsAction(this.topic));
      alarm.addOkAction(new actions.SnsAction(this.topic));
    }
  }
}
