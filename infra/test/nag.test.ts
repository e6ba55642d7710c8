import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createStacks, type S3SizeMicroOptions } from '../lib/app';
import { newApp } from './helpers';

const variants: Record<string, S3SizeMicroOptions> = {
  'dev, web adapter': { dev: true },
  'retained, web adapter': { dev: false },
  'dev, native lambda_http': { dev: true, webAdapter: false },
};

/** Every acknowledged cdk-nag finding: construct path, finding id. Each has a reason in the code. */
const ACKNOWLEDGED = [
  ['SizeTrackingLambdaStack/TrackerFailures', 'AwsSolutions-SQS3'],
  ['PlotLambdaStack/Api/Role', 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::s3-size-micro-<AWS::AccountId>-<AWS::Region>/plots/*]'],
  ['PlotLambdaStack/PlotApi', 'AwsSolutions-APIG2'],
  ['PlotLambdaStack/PlotApi/Default', 'AwsSolutions-APIG4'],
  ['PlotLambdaStack/PlotApi/Default', 'AwsSolutions-COG4'],
  ['PlotLambdaStack/PlotApi/DeploymentStage.dev', 'AwsSolutions-APIG3'],
  ['PlotLambdaStack/PlotApi/CloudWatchRole', 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]'],
  ['DriverLambdaStack/Driver/Role', 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::s3-size-micro-<AWS::AccountId>-<AWS::Region>/*]'],
].map(([at, id]) => `${at} ${id}`).sort();

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

for (const [name, options] of Object.entries(variants)) {
  describe(`cdk-nag AwsSolutions (${name})`, () => {
    test('as a Validations plugin: synthesis passes with no finding left unacknowledged', () => {
      const app = newApp();
      createStacks(app, options);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
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
      assert.deepEqual(acks.map((a) => `${a.path} ${a.id}`).sort(), ACKNOWLEDGED);
      for (const a of acks) assert.ok(a.reason.length >= 40, `${a.id} at ${a.path} needs a reason`);
    });
  });
}
