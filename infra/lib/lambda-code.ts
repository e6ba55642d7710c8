import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { BUILD_COMMAND } from './constants';
import { REPO_ROOT } from './repo-root';

export { REPO_ROOT };

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

/** `binary` is a cargo binary named in contract/functions.json. */
export function lambdaZipPath(assetDir: string, binary: string): string {
  return path.join(assetDir, binary, 'bootstrap.zip');
}

/**
 * The code of one binary: its cargo-lambda zip.
 *
 * Commands that do not bundle (`cdk ls`, `cdk destroy`) run without the zips: their stacks get a
 * placeholder location that is never uploaded. Every other synthesis fails with one line naming the
 * build command.
 */
export function lambdaCode(scope: Construct, binary: string): lambda.Code {
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
