import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUILD_COMMAND, type LambdaBinary } from './constants';

/** The repository root: `infra/..`. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where `cargo lambda build --lambda-dir target/lambda` puts `<name>/bootstrap.zip`. */
export const DEFAULT_ASSET_DIR = path.join(REPO_ROOT, 'target', 'lambda');

/** Context key and environment variable that point the app at another asset directory (tests, CI). */
export const ASSET_DIR_CONTEXT = 'lambdaAssetDir';
export const ASSET_DIR_ENV = 'LAMBDA_ASSET_DIR';

/** The zips have not been built; the message is one line that names the build command. */
export class MissingLambdaCodeError extends Error {
  constructor(zipPath: string) {
    super(
      `Lambda code not found: ${displayPath(zipPath)}. ` +
        `Build it first with \`${BUILD_COMMAND}\` (or set ${ASSET_DIR_ENV} to a directory holding <name>/bootstrap.zip).`,
    );
    this.name = 'MissingLambdaCodeError';
  }
}

/** A path inside the repository relative to its root (`target/lambda/...`), any other path as it is. */
function displayPath(file: string): string {
  const relative = path.relative(REPO_ROOT, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** The asset directory: context `lambdaAssetDir`, else `$LAMBDA_ASSET_DIR`, else `<repo>/target/lambda`. */
export function lambdaAssetDir(scope: Construct): string {
  const fromContext = scope.node.tryGetContext(ASSET_DIR_CONTEXT) as string | undefined;
  const chosen = fromContext || process.env[ASSET_DIR_ENV] || DEFAULT_ASSET_DIR;
  return path.resolve(chosen);
}

export function lambdaZipPath(assetDir: string, binary: LambdaBinary): string {
  return path.join(assetDir, binary, 'bootstrap.zip');
}

/**
 * The code of one binary: its cargo-lambda zip.
 *
 * Commands that do not bundle (`cdk ls`, `cdk destroy`) run without the zips: their stacks get a
 * placeholder location that is never uploaded. Every other synthesis fails with one line naming the
 * build command.
 */
export function lambdaCode(scope: Construct, binary: LambdaBinary): lambda.Code {
  const zip = lambdaZipPath(lambdaAssetDir(scope), binary);
  if (fs.existsSync(zip)) {
    return lambda.Code.fromAsset(zip);
  }
  if (!Stack.of(scope).bundlingRequired) {
    const placeholder = s3.Bucket.fromBucketName(scope, 'CodeNotBuilt', 'code-not-built');
    return lambda.Code.fromBucketV2(placeholder, `${binary}/bootstrap.zip`, { objectVersion: 'not-built' });
  }
  throw new MissingLambdaCodeError(zip);
}

/** DESTROY for a dev deployment (so `cdk destroy --all` leaves nothing behind), RETAIN otherwise. */
export function removalPolicyFor(dev: boolean): RemovalPolicy {
  return dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

export interface RustFunctionProps {
  /** The cargo-lambda binary: `target/lambda/<binary>/bootstrap.zip`. */
  readonly binary: LambdaBinary;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly layers?: lambda.ILayerVersion[];
  readonly dev: boolean;
}

/**
 * One Rust binary as a Lambda function: `provided.al2023`, arm64, handler `bootstrap`, its own log group
 * with a retention, and its own role that may write only to that log group (no AWS managed policy).
 * Each stack grants the function exactly the data-plane actions it needs.
 */
export class RustFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RustFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: removalPolicyFor(props.dev),
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.binary} function`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: lambdaCode(this, props.binary),
      environment: props.environment,
      timeout: props.timeout,
      memorySize: props.memorySize,
      layers: props.layers,
      role: this.role,
      logGroup: this.logGroup,
    });
  }

  /** Adds a statement to this function's own policy. */
  allow(statement: iam.PolicyStatementProps): void {
    this.role.addToPolicy(new iam.PolicyStatement(statement));
  }
}

/**
 * The cdk-nag finding id for an IAM statement whose resource holds a wildcard, e.g.
 * `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::name/plots/*]`: references print as `<Ref>`
 * and `<Logical.Attribute>`, as cdk-nag prints them.
 */
export function wildcardResourceFinding(scope: Construct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
}

function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (typeof object.Ref === 'string') return `<${object.Ref}>`;
    const getAtt = object['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = object['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(flatten).join(join[0]);
    }
  }
  return JSON.stringify(value);
}
