import { Duration, Stack, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { RUST_LOG } from './constants';
import { RustFunction } from './rust-function';
import { InvalidOptionError } from './tracker-delivery';

export interface ReconcileProps {
  /**
   * How often a new reconcile walk of each tracked bucket begins, in whole hours: 1 … 744 (31 days).
   * @default 24
   */
  readonly reconcileEveryHours?: number;
}

export const RECONCILE_DEFAULTS = { reconcileEveryHours: 24 } as const;

/**
 * How often the schedule invokes the reconcile function. Each invocation ticks every bucket: a walk that
 * is due begins, one under way resumes from its checkpoint, one another invocation holds is left alone,
 * and a bucket walked recently costs one read. So a walk longer than one invocation (15 minutes) goes on a
 * quarter of an hour later.
 */
export const RECONCILE_TICK = Duration.minutes(15);

/** The longest a Lambda function may run; a walk pauses a minute before it. */
export const RECONCILE_TIMEOUT = Duration.minutes(15);

export interface ScheduledReconcileProps extends ReconcileProps {
  readonly historyTable: dynamodb.ITable;
  readonly indexTable: dynamodb.ITable;
  /** The buckets it walks, in this order: the stack's own, then each of trackedBuckets. */
  readonly buckets: readonly string[];
  /** The ARN of each of `buckets`. */
  readonly bucketArns: readonly string[];
  /** RESERVED_PREFIXES: `bucket:prefix` entries, each reserved in its bucket only. */
  readonly reservedPrefixes: string;
  readonly dev: boolean;
}

/** The hours between walks, checked. */
export function reconcileEveryHours(props: ReconcileProps): number {
  const hours = props.reconcileEveryHours ?? RECONCILE_DEFAULTS.reconcileEveryHours;
  if (!Token.isUnresolved(hours) && (!Number.isInteger(hours) || hours < 1 || hours > 744)) {
    throw new InvalidOptionError(`reconcileEveryHours must be a whole number from 1 to 744, got ${hours}`);
  }
  return hours;
}

/**
 * Reconcile in AWS: a function of its own (not the events queue's consumer, whose timeout and visibility
 * stay short) that makes the ledger agree with a listing of each tracked bucket, invoked by an EventBridge
 * Scheduler schedule every RECONCILE_TICK. Where each walk stands is a checkpoint row in the index table.
 * A finished walk logs its report and emits the drift it found and the bucket's tracked totals as metrics
 * (RECONCILE_METRICS in METRICS_NAMESPACE, dimension `Bucket`: lib/tracker-metrics.ts).
 */
export class ScheduledReconcile extends Construct {
  readonly function: RustFunction;
  readonly schedulerRole: iam.Role;
  readonly schedule: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: ScheduledReconcileProps) {
    super(scope, id);
    const everyHours = reconcileEveryHours(props);
    this.function = new RustFunction(this, 'Function', {
      contractName: 'reconcile',
      description: 'Walks the tracked bucket against the ObjectIndex and corrects what drifted, resuming from its checkpoint',
      environment: {
        HISTORY_TABLE: props.historyTable.tableName,
        INDEX_TABLE: props.indexTable.tableName,
        TRACKED_BUCKETS: props.buckets.join(','),
        RESERVED_PREFIXES: props.reservedPrefixes,
        RECONCILE_EVERY: `${everyHours}h`,
        RUST_LOG,
      },
      resources: {
        historyTableArn: props.historyTable.tableArn,
        indexTableArn: props.indexTable.tableArn,
        trackedBucketArns: props.bucketArns,
      },
      timeout: RECONCILE_TIMEOUT,
      memorySize: 256,
      dev: props.dev,
    });
    // The schedule's own role may invoke this function and nothing else: not its versions or aliases
    // (CDK's LambdaInvoke target would grant `<arn>:*`).
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets EventBridge Scheduler invoke the reconcile function',
    });
    this.schedulerRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeReconcile',
        actions: ['lambda:InvokeFunction'],
        resources: [this.function.function.functionArn],
      }),
    );
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: `Ticks the reconcile of the tracked bucket (a new walk every ${everyHours} h)`,
      scheduleExpression: `rate(${RECONCILE_TICK.toMinutes()} minutes)`,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: this.function.function.functionArn,
        roleArn: this.schedulerRole.roleArn,
        input: '{}',
        // The next tick is the retry: a failed invocation leaves its checkpoint, and its lease runs out by
        // its deadline.
        retryPolicy: { maximumRetryAttempts: 0 },
      },
    });
  }
}
