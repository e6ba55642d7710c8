import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { createStacks, optionsFromContext } from '../lib/app';
import { BUILD_COMMAND } from '../lib/constants';
import { LAMBDA_BINARIES } from '../lib/function-contract';
import { DEFAULT_ASSET_DIR, lambdaAssetDir, MissingLambdaCodeError, REPO_ROOT } from '../lib/lambda-code';
import {
  CDK_JSON_CONTEXT,
  contractJson,
  deployedFunctions,
  INFRA_DIR,
  logicalIdOf,
  newApp,
  stubAssetDir,
  synthesize,
  tempDir,
} from './helpers';

/** The tracker is the first function the app builds, so the first whose missing zip is reported. */
const trackerBinary: string = contractJson('functions.json').functions.tracker.binary;

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

  test('each function runs the zip of its binary in contract/functions.json', () => {
    const synthesized = synthesize();
    synthesized.app.synth();
    const functions = deployedFunctions(synthesized);
    assert.deepEqual(
      functions.map((f) => f.construct.contract.binary).sort(),
      Object.values<any>(contractJson('functions.json').functions).map((f) => f.binary).sort(),
    );
    for (const { construct, resource } of functions) {
      const { name, binary } = construct.contract;
      const staged = fs.readFileSync(path.join(synthesized.app.outdir, `asset.${resource.Properties.Code.S3Key}`));
      const expected = fs.readFileSync(path.join(stubAssetDir(), binary, 'bootstrap.zip'));
      assert.ok(staged.equals(expected), `${name} runs ${binary}/bootstrap.zip`);
    }
  });

  test('the stub zips are exactly the binaries of contract/functions.json', () => {
    const binaries = Object.values<any>(contractJson('functions.json').functions).map((f) => f.binary);
    assert.deepEqual([...LAMBDA_BINARIES], binaries);
    assert.deepEqual(fs.readdirSync(stubAssetDir()).sort(), [...binaries].sort());
    for (const binary of binaries) assert.ok(fs.statSync(path.join(stubAssetDir(), binary, 'bootstrap.zip')).isFile());
  });

  test('missing zips fail synthesis with one line naming the build command', () => {
    const empty = tempDir('no-lambda');
    const app = newApp({ lambdaAssetDir: empty });
    assert.throws(
      () => createStacks(app),
      (error: Error) => {
        assert.ok(error instanceof MissingLambdaCodeError);
        assert.ok(error.message.includes(BUILD_COMMAND));
        assert.ok(error.message.includes(`${trackerBinary}/bootstrap.zip`));
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
      S3Key: `${trackerBinary}/bootstrap.zip`,
      S3ObjectVersion: 'not-built',
    });
  });

  test('bin/app.ts without the zips exits 1 and prints exactly one line, the build command', () => {
    const { status, stderr, stdout } = runApp({ LAMBDA_ASSET_DIR: tempDir('no-lambda') });
    assert.equal(status, 1, stdout + stderr);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.ok(lines[0].startsWith('Lambda code not found: '), lines[0]);
    assert.ok(lines[0].includes(`${trackerBinary}/bootstrap.zip. Build it first with \`npm --prefix infra run build:lambdas\``), lines[0]);
  });

  // That cdk-nag runs in bin/app.ts is shown in nag.test.ts, with a finding planted in the real app.
  test('bin/app.ts with the zips synthesizes the four stacks', () => {
    const { status, stderr, outdir } = runApp({ LAMBDA_ASSET_DIR: stubAssetDir() });
    assert.equal(status, 0, stderr);
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    const stacks = Object.entries<any>(manifest.artifacts)
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([id]) => id);
    assert.deepEqual(stacks, ['StorageStack', 'SizeTrackingLambdaStack', 'PlotLambdaStack', 'DriverLambdaStack']);
  });
});

/** optionsFromContext when no delivery setting and no protection of the api is given in context. */
const NO_DELIVERY_OPTIONS = {
  trackerBatchSize: undefined,
  trackerBatchWindowSeconds: undefined,
  trackerMaxConcurrency: undefined,
  trackerReservedConcurrency: undefined,
  oldestMessageAlarmMinutes: undefined,
  reconcileEveryHours: undefined,
  apiQuotaPerDay: undefined,
  wafRateLimit: undefined,
  apiReservedConcurrency: undefined,
  alarmEmail: undefined,
  apiAuth: undefined,
  trackedBuckets: undefined,
};

describe('app options from context', () => {
  test('defaults: a dev deployment with the web adapter', () => {
    const app = newApp({ dev: undefined, webAdapter: undefined });
    assert.deepEqual(optionsFromContext(app), { dev: undefined, webAdapter: undefined, bucketName: undefined, ...NO_DELIVERY_OPTIONS });
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
    assert.deepEqual(optionsFromContext(app), {
      dev: false,
      webAdapter: false,
      bucketName: 'my-tracked-bucket',
      ...NO_DELIVERY_OPTIONS,
    });
    const stacks = createStacks(app, optionsFromContext(app));
    assert.equal(stacks.tracking.bucketName, 'my-tracked-bucket');
  });

  test('a flag that is neither true nor false is refused', () => {
    assert.throws(() => optionsFromContext(newApp({ dev: 'yes' })), /context dev must be true or false/);
  });

  test('the tracker\'s delivery settings, as the CLI passes them (strings) and as cdk.json may (numbers)', () => {
    const fromCli = newApp({
      trackerBatchSize: '100',
      trackerBatchWindowSeconds: '5',
      trackerMaxConcurrency: '3',
      trackerReservedConcurrency: '4',
      oldestMessageAlarmMinutes: '30',
      reconcileEveryHours: '6',
      alarmEmail: 'ops@example.com',
    });
    const expected = {
      trackerBatchSize: 100,
      trackerBatchWindowSeconds: 5,
      trackerMaxConcurrency: 3,
      trackerReservedConcurrency: 4,
      oldestMessageAlarmMinutes: 30,
      reconcileEveryHours: 6,
      alarmEmail: 'ops@example.com',
    };
    assert.deepEqual(optionsFromContext(fromCli), { dev: true, webAdapter: true, bucketName: undefined, ...NO_DELIVERY_OPTIONS, ...expected });
    const fromJson = newApp({ ...expected, trackerBatchWindowSeconds: 5 });
    assert.deepEqual(optionsFromContext(fromJson), { dev: true, webAdapter: true, bucketName: undefined, ...NO_DELIVERY_OPTIONS, ...expected });
    // They reach the stack.
    const stacks = createStacks(fromCli, optionsFromContext(fromCli));
    const mapping = Template.fromStack(stacks.tracking).findResources('AWS::Lambda::EventSourceMapping');
    assert.deepEqual(
      Object.values<any>(mapping).map((m) => [m.Properties.BatchSize, m.Properties.MaximumBatchingWindowInSeconds, m.Properties.ScalingConfig]),
      [[100, 5, { MaximumConcurrency: 3 }]],
    );
    assert.equal(stacks.tracking.reconcile.function.function.node.defaultChild !== undefined, true);
    const reconcile = Template.fromStack(stacks.tracking).toJSON().Resources[
      logicalIdOf(stacks.tracking, stacks.tracking.reconcile.function.function)
    ];
    assert.equal(reconcile.Properties.Environment.Variables.RECONCILE_EVERY, '6h');
  });

  test('the api\'s protection, as the CLI passes it (strings) and as cdk.json may (numbers)', () => {
    const fromCli = newApp({ apiAuth: 'apiKey', apiQuotaPerDay: '500', wafRateLimit: '1000', apiReservedConcurrency: '20' });
    const expected = { apiAuth: 'apiKey', apiQuotaPerDay: 500, wafRateLimit: 1000, apiReservedConcurrency: 20 };
    const base = { dev: true, webAdapter: true, bucketName: undefined, ...NO_DELIVERY_OPTIONS };
    assert.deepEqual(optionsFromContext(fromCli), { ...base, ...expected });
    assert.deepEqual(optionsFromContext(newApp(expected)), { ...base, ...expected });
    // They reach the stack.
    const stacks = createStacks(fromCli, optionsFromContext(fromCli));
    const plot = Template.fromStack(stacks.plot);
    plot.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    plot.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Quota: { Limit: 500, Period: 'DAY' } });
    plot.hasResourceProperties('AWS::WAFv2::WebACL', { Rules: [{ Statement: { RateBasedStatement: { Limit: 1000 } } }] });
    const api = plot.toJSON().Resources[logicalIdOf(stacks.plot, stacks.plot.api.function)];
    assert.equal(api.Properties.ReservedConcurrentExecutions, 20);
    assert.equal(optionsFromContext(newApp({ apiAuth: 'iam' })).apiAuth, 'iam');
  });

  test('a setting that is not a whole number is refused, naming the context key', () => {
    for (const key of [
      'trackerBatchSize',
      'trackerBatchWindowSeconds',
      'trackerMaxConcurrency',
      'trackerReservedConcurrency',
      'oldestMessageAlarmMinutes',
      'reconcileEveryHours',
      'apiQuotaPerDay',
      'wafRateLimit',
      'apiReservedConcurrency',
    ]) {
      for (const bad of ['ten', '1.5', '-3', 2.5, true]) {
        assert.throws(
          () => optionsFromContext(newApp({ [key]: bad })),
          { name: 'InvalidOptionError', message: `context ${key} must be a whole number, not ${JSON.stringify(bad)}` },
        );
      }
    }
    assert.throws(() => optionsFromContext(newApp({ alarmEmail: 42 })), /context alarmEmail must be a string, not 42/);
    assert.throws(() => optionsFromContext(newApp({ apiAuth: true })), /context apiAuth must be a string, not true/);
  });

  test('bin/app.ts reports a refused setting in one line and exits 1', () => {
    for (const [context, message] of [
      [{ trackerBatchSize: 'many' }, 'context trackerBatchSize must be a whole number, not "many"'],
      [{ trackerBatchSize: '1000', trackerBatchWindowSeconds: '0' }, 'trackerBatchWindowSeconds must be at least 1 when trackerBatchSize is over 10'],
      [{ trackerMaxConcurrency: '8', trackerReservedConcurrency: '4' }, 'trackerMaxConcurrency (8) must not exceed trackerReservedConcurrency (4)'],
      [{ apiAuth: 'cognito' }, 'apiAuth must be one of none, apiKey, iam, got "cognito"'],
      [{ wafRateLimit: '5' }, 'wafRateLimit must be a whole number from 10 to 2000000000'],
    ] as const) {
      const { status, stderr } = runApp({ LAMBDA_ASSET_DIR: stubAssetDir() }, context);
      assert.equal(status, 1, stderr);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.ok(stderr.startsWith(message), stderr);
    }
  });
});

describe('build:lambdas (scripts/build-lambdas.sh)', () => {
  /**
   * Runs the script in a throwaway copy of the repository's layout (the script and the contract), with
   * a fake cargo that records its arguments and writes a zip for each `--bin` except those in `skip`:
   * no Rust is built and the real target/ is never touched.
   */
  function runBuild(skip: string[] = []) {
    const repo = tempDir('build-lambdas');
    fs.mkdirSync(path.join(repo, 'infra', 'scripts'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'contract'));
    fs.copyFileSync(path.join(INFRA_DIR, 'scripts', 'build-lambdas.sh'), path.join(repo, 'infra', 'scripts', 'build-lambdas.sh'));
    fs.copyFileSync(path.join(REPO_ROOT, 'contract', 'functions.json'), path.join(repo, 'contract', 'functions.json'));
    const bin = path.join(repo, 'fake-bin');
    fs.mkdirSync(bin);
    const write = (name: string, script: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    write(
      'cargo',
      `echo "$*" >> "${repo}/cargo.args"
dir=; next=
for arg in "$@"; do
  case "$next" in
    dir) dir=$arg ;;
    bin) case " ${skip.join(' ')} " in *" $arg "*) ;; *) mkdir -p "$dir/$arg" && echo zip > "$dir/$arg/bootstrap.zip" ;; esac ;;
  esac
  next=
  case "$arg" in --lambda-dir) next=dir ;; --bin) next=bin ;; esac
done`,
    );
    write('cargo-lambda', 'exit 0');
    write('rustup', 'echo aarch64-unknown-linux-gnu');
    const result = spawnSync('bash', [path.join(repo, 'infra', 'scripts', 'build-lambdas.sh')], {
      encoding: 'utf8',
      env: { PATH: [bin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter), HOME: repo },
    });
    const args = fs.existsSync(path.join(repo, 'cargo.args')) ? fs.readFileSync(path.join(repo, 'cargo.args'), 'utf8').trim() : '';
    return { ...result, args };
  }
  const binaries: string[] = Object.values<any>(contractJson('functions.json').functions).map((f) => f.binary);

  test('builds exactly the binaries contract/functions.json names, and checks each zip', () => {
    const { status, stdout, stderr, args } = runBuild();
    assert.equal(status, 0, stderr);
    assert.equal(
      args,
      `lambda build --release --arm64 --output-format zip --lambda-dir target/lambda --workspace ${binaries.map((b) => `--bin ${b}`).join(' ')}`,
    );
    assert.deepEqual(
      stdout.trim().split('\n').map((line) => line.replace(/ \(\d+ bytes\)$/, '')),
      binaries.map((b) => `built target/lambda/${b}/bootstrap.zip`),
    );
  });

  test('fails with one line naming the zip that was not produced', () => {
    const missing = binaries[binaries.length - 1];
    const { status, stderr } = runBuild([missing]);
    assert.equal(status, 1);
    assert.equal(stderr.trim(), `build:lambdas: target/lambda/${missing}/bootstrap.zip was not produced`);
  });
});
