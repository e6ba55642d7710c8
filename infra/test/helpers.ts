import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createStacks, type S3SizeMicroOptions, type S3SizeMicroStacks } from '../lib/app';
import { RustFunction } from '../lib/rust-function';
import { writeStubAssets } from '../scripts/stub-assets';

export const INFRA_DIR = path.resolve(__dirname, '..');

/**
 * Every variant of the app a user can deploy: the default, data retained, the api on native lambda_http, the
 * api protected by each authorization (with a WAF rate limit and its concurrency bounded), and existing
 * buckets tracked beside the own one.
 */
export const VARIANTS: Record<string, S3SizeMicroOptions> = {
  'dev, web adapter': { dev: true },
  'retained, web adapter': { dev: false },
  'dev, native lambda_http': { dev: true, webAdapter: false },
  'dev, api key, WAF, api concurrency reserved': { dev: true, apiAuth: 'apiKey', wafRateLimit: 1000, apiReservedConcurrency: 10 },
  'dev, IAM authorization': { dev: true, apiAuth: 'iam' },
  'dev, two existing buckets tracked': { dev: true, trackedBuckets: ['bucket-a', 'logs.example-b'] },
};

/**
 * A file of `<repo>/contract/` as it is on disk, not as lib/ reads it: the tests compare what the app
 * synthesizes with the file itself.
 */
export function contractJson(file: 'functions.json' | 'dynamodb-tables.json' | 'metrics.json'): Json {
  return JSON.parse(fs.readFileSync(path.join(INFRA_DIR, '..', 'contract', file), 'utf8'));
}

/** The context of cdk.json (feature flags and defaults), so tests synthesize what the CLI does. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(INFRA_DIR, 'cdk.json'), 'utf8'),
).context;

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `s3-size-micro-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

let stubDir: string | undefined;
/** One directory of stub zips per test process; never the real target/lambda. */
export function stubAssetDir(): string {
  stubDir ??= writeStubAssets(tempDir('stub-lambda'));
  return stubDir;
}

export function newApp(context: Record<string, unknown> = {}): App {
  return new App({
    builtinCloudFormationValidation: false,
    outdir: tempDir('cdk-out'),
    context: { ...CDK_JSON_CONTEXT, lambdaAssetDir: stubAssetDir(), ...context },
  });
}

export interface Synthesized {
  readonly app: App;
  readonly stacks: S3SizeMicroStacks;
  readonly storage: Template;
  readonly tracking: Template;
  readonly plot: Template;
  readonly driver: Template;
}

export function synthesize(options: S3SizeMicroOptions = {}): Synthesized {
  const app = newApp();
  const stacks = createStacks(app, options);
  return {
    app,
    stacks,
    storage: Template.fromStack(stacks.storage),
    tracking: Template.fromStack(stacks.tracking),
    plot: Template.fromStack(stacks.plot),
    driver: Template.fromStack(stacks.driver),
  };
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A CloudFormation value as one readable string, the way cdk-nag prints it: `{Ref: X}` is `<X>`,
 * `{Fn::GetAtt: [L, A]}` is `<L.A>`, a join is its parts, `${X}` in a Fn::Sub is `<X>`, and a value read from another stack is
 * `<Stack:Output>`.
 */
export function flat(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    if (typeof value.Ref === 'string') return `<${value.Ref}>`;
    if (Array.isArray(value['Fn::GetAtt'])) return `<${value['Fn::GetAtt'].join('.')}>`;
    if (Array.isArray(value['Fn::Join'])) return value['Fn::Join'][1].map(flat).join(value['Fn::Join'][0]);
    if (value['Fn::GetStackOutput']) {
      const ref = value['Fn::GetStackOutput'];
      return `<${ref.StackName}:${ref.OutputName}>`;
    }
    if (typeof value['Fn::Sub'] === 'string') return value['Fn::Sub'].replace(/\$\{([\w:.]+)\}/g, '<$1>');
    if (value['Fn::ImportValue']) return `<import:${flat(value['Fn::ImportValue'])}>`;
  }
  return JSON.stringify(value);
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export interface Statement {
  readonly sid?: string;
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  /** Logical id of the policy or role that holds the statement. */
  readonly holder: string;
  readonly condition?: Json;
}

/** Every statement of every identity policy (inline role policies and AWS::IAM::Policy) in a template. */
export function identityStatements(template: Template): Statement[] {
  const statements: Statement[] = [];
  const add = (holder: string, document: Json) => {
    for (const s of asArray<Json>(document?.Statement)) {
      statements.push({
        sid: s.Sid,
        effect: s.Effect,
        actions: asArray<string>(s.Action).slice().sort(),
        resources: asArray<Json>(s.Resource).map(flat),
        holder,
        condition: s.Condition,
      });
    }
  };
  for (const [id, policy] of Object.entries<Json>(template.findResources('AWS::IAM::Policy'))) {
    add(id, policy.Properties.PolicyDocument);
  }
  for (const [id, policy] of Object.entries<Json>(template.findResources('AWS::IAM::ManagedPolicy'))) {
    add(id, policy.Properties.PolicyDocument);
  }
  for (const [id, role] of Object.entries<Json>(template.findResources('AWS::IAM::Role'))) {
    for (const inline of asArray<Json>(role.Properties.Policies)) add(id, inline.PolicyDocument);
  }
  return statements;
}

/** The statements of the policies attached to one role. */
export function roleStatements(template: Template, stack: Stack, role: { node: { defaultChild?: unknown } }): Statement[] {
  const roleId = stack.getLogicalId(role.node.defaultChild as never);
  const holders = new Set<string>([roleId]);
  for (const [id, policy] of Object.entries<Json>(template.findResources('AWS::IAM::Policy'))) {
    if (asArray<Json>(policy.Properties.Roles).some((r) => r.Ref === roleId)) holders.add(id);
  }
  return identityStatements(template).filter((s) => holders.has(s.holder));
}

export function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

export const BUCKET_ARN = 'arn:<AWS::Partition>:s3:::s3-size-micro-<AWS::AccountId>-<AWS::Region>';
export const BUCKET_NAME = 's3-size-micro-<AWS::AccountId>-<AWS::Region>';

/**
 * Replaces each `<Stack:Output>` (a value read from another stack) with that output's value in the
 * producing stack, so a reference reads as what it points at, e.g. `<SizeHistory56A4C369.Arn>`.
 */
export function deref(value: string, synthesized: Synthesized): string {
  const templates: Record<string, Template> = {
    StorageStack: synthesized.storage,
    SizeTrackingLambdaStack: synthesized.tracking,
    PlotLambdaStack: synthesized.plot,
    DriverLambdaStack: synthesized.driver,
  };
  return value.replace(/<(\w+):(\w+)>/g, (whole, stackName: string, output: string) => {
    const outputs = templates[stackName]?.toJSON().Outputs ?? {};
    return output in outputs ? flat(outputs[output].Value) : whole;
  });
}

export interface DeployedFunction {
  readonly construct: RustFunction;
  readonly stack: Stack;
  readonly template: Template;
  /** The synthesized AWS::Lambda::Function resource. */
  readonly resource: Json;
}

/** Every RustFunction of the app, found in the construct tree (so none is left out by a list here). */
export function deployedFunctions(synthesized: Synthesized): DeployedFunction[] {
  const templates = new Map<Stack, Template>([
    [synthesized.stacks.storage, synthesized.storage],
    [synthesized.stacks.tracking, synthesized.tracking],
    [synthesized.stacks.plot, synthesized.plot],
    [synthesized.stacks.driver, synthesized.driver],
  ]);
  return synthesized.app.node
    .findAll()
    .filter((c): c is RustFunction => c instanceof RustFunction)
    .map((construct) => {
      const stack = Stack.of(construct);
      const template = templates.get(stack);
      if (!template) throw new Error(`${construct.node.path} is in no stack of the app`);
      return { construct, stack, template, resource: template.toJSON().Resources[logicalIdOf(stack, construct.function)] };
    });
}

/** The one resource of a type whose logical id starts with `prefix`. */
export function resourceNamed(template: Template, type: string, prefix: string): { id: string; resource: Json } {
  const matches = Object.entries<Json>(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} named ${prefix}*, found ${matches.map(([id]) => id).join(', ') || 'none'}`);
  }
  return { id: matches[0][0], resource: matches[0][1] };
}
