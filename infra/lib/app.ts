import type { App, Environment } from 'aws-cdk-lib';
import { DriverLambdaStack } from './driver-lambda-stack';
import { PlotLambdaStack } from './plot-lambda-stack';
import { SizeTrackingLambdaStack } from './size-tracking-lambda-stack';
import { StorageStack } from './storage-stack';

export interface S3SizeMicroOptions {
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
    description: 's3-size-micro: tracked bucket, tracker function and its notifications',
    historyTable: storage.historyTable,
    indexTable: storage.indexTable,
    bucketName: options.bucketName,
  });
  const plot = new PlotLambdaStack(app, 'PlotLambdaStack', {
    env,
    dev,
    description: 's3-size-micro: plot API (api function behind API Gateway)',
    historyTable: storage.historyTable,
    bucketName: tracking.bucketName,
    bucketArn: tracking.bucketArn,
    webAdapter: options.webAdapter,
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
  });
  return { storage, tracking, plot, driver };
}

/** Reads the options from context: `-c dev=false`, `-c webAdapter=false`, `-c bucketName=NAME`. */
export function optionsFromContext(app: App): S3SizeMicroOptions {
  const flag = (key: string): boolean | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new Error(`context ${key} must be true or false, not ${JSON.stringify(value)}`);
  };
  const bucketName: unknown = app.node.tryGetContext('bucketName');
  return {
    dev: flag('dev'),
    webAdapter: flag('webAdapter'),
    bucketName: typeof bucketName === 'string' && bucketName !== '' ? bucketName : undefined,
  };
}
