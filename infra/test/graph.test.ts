import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import type { S3SizeMicroOptions } from '../lib/app';
import { synthesize } from './helpers';

const CHAIN = ['StorageStack', 'SizeTrackingLambdaStack', 'PlotLambdaStack', 'DriverLambdaStack'];

// The plot API's authorization changes what the driver reads from the plot stack (the key's id, the API's id).
const GRAPH_VARIANTS: Record<string, S3SizeMicroOptions> = {
  default: {},
  'apiAuth apiKey': { apiAuth: 'apiKey' },
  'apiAuth iam': { apiAuth: 'iam' },
};

for (const [variant, options] of Object.entries(GRAPH_VARIANTS)) {
  describe(`stack dependency graph (${variant})`, () => {
    const { app } = synthesize(options);
    const assembly = app.synth();
    const stacks = assembly.stacks;
    const dependsOn = (name: string): string[] =>
      assembly
        .getStackByName(name)
        .dependencies.filter((d) => d instanceof CloudFormationStackArtifact)
        .map((d) => d.id)
        .sort();

    test('the app has exactly the four stacks, in dependency order', () => {
      assert.deepEqual(
        stacks.map((s) => s.stackName),
        CHAIN,
      );
    });

    test('each stack depends on exactly these stacks', () => {
      assert.deepEqual(dependsOn('StorageStack'), []);
      assert.deepEqual(dependsOn('SizeTrackingLambdaStack'), ['StorageStack']);
      assert.deepEqual(dependsOn('PlotLambdaStack'), ['SizeTrackingLambdaStack', 'StorageStack']);
      assert.deepEqual(dependsOn('DriverLambdaStack'), ['PlotLambdaStack']);
    });

    test('no back edge: a stack depends only on stacks before it', () => {
      CHAIN.forEach((name, position) => {
        for (const dependency of dependsOn(name)) {
          assert.ok(CHAIN.indexOf(dependency) < position, `${name} -> ${dependency}`);
        }
      });
    });

    test('the transitive reduction is exactly the chain', () => {
      const reach = (from: string, seen = new Set<string>()): Set<string> => {
        for (const d of dependsOn(from)) if (!seen.has(d)) reach(d, seen.add(d));
        return seen;
      };
      const direct = CHAIN.flatMap((name) =>
        dependsOn(name)
          .filter((d) => !dependsOn(name).some((other) => other !== d && reach(other).has(d)))
          .map((d) => `${d} -> ${name}`),
      );
      assert.deepEqual(direct, [
        'StorageStack -> SizeTrackingLambdaStack',
        'SizeTrackingLambdaStack -> PlotLambdaStack',
        'PlotLambdaStack -> DriverLambdaStack',
      ]);
    });

    test('templates read outputs only from stacks they depend on', () => {
      for (const stack of stacks) {
        const referenced = new Set<string>();
        JSON.stringify(stack.template, (key, value) => {
          if (key === 'Fn::GetStackOutput') referenced.add(value.StackName);
          if (key === 'Fn::ImportValue') referenced.add(String(value).split(':')[0]);
          return value;
        });
        for (const producer of referenced) {
          assert.ok(dependsOn(stack.stackName).includes(producer), `${stack.stackName} reads ${producer}`);
        }
      }
    });

    test('every output a template reads is one its producer has', () => {
      for (const stack of stacks) {
        const read: Array<{ StackName: string; OutputName: string }> = [];
        JSON.stringify(stack.template, (key, value) => {
          if (key === 'Fn::GetStackOutput') read.push(value);
          return value;
        });
        for (const { StackName, OutputName } of read) {
          const outputs = Object.keys(assembly.getStackByName(StackName).template.Outputs ?? {});
          assert.ok(outputs.includes(OutputName), `${stack.stackName} reads ${StackName}:${OutputName}, which it does not output`);
        }
      }
    });
  });
}
