import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { createStacks, optionsFromContext } from '../lib/app';
import { BUILD_COMMAND } from '../lib/constants';
import { DEFAULT_ASSET_DIR, lambdaAssetDir, MissingLambdaCodeError, REPO_ROOT } from '../lib/lambda-code';
import { CDK_JSON_CONTEXT, INFRA_DIR, logicalIdOf, newApp, stubAssetDir, tempDir } from './helpers';

const savedEnv = process.env.LAMBDA_ASSET_DIR;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.LAMBDA_ASSET_DIR;
  else process.env.LAMBDA_ASSET_DIR = savedEnv;
});

/** Runs bin/app.ts the way the CDK CLI does: context from cdk.json, output to a temp dir. */
function runApp(env: Record<string, string>, context: Record<string, unknown> = {}) {
  const outdir = tempDir('app-out');
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: INFRA_DIR,
    encoding: 'utf8',
    env: {
      ...process.env,
      ...env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...context }),
    },
  });
  return { ...result, outdir };
}

describe('Lambda code', () => {
  test('comes from <repo>/target/lambda by default; LAMBDA_ASSET_DIR, then context lambdaAssetDir, override it', () => {
    assert.equal(DEFAULT_ASSET_DIR, path.join(REPO_ROOT, 'target', 'lambda'));
    assert.equal(REPO_ROOT, path.resolve(INFRA_DIR, '..'));
    delete process.env.LAMBDA_ASSET_DIR;
    assert.equal(lambdaAssetDir(newApp({ lambdaAssetDir: undefined })), DEFAULT_ASSET_DIR);
    process.env.LAMBDA_ASSET_DIR = '/from/env';
    assert.equal(lambdaAssetDir(newApp({ lambdaAssetDir: undefined })), '/from/env');
    assert.equal(lambdaAssetDir(newApp({ lambdaAssetDir: '/from/context' })), '/from/context');
  });

  test('each function gets its own binary\'s zip', () => {
    const app = newApp();
    const stacks = createStacks(app);
    const functions = [
      ['tracker', stacks.tracking, stacks.tracking.tracker.function],
      ['api', stacks.plot, stacks.plot.api.function],
      ['driver', stacks.driver, stacks.driver.driver.function],
    ] as const;
    app.synth();
    for (const [binary, stack, fn] of functions) {
      const key: string = Template.fromStack(stack).toJSON().Resources[logicalIdOf(stack, fn)].Properties.Code.S3Key;
      const staged = fs.readFileSync(path.join(app.outdir, `asset.${key}`));
      const expected = fs.readFileSync(path.join(stubAssetDir(), binary, 'bootstrap.zip'));
      assert.ok(staged.equals(expected), `${binary} runs ${binary}/bootstrap.zip`);
    }
  });

  test('missing zips fail synthesis with one line naming the build command', () => {
    const empty = tempDir('no-lambda');
    const app = newApp({ lambdaAssetDir: empty });
    assert.throws(
      () => createStacks(app),
      (error: Error) => {
        assert.ok(error instanceof MissingLambdaCodeError);
        assert.ok(error.message.includes(BUILD_COMMAND));
        assert.ok(error.message.includes('tracker/bootstrap.zip'));
        assert.ok(!error.message.includes('\n'));
        return true;
      },
    );
    assert.equal(BUILD_COMMAND, 'npm --prefix infra run build:lambdas');
  });

  test('commands that do not bundle (cdk ls, cdk destroy) need no zips', () => {
    const app = newApp({ lambdaAssetDir: tempDir('no-lambda'), 'aws:cdk:bundling-stacks': [] });
    const stacks = createStacks(app);
    const tracker = Template.fromStack(stacks.tracking).toJSON().Resources[
      logicalIdOf(stacks.tracking, stacks.tracking.tracker.function)
    ];
    assert.deepEqual(tracker.Properties.Code, {
      S3Bucket: 'code-not-built',
      S3Key: 'tracker/bootstrap.zip',
      S3ObjectVersion: 'not-built',
    });
  });

  test('bin/app.ts without the zips exits 1 and prints exactly one line, the build command', () => {
    const { status, stderr, stdout } = runApp({ LAMBDA_ASSET_DIR: tempDir('no-lambda') });
    assert.equal(status, 1, stdout + stderr);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], /^Lambda code not found: .*tracker\/bootstrap\.zip\. Build it first with `npm --prefix infra run build:lambdas`/);
  });

  test('bin/app.ts with the zips synthesizes the four stacks, cdk-nag included', () => {
    const { status, stderr, outdir } = runApp({ LAMBDA_ASSET_DIR: stubAssetDir() });
    assert.equal(status, 0, stderr);
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    const stacks = Object.entries<any>(manifest.artifacts)
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([id]) => id);
    assert.deepEqual(stacks, ['StorageStack', 'SizeTrackingLambdaStack', 'PlotLambdaStack', 'DriverLambdaStack']);
  });
});

describe('app options from context', () => {
  test('defaults: a dev deployment with the web adapter', () => {
    const app = newApp({ dev: undefined, webAdapter: undefined });
    assert.deepEqual(optionsFromContext(app), { dev: undefined, webAdapter: undefined, bucketName: undefined });
    const stacks = createStacks(app, optionsFromContext(app));
    const bucket = Template.fromStack(stacks.tracking).toJSON().Resources[logicalIdOf(stacks.tracking, stacks.tracking.bucket)];
    assert.equal(bucket.DeletionPolicy, 'Delete');
    assert.ok(stacks.plot.node.tryFindChild('LambdaWebAdapter'), 'the web adapter layer');
  });

  test('cdk.json makes dev and the web adapter explicit', () => {
    assert.equal(CDK_JSON_CONTEXT.dev, true);
    assert.equal(CDK_JSON_CONTEXT.webAdapter, true);
  });

  test('-c dev=false -c webAdapter=false -c bucketName=NAME, as the CLI passes them (strings)', () => {
    const app = newApp({ dev: 'false', webAdapter: 'false', bucketName: 'my-tracked-bucket' });
    assert.deepEqual(optionsFromContext(app), { dev: false, webAdapter: false, bucketName: 'my-tracked-bucket' });
    const stacks = createStacks(app, optionsFromContext(app));
    assert.equal(stacks.tracking.bucketName, 'my-tracked-bucket');
  });

  test('a flag that is neither true nor false is refused', () => {
    assert.throws(() => optionsFromContext(newApp({ dev: 'yes' })), /context dev must be true or false/);
  });
});
