import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_RECEIVE_COUNT } from './tracker-delivery';

export interface TrackerAlarmsProps {
  readonly deadLetterQueue: sqs.IQueue;
  readonly eventsQueue: sqs.IQueue;
  /** The events queue's oldest message may be this old before the age alarm fires. */
  readonly oldestMessageAlarmMinutes: number;
  /** Subscribed to the topic by email when set. */
  readonly alarmEmail?: string;
}

/** SQS publishes its queue metrics once a minute. */
const PERIOD = Duration.minutes(1);

/**
 * Two alarms on the tracker's delivery, both notifying one SNS topic (in ALARM and back to OK):
 * a message in the dead-letter queue, and the events queue's oldest message older than the threshold
 * (the tracker is down, throttled or failing).
 *
 * The topic is encrypted with its own customer managed key: CloudWatch cannot publish to a topic under
 * the AWS managed key `alias/aws/sns`, whose policy no one can extend. The key's and the topic's policies
 * let the CloudWatch service act only for these two alarms, in this account; the topic refuses requests
 * without TLS.
 */
export class TrackerAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly deadLetters: cloudwatch.Alarm;
  readonly oldestMessage: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TrackerAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Named, so the policies below can name them without referring to them (the key would otherwise
    // depend on the alarms, which depend on the topic, which depends on the key).
    const names = {
      deadLetters: `${stack.stackName}-TrackerDeadLetters`,
      oldestMessage: `${stack.stackName}-TrackerEventsOldestMessage`,
    };
    const alarmArns = Object.values(names).map((name) =>
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

    this.deadLetters = new cloudwatch.Alarm(this, 'DeadLetters', {
      alarmName: names.deadLetters,
      alarmDescription:
        `Tracker events are in the dead-letter queue: the tracker failed on each ${MAX_RECEIVE_COUNT} times. ` +
        'Once the cause is fixed, move them back with `tracker redrive --from <DeadLetterQueueUrl> --to <EventsQueueUrl>`.',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // An idle queue publishes no metric: nothing is waiting.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.oldestMessage = new cloudwatch.Alarm(this, 'OldestMessage', {
      alarmName: names.oldestMessage,
      alarmDescription:
        `A tracker event has waited over ${props.oldestMessageAlarmMinutes} min in the events queue: ` +
        'the tracker is failing, throttled or not consuming (see its log group and the event source mapping).',
      metric: props.eventsQueue.metricApproximateAgeOfOldestMessage({
        period: PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: Duration.minutes(props.oldestMessageAlarmMinutes).toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.deadLetters, this.oldestMessage]) {
      alarm.addAlarmAction(new actions.SnsAction(this.topic));
      alarm.addOkAction(new actions.SnsAction(this.topic));
    }
  }
}
