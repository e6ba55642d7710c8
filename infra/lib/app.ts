import type { App, Environment } from 'aws-cdk-lib';
import type { ApiAuth, ApiProtectionProps } from './api-protection';
import { DriverLambdaStack } from './driver-lambda-stack';
import { PlotLambdaStack } from './plot-lambda-stack';
import { SizeTrackingLambdaStack } from './size-tracking-lambda-stack';
import { StorageStack } from './storage-stack';
import type { ReconcileProps } from './scheduled-reconcile';
import type { TrackedBucketsProps } from './tracked-bucket-rules';
import { InvalidOptionError, type TrackerDeliveryProps } from './tracker-delivery';

/**
 * The tracker's delivery settings (`trackerBatchSize`, …, `alarmEmail`) are TrackerDeliveryProps; how often
 * the bucket is reconciled (`reconcileEveryHours`) is ReconcileProps; what protects the plot API (`apiAuth`,
 * `apiQuotaPerDay`, `wafRateLimit`, `apiReservedConcurrency`) is ApiProtectionProps; the existing buckets
 * tracked beside the stack's own (`trackedBuckets`, same account and region) are TrackedBucketsProps.
 */
export interface S3SizeMicroOptions extends TrackerDeliveryProps, ReconcileProps, ApiProtectionProps, TrackedBucketsProps {
  /**
   * A dev deployment: buckets are emptied and everything is destroyed with the stacks.
   * Otherwise data is retained (RETAIN) and tables are deletion-protected.
   * @default true
   */
  readonly dev?: boolean;
  /** @default true: the api runs behind the Lambda Web Adapter; false: native lambda_http */
  readonly webAdapter?: boolean;
  /** @default `s3-size-micro-<account>-<region>` */
  readonly bucketName?: string;
  readonly env?: Environment;
}

export interface S3SizeMicroStacks {
  readonly storage: StorageStack;
  readonly tracking: SizeTrackingLambdaStack;
  readonly plot: PlotLambdaStack;
  readonly driver: DriverLambdaStack;
}

/** The four stacks, each depending on the one before it and never on a later one. */
export function createStacks(app: App, options: S3SizeMicroOptions = {}): S3SizeMicroStacks {
  const dev = options.dev ?? true;
  const env = options.env;

  const storage = new StorageStack(app, 'StorageStack', {
    env,
    dev,
    description: 's3-size-micro: size history and ObjectIndex tables',
  });
  const tracking = new SizeTrackingLambdaStack(app, 'SizeTrackingLambdaStack', {
    env,
    dev,
    description: 's3-size-micro: tracked bucket, its events queue, tracker function, scheduled reconcile and alarms',
    historyTable: storage.historyTable,
    indexTable: storage.indexTable,
    bucketName: options.bucketName,
    trackerBatchSize: options.trackerBatchSize,
    trackerBatchWindowSeconds: options.trackerBatchWindowSeconds,
    trackerMaxConcurrency: options.trackerMaxConcurrency,
    trackerReservedConcurrency: options.trackerReservedConcurrency,
    oldestMessageAlarmMinutes: options.oldestMessageAlarmMinutes,
    alarmEmail: options.alarmEmail,
    reconcileEveryHours: options.reconcileEveryHours,
    trackedBuckets: options.trackedBuckets,
  });
  const plot = new PlotLambdaStack(app, 'PlotLambdaStack', {
    env,
    dev,
    description: 's3-size-micro: plot API (api function behind API Gateway)',
    historyTable: storage.historyTable,
    bucketName: tracking.bucketName,
    bucketArn: tracking.bucketArn,
    trackedBuckets: tracking.trackedBuckets,
    webAdapter: options.webAdapter,
    apiAuth: options.apiAuth,
    apiQuotaPerDay: options.apiQuotaPerDay,
    wafRateLimit: options.wafRateLimit,
    apiReservedConcurrency: options.apiReservedConcurrency,
  });
  // The bucket is named, not referenced: state the order explicitly.
  plot.addStackDependency(tracking, 'the api reads and writes the tracked bucket');
  const driver = new DriverLambdaStack(app, 'DriverLambdaStack', {
    env,
    dev,
    description: 's3-size-micro: driver function that plays the scenario',
    bucketName: tracking.bucketName,
    bucketArn: tracking.bucketArn,
    plotApiUrl: plot.apiUrl,
    plotApiAccess: plot.access,
  });
  // The key's id and the API's id are read from the plot stack's outputs: state the order explicitly.
  driver.addStackDependency(plot, 'the driver calls the plot API and reads its outputs');
  return { storage, tracking, plot, driver };
}

/** The context keys whose values are whole numbers. */
const NUMBER_CONTEXT = [
  'trackerBatchSize',
  'trackerBatchWindowSeconds',
  'trackerMaxConcurrency',
  'trackerReservedConcurrency',
  'oldestMessageAlarmMinutes',
  'reconcileEveryHours',
  'apiQuotaPerDay',
  'wafRateLimit',
  'apiReservedConcurrency',
] as const;

/**
 * Reads the options from context: `-c dev=false`, `-c webAdapter=false`, `-c bucketName=NAME`, the
 * tracker's delivery settings, e.g. `-c trackerBatchSize=100 -c alarmEmail=ops@example.com`, and the plot
 * API's protection, e.g. `-c apiAuth=apiKey -c wafRateLimit=1000`, and the existing buckets to track,
 * comma-separated: `-c trackedBuckets=bucket-a,bucket-b` (cdk.json may give a list of strings). A value of
 * the wrong kind is an InvalidOptionError naming the key; the stacks check the ranges and the names.
 */
export function optionsFromContext(app: App): S3SizeMicroOptions {
  const read = (key: string): unknown => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : value;
  };
  const flag = (key: string): boolean | undefined => {
    const value = read(key);
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new InvalidOptionError(`context ${key} must be true or false, not ${JSON.stringify(value)}`);
  };
  // `-c key=value` always gives a string; cdk.json or CDK_CONTEXT_JSON may give a number.
  const wholeNumber = (key: string): number | undefined => {
    const value = read(key);
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && /^[0-9]+$/.test(value.trim())) return Number(value.trim());
    throw new InvalidOptionError(`context ${key} must be a whole number, not ${JSON.stringify(value)}`);
  };
  const text = (key: string): string | undefined => {
    const value = read(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new InvalidOptionError(`context ${key} must be a string, not ${JSON.stringify(value)}`);
    return value.trim() === '' ? undefined : value.trim();
  };
  // `-c key=a,b` gives one string; cdk.json or CDK_CONTEXT_JSON may give a list. Each name is trimmed; an
  // empty one is left for the stack to refuse, as it is not a bucket name.
  const names = (key: string): string[] | undefined => {
    const value = read(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value.split(',').map((name) => name.trim());
    if (Array.isArray(value) && value.every((name) => typeof name === 'string')) return value.map((name: string) => name.trim());
    throw new InvalidOptionError(
      `context ${key} must be bucket names separated by commas (or a list of them), not ${JSON.stringify(value)}`,
    );
  };
  const bucketName: unknown = app.node.tryGetContext('bucketName');
  const numbers = Object.fromEntries(NUMBER_CONTEXT.map((key) => [key, wholeNumber(key)])) as Record<
    (typeof NUMBER_CONTEXT)[number],
    number | undefined
  >;
  return {
    dev: flag('dev'),
    webAdapter: flag('webAdapter'),
    bucketName: typeof bucketName === 'string' && bucketName !== '' ? bucketName : undefined,
    ...numbers,
    alarmEmail: text('alarmEmail'),
    // Checked by the stack (apiProtection), like the ranges.
    apiAuth: text('apiAuth') as ApiAuth | undefined,
    trackedBuckets: names('trackedBuckets'),
  };
}
