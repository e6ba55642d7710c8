import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PLOT_RENDERS_PREFIX, PLOTS_PREFIX, RUST_LOG } from './constants';
import { removalPolicyFor } from './lambda-code';
import { RustFunction } from './rust-function';
import { type ReconcileProps, ScheduledReconcile } from './scheduled-reconcile';
import { TrackedBucketRules, trackedBuckets, type TrackedBucketsProps } from './tracked-bucket-rules';
import { TrackerAlarms } from './tracker-alarms';
import { TrackerDashboard } from './tracker-dashboard';
import {
  DEAD_LETTER_RETENTION,
  EVENTS_RETENTION,
  MAX_RECEIVE_COUNT,
  trackerDelivery,
  type TrackerDeliveryProps,
  visibilityTimeoutFor,
} from './tracker-delivery';

export interface SizeTrackingLambdaStackProps extends StackProps, TrackerDeliveryProps, ReconcileProps, TrackedBucketsProps {
  readonly historyTable: dynamodb.ITable;
  readonly indexTable: dynamodb.ITable;
  /** A dev deployment: buckets are emptied and destroyed with the stack; otherwise retained. */
  readonly dev: boolean;
  /** @default `s3-size-micro-<account>-<region>` */
  readonly bucketName?: string;
}

/**
 * The S3 events the tracker subscribes to. S3 does not count a lifecycle expiration as ObjectRemoved: it
 * has its own event type.
 */
export const TRACKED_EVENTS = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*', 's3:LifecycleExpiration:*'] as const;

function trackerTimeout(fn: lambda.Function): Duration {
  if (fn.timeout === undefined) throw new Error(`${fn.node.path} has no timeout to derive the queue's visibility timeout from`);
  return fn.timeout;
}

/**
 * The tracked bucket, the queue its notifications go to, the tracker function that consumes the queue,
 * the dead-letter queue and the alarms, the scheduled reconcile of the bucket, and a dashboard of it all.
 *
 * The bucket has a fixed name so that its notification configuration, the queue policy that lets S3
 * send to the events queue and the other stacks' policies can all name it without referring to each
 * other: CloudFormation then wires the notifications natively, with no custom resource (whose role would
 * need `s3:PutBucketNotification` on every bucket).
 */
export class SizeTrackingLambdaStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly bucketName: string;
  readonly bucketArn: string;
  /** The existing buckets tracked beside the own one (trackedBuckets, checked), in their order. */
  readonly trackedBuckets: readonly string[];
  /** Every bucket the tracker applies and the reconcile walks: the own bucket, then trackedBuckets. */
  readonly allTrackedBuckets: readonly string[];
  /** The rule of each tracked bucket (none without trackedBuckets). */
  readonly trackedBucketRules: TrackedBucketRules;
  readonly tracker: RustFunction;
  /** The queue the bucket notifies and the tracker consumes. */
  readonly eventsQueue: sqs.Queue;
  /** Where a message the tracker failed on MAX_RECEIVE_COUNT times waits. */
  readonly deadLetterQueue: sqs.Queue;
  /** The previous version's on-failure destination, kept until it is drained. */
  readonly failureQueue: sqs.Queue;
  readonly alarms: TrackerAlarms;
  /** The tracked size beside S3's own figures, the tracker's counts, the drift and the alarms. */
  readonly dashboard: TrackerDashboard;
  /** The reconcile function and the schedule that ticks it. */
  readonly reconcile: ScheduledReconcile;

  constructor(scope: Construct, id: string, props: SizeTrackingLambdaStackProps) {
    super(scope, id, props);
    const delivery = trackerDelivery(props);
    const removalPolicy = removalPolicyFor(props.dev);
    this.bucketName = props.bucketName ?? `s3-size-micro-${this.account}-${this.region}`;
    this.bucketArn = `arn:${this.partition}:s3:::${this.bucketName}`;
    this.trackedBuckets = trackedBuckets(props, this.bucketName);
    this.allTrackedBuckets = [this.bucketName, ...this.trackedBuckets];
    const trackedBucketArns = this.allTrackedBuckets.map((name) => `arn:${this.partition}:s3:::${name}`);
    // Each bucket's plots/ is the api's only in the own bucket: a tracked bucket's plots/ is counted.
    const reservedPrefixes = `${this.bucketName}:${PLOTS_PREFIX}`;

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
      autoDeleteObjects: props.dev,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: this.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'tracked-bucket/',
      // Each rendered plot is stored under a name of its own; a day later nobody holds a link to it.
      lifecycleRules: [{ id: 'ExpirePlotRenders', prefix: PLOT_RENDERS_PREFIX, expiration: Duration.days(1) }],
      removalPolicy,
      autoDeleteObjects: props.dev,
    });

    // Empty the log bucket only once the tracked bucket is gone and writes no more access logs.
    accessLogs.node.tryFindChild('AutoDeleteObjectsCustomResource')?.node.addDependency(this.bucket);

    this.tracker = new RustFunction(this, 'Tracker', {
      contractName: 'tracker',
      description: 'Applies S3 object events to the ObjectIndex and appends a size sample',
      environment: {
        HISTORY_TABLE: props.historyTable.tableName,
        INDEX_TABLE: props.indexTable.tableName,
        TRACKED_BUCKETS: this.allTrackedBuckets.join(','),
        RESERVED_PREFIXES: reservedPrefixes,
        RUST_LOG,
      },
      resources: {
        historyTableArn: props.historyTable.tableArn,
        indexTableArn: props.indexTable.tableArn,
        trackedBucketArns,
      },
      timeout: Duration.seconds(30),
      memorySize: 256,
      reservedConcurrentExecutions: delivery.reservedConcurrency,
      dev: props.dev,
    });

    // The bucket notifies the events queue; the tracker consumes it in batches. A message the tracker fails
    // on MAX_RECEIVE_COUNT times moves to the dead-letter queue, which keeps it longer than the events
    // queue would (a moved message keeps its first enqueue time).
    this.deadLetterQueue = new sqs.Queue(this, 'TrackerEventsDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
      removalPolicy,
    });
    this.eventsQueue = new sqs.Queue(this, 'TrackerEvents', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: EVENTS_RETENTION,
      visibilityTimeout: visibilityTimeoutFor(trackerTimeout(this.tracker.function)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
      removalPolicy,
    });
    this.eventsQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'TrackedBucketSendsEvents',
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.eventsQueue.queueArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.bucketArn },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    // Grants the function what the mapping needs on the events queue (receive, delete, change visibility,
    // read its attributes and URL), and nothing on any other queue.
    this.tracker.function.addEventSource(
      new SqsEventSource(this.eventsQueue, {
        batchSize: delivery.batchSize,
        maxBatchingWindow: Duration.seconds(delivery.batchWindowSeconds),
        maxConcurrency: delivery.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = {
      queueConfigurations: TRACKED_EVENTS.map((event) => ({ event, queue: this.eventsQueue.queueArn })),
    };
    // S3 checks that it may send to the queue when the configuration is set.
    const queuePolicy = this.eventsQueue.node.tryFindChild('Policy')?.node.defaultChild;
    if (!(queuePolicy instanceof sqs.CfnQueuePolicy)) throw new Error('the events queue has no queue policy');
    cfnBucket.addResourceDependency(queuePolicy);

    // The existing buckets reach the same queue through EventBridge, one rule each; their notification
    // configurations stay their owners'.
    this.trackedBucketRules = new TrackedBucketRules(this, 'TrackedBucketRules', {
      buckets: this.trackedBuckets,
      eventsQueue: this.eventsQueue,
      deadLetterQueue: this.deadLetterQueue,
    });

    // The previous version's on-failure destination: S3 no longer invokes the tracker asynchronously, but
    // the queue may still hold events parked there. It stays, with its logical id, until
    // `tracker redrive` has drained it into the events queue.
    this.failureQueue = new sqs.Queue(this, 'TrackerFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'The former on-failure destination of the tracker, kept only so that `tracker redrive` can drain the events it parked: nothing consumes it, so it needs no DLQ.',
    });

    this.reconcile = new ScheduledReconcile(this, 'Reconcile', {
      historyTable: props.historyTable,
      indexTable: props.indexTable,
      buckets: this.allTrackedBuckets,
      bucketArns: trackedBucketArns,
      reservedPrefixes,
      reconcileEveryHours: props.reconcileEveryHours,
      dev: props.dev,
    });

    this.alarms = new TrackerAlarms(this, 'Alarms', {
      deadLetterQueue: this.deadLetterQueue,
      eventsQueue: this.eventsQueue,
      oldestMessageAlarmMinutes: delivery.oldestMessageAlarmMinutes,
      tracker: this.tracker.function,
      reconcile: this.reconcile.function.function,
      bucketNames: this.allTrackedBuckets,
      alarmEmail: delivery.alarmEmail,
    });

    this.dashboard = new TrackerDashboard(this, 'Dashboard', {
      bucketNames: this.allTrackedBuckets,
      alarms: this.alarms.alarms,
    });

    new CfnOutput(this, 'BucketName', {
      description: 'The tracked bucket (BUCKET_NAME)',
      value: this.bucket.bucketName,
    });
    new CfnOutput(this, 'EventsQueueUrl', {
      description: 'The queue the bucket notifies and the tracker consumes (the --to of tracker redrive)',
      value: this.eventsQueue.queueUrl,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: `Events the tracker failed on ${MAX_RECEIVE_COUNT} times (tracker redrive --from it --to EventsQueueUrl)`,
      value: this.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'FailureQueueUrl', {
      description: 'Events the previous version parked after its async retries (drain with tracker redrive)',
      value: this.failureQueue.queueUrl,
    });
    new CfnOutput(this, 'ReconcileFunctionName', {
      description: 'The scheduled reconcile (aws lambda invoke --function-name it to run a tick now)',
      value: this.reconcile.function.function.functionName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'The SNS topic the alarms notify (dead letters, oldest message, tracker and reconcile errors, reconcile drift)',
      value: this.alarms.topic.topicArn,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'The CloudWatch dashboard: tracked size beside S3\'s daily storage metrics, tracker counts, drift, alarms',
      value: this.dashboard.dashboard.dashboardName,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'The dashboard in the CloudWatch console',
      value: this.dashboard.url,
    });
  }
}
