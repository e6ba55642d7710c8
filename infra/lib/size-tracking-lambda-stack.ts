import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PLOTS_PREFIX, RUST_LOG } from './constants';
import { removalPolicyFor } from './lambda-code';
import { RustFunction } from './rust-function';

export interface SizeTrackingLambdaStackProps extends StackProps {
  readonly historyTable: dynamodb.ITable;
  readonly indexTable: dynamodb.ITable;
  /** A dev deployment: buckets are emptied and destroyed with the stack; otherwise retained. */
  readonly dev: boolean;
  /** @default `s3-size-micro-<account>-<region>` */
  readonly bucketName?: string;
}

/** The S3 events the tracker subscribes to. */
export const TRACKED_EVENTS = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'] as const;

/**
 * The tracked bucket, the tracker function and the bucket's notifications to it.
 *
 * The bucket has a fixed name so that its notification configuration, the permission that lets S3
 * invoke the tracker and the tracker's own policy can all name it without referring to each other:
 * CloudFormation then wires the notifications natively, with no custom resource (whose role would need
 * `s3:PutBucketNotification` on every bucket).
 */
export class SizeTrackingLambdaStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly tracker: RustFunction;
  readonly failureQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: SizeTrackingLambdaStackProps) {
    super(scope, id, props);
    const removalPolicy = removalPolicyFor(props.dev);
    this.bucketName = props.bucketName ?? `s3-size-micro-${this.account}-${this.region}`;
    this.bucketArn = `arn:${this.partition}:s3:::${this.bucketName}`;

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
        RESERVED_PREFIXES: PLOTS_PREFIX,
        RUST_LOG,
      },
      resources: { historyTableArn: props.historyTable.tableArn, indexTableArn: props.indexTable.tableArn },
      timeout: Duration.seconds(30),
      memorySize: 256,
      dev: props.dev,
    });

    // S3 invokes the tracker asynchronously: retry twice, then park the event in a queue.
    this.failureQueue = new sqs.Queue(this, 'TrackerFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of the tracker: nothing consumes it, so it needs no DLQ.',
    });
    this.tracker.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.failureQueue),
    });

    const invokePermission = new lambda.CfnPermission(this, 'S3InvokesTracker', {
      action: 'lambda:InvokeFunction',
      functionName: this.tracker.function.functionArn,
      principal: 's3.amazonaws.com',
      sourceAccount: this.account,
      sourceArn: this.bucketArn,
    });
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = {
      lambdaConfigurations: TRACKED_EVENTS.map((event) => ({
        event,
        function: this.tracker.function.functionArn,
      })),
    };
    // S3 checks that it may invoke the function when the configuration is set.
    cfnBucket.addResourceDependency(invokePermission);

    new CfnOutput(this, 'BucketName', {
      description: 'The tracked bucket (BUCKET_NAME)',
      value: this.bucket.bucketName,
    });
    new CfnOutput(this, 'TrackerFailureQueueUrl', {
      description: 'Events the tracker failed on after its retries',
      value: this.failureQueue.queueUrl,
    });
  }
}
