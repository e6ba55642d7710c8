import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createStacks, type S3SizeMicroOptions } from '../lib/app';
import { addNagChecks } from '../lib/nag';
import { CDK_JSON_CONTEXT, INFRA_DIR, newApp, stubAssetDir, tempDir, VARIANTS } from './helpers';
import { PLANTED_FINDINGS, PLANTED_PATH, plantNagFinding } from './nag-probe';

/**
 * Every acknowledged cdk-nag finding of the default app: construct path, finding id. Each has a reason in
 * the code. A protected api has fewer (acknowledgedFor).
 */
const ACKNOWLEDGED = [
  ['SizeTrackingLambdaStack/TrackerFailures', 'AwsSolutions-SQS3'],
  ['PlotLambdaStack/Api/Role', 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::s3-size-micro-<AWS::AccountId>-<AWS::Region>/plots/*]'],
  ['PlotLambdaStack/PlotApi', 'AwsSolutions-APIG2'],
  ['PlotLambdaStack/PlotApi/Default', 'AwsSolutions-APIG4'],
  ['PlotLambdaStack/PlotApi/Default', 'AwsSolutions-COG4'],
  ['PlotLambdaStack/PlotApi/DeploymentStage.dev', 'AwsSolutions-APIG3'],
  ['PlotLambdaStack/PlotApi/CloudWatchRole', 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]'],
  ['DriverLambdaStack/Driver/Role', 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::s3-size-micro-<AWS::AccountId>-<AWS::Region>/*]'],
  // The tracker reads a key whose version was removed (HeadObject), reconcile a parked event's key: keys known only at run time.
  ['SizeTrackingLambdaStack/Tracker/Role', 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::s3-size-micro-<AWS::AccountId>-<AWS::Region>/*]'],
  ['SizeTrackingLambdaStack/Reconcile/Function/Role', 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::s3-size-micro-<AWS::AccountId>-<AWS::Region>/*]'],
].map(([at, id]) => `${at} ${id}`).sort();

/**
 * The driver's grant under apiAuth iam: execute-api:Invoke on the GET methods of stage dev, any path. The API's
 * id is read from PlotLambdaStack's output PlotApiId, which cdk-nag prints as the intrinsic it is.
 */
const DRIVER_GET_METHODS =
  'DriverLambdaStack/Driver/Role AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:' +
  '{"Fn::GetStackOutput":{"StackName":"PlotLambdaStack","Region":{"Ref":"AWS::Region"},"OutputName":"PlotApiId"}}/dev/GET/*]';

/**
 * The acknowledgements of one variant: a web ACL on the stage (wafRateLimit) leaves nothing for APIG3 to
 * find, AWS_IAM authorization (apiAuth iam) nothing for APIG4 but the driver's wildcard on the API's GET
 * methods, and each tracked bucket adds its objects' wildcard to the tracker's and the reconcile's roles.
 */
function acknowledgedFor(options: S3SizeMicroOptions): string[] {
  // The tracker and the reconcile read the keys of each tracked bucket too: one wildcard, one reason, each.
  const trackedObjects = (options.trackedBuckets ?? []).flatMap((bucket) =>
    ['SizeTrackingLambdaStack/Tracker/Role', 'SizeTrackingLambdaStack/Reconcile/Function/Role'].map(
      (role) => `${role} AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucket}/*]`,
    ),
  );
  return [
    ...ACKNOWLEDGED.filter(
      (ack) =>
        !(options.wafRateLimit !== undefined && ack.endsWith(' AwsSolutions-APIG3')) &&
        !(options.apiAuth === 'iam' && ack.endsWith(' AwsSolutions-APIG4')),
    ),
    ...trackedObjects,
    ...(options.apiAuth === 'iam' ? [DRIVER_GET_METHODS] : []),
  ].sort();
}

/** Acknowledgements recorded on the construct tree: path, id (without the `Annotation::` prefix), reason. */
function acknowledgements(app: App): Array<{ path: string; id: string; reason: string }> {
  const found: Array<{ path: string; id: string; reason: string }> = [];
  const visit = (c: IConstruct) => {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
    c.node.children.forEach(visit);
  };
  visit(app);
  return found;
}

/** The violations of a synthesis's validation-report.json, as `rule at construct path`, by the plugin that found them. */
function reportedViolations(outdir: string): Record<string, string[]> {
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  return Object.fromEntries(
    report.pluginReports.map((plugin: any) => [
      plugin.pluginName,
      plugin.violations
        .flatMap((v: any) => v.violatingConstructs.map((c: any) => `${v.ruleName} at ${c.constructPath}`))
        .sort(),
    ]),
  );
}

const plantedViolations = PLANTED_FINDINGS.map((id) => `${id} at ${PLANTED_PATH}`).sort();

describe('cdk-nag is part of every synthesis', () => {
  test('addNagChecks fails a synthesis on an unacknowledged finding, and reports it', (t) => {
    const app = newApp();
    plantNagFinding(app);
    addNagChecks(app);
    // The report is printed with console.error: keep it, out of the test output.
    const printed = t.mock.method(console, 'error', () => undefined);
    assert.throws(() => app.synth(), /Validation failed/);
    const text = printed.mock.calls.map((call) => call.arguments.join(' ')).join('\n');
    for (const id of PLANTED_FINDINGS) assert.ok(text.includes(id), `${id} is printed`);
    assert.deepEqual(reportedViolations(app.outdir), { AwsSolutions: plantedViolations });
  });

  test('addNagChecks lets an acknowledged finding pass', () => {
    const app = newApp();
    const stack = plantNagFinding(app);
    Validations.of(stack).acknowledge(
      ...PLANTED_FINDINGS.map((id) => ({ id, reason: 'planted on purpose to show that an acknowledgement works' })),
    );
    addNagChecks(app);
    assert.doesNotThrow(() => app.synth());
  });

  test('bin/app.ts runs cdk-nag: a finding planted in the real app fails it, and only that finding is reported', () => {
    // plant-nag-finding.ts adds the probe stack just before bin/app.ts synthesizes; the app's own stacks
    // must report nothing.
    const outdir = tempDir('app-nag');
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/plant-nag-finding.ts', 'bin/app.ts'], {
      cwd: INFRA_DIR,
      encoding: 'utf8',
      env: {
        ...process.env,
        LAMBDA_ASSET_DIR: stubAssetDir(),
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify(CDK_JSON_CONTEXT),
      },
    });
    assert.notEqual(result.status, 0, `bin/app.ts synthesized a stack with an unacknowledged finding\n${result.stderr}`);
    for (const id of PLANTED_FINDINGS) assert.ok(result.stderr.includes(id), `${id} is printed\n${result.stderr}`);
    assert.deepEqual(reportedViolations(outdir), { AwsSolutions: plantedViolations });
  });
});

for (const [name, options] of Object.entries(VARIANTS)) {
  describe(`cdk-nag AwsSolutions (${name})`, () => {
    test('as a Validations plugin: synthesis passes with no finding left unacknowledged', () => {
      const app = newApp();
      createStacks(app, options);
      addNagChecks(app);
      assert.doesNotThrow(() => app.synth());
      const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
      const violations = report.pluginReports.flatMap((r: any) => r.violations);
      assert.deepEqual(violations, []);
    });

    test('no error and no warning: every finding is acknowledged', () => {
      const app = newApp();
      createStacks(app, options);
      app.synth();
      const result = new AwsSolutionsChecks().validateScope(app);
      assert.deepEqual(
        result.violations.map((v) => `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath)}`),
        [],
      );
    });

    test('each acknowledgement names one finding that really occurs, with its reason', () => {
      // Build the app with acknowledgements recorded but not applied, and compare with the findings.
      const recorded: Array<{ path: string; id: string }> = [];
      const acknowledge = Validations.prototype.acknowledge;
      Validations.prototype.acknowledge = function (this: any, ...rules) {
        for (const rule of rules) recorded.push({ path: this.scope.node.path, id: rule.id });
      };
      let app: App;
      try {
        app = newApp();
        createStacks(app, options);
      } finally {
        Validations.prototype.acknowledge = acknowledge;
      }
      app.synth();
      const findings = new AwsSolutionsChecks().validateScope(app).violations.flatMap((v) =>
        v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })),
      );
      for (const ack of recorded) {
        assert.ok(
          findings.some((f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))),
          `stale acknowledgement ${ack.id} at ${ack.path}`,
        );
      }
      for (const f of findings) {
        assert.ok(
          recorded.some((a) => a.id === f.id && (f.path === a.path || f.path.startsWith(`${a.path}/`))),
          `unacknowledged ${f.id} at ${f.path}`,
        );
      }
    });

    test('the acknowledgements are exactly the documented ones, each with a reason', () => {
      const app = newApp();
      createStacks(app, options);
      const acks = acknowledgements(app);
      assert.deepEqual(acks.map((a) => `${a.path} ${a.id}`).sort(), acknowledgedFor(options));
      for (const a of acks) assert.ok(a.reason.length >= 40, `${a.id} at ${a.path} needs a reason`);
    });
  });
}
