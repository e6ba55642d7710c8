import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { API_STAGE, HISTORY_GSI, PLOTS_PREFIX } from './constants';
import {
  type CallContract,
  CONTRACT_RESOURCES,
  type DeploymentOptions,
  type FunctionContract,
} from './function-contract';

/**
 * A function's IAM grants, derived from its `calls` in contract/functions.json: each symbolic resource
 * a call names gets the call's actions that apply to it, and nothing else is granted. So a call the Rust
 * code stops making loses its grant, and a new call gets one, by editing the contract alone. A call with
 * `when` (`apiAuth=iam`) is granted only where the deployment's options (DeploymentOptions) satisfy it.
 */

/** The ARNs a stack holds; a function whose calls name a resource its stack did not pass fails synthesis. */
export interface ResourceArns {
  readonly indexTableArn?: string;
  readonly historyTableArn?: string;
  /** The stack's own bucket: the driver's and the api's. */
  readonly bucketArn?: string;
  /** The buckets the tracker and reconcile apply and walk: the stack's own, then each of `trackedBuckets`. */
  readonly trackedBucketArns?: readonly string[];
  /** The plot API's key (apiAuth apiKey), as the stack that reads it sees it: the driver's. */
  readonly plotApiKey?: apigw.IApiKey;
  /** The plot API (apiAuth iam), as the stack that calls it sees it: the driver's. */
  readonly plotApi?: apigw.IRestApi;
}

type ResourceType =
  | 'dynamodb:table'
  | 'dynamodb:index'
  | 's3:bucket'
  | 's3:object'
  | 'apigateway:apikey'
  | 'execute-api:method';

/**
 * The resource types each action the contract uses can be granted on (AWS's Service Authorization
 * Reference). A call lists its actions and its resources together, e.g. HeadObject needs s3:GetObject
 * on the object and s3:ListBucket on the bucket: this table pairs them, so no action is granted on a
 * resource it cannot apply to. An action missing here fails synthesis until it is added.
 */
const ACTION_RESOURCE_TYPES: Readonly<Record<string, readonly ResourceType[]>> = {
  'dynamodb:BatchGetItem': ['dynamodb:table'],
  'dynamodb:BatchWriteItem': ['dynamodb:table'],
  'dynamodb:DeleteItem': ['dynamodb:table'],
  'dynamodb:GetItem': ['dynamodb:table'],
  'dynamodb:PutItem': ['dynamodb:table'],
  'dynamodb:UpdateItem': ['dynamodb:table'],
  'dynamodb:Query': ['dynamodb:table', 'dynamodb:index'],
  's3:GetObject': ['s3:object'],
  's3:PutObject': ['s3:object'],
  's3:DeleteObject': ['s3:object'],
  's3:ListBucket': ['s3:bucket'],
  's3:ListBucketVersions': ['s3:bucket'],
  // API Gateway's management API: GET on a key (GetApiKey) is the ApiKey resource type.
  'apigateway:GET': ['apigateway:apikey'],
  // Calling a deployed API: a method on a stage (execute-api-general).
  'execute-api:Invoke': ['execute-api:method'],
};

interface ResolvedResource {
  /** One or more ARNs of one type, granted in one statement. */
  readonly arns: readonly string[];
  readonly type: ResourceType;
  readonly conditions?: Record<string, Record<string, string>>;
  /**
   * For a resource with a wildcard: why that wildcard is as narrow as it can be (the cdk-nag acknowledgement,
   * one per ARN).
   */
  readonly wildcardReason?: string;
}

/** How each symbolic resource of contract/functions.json (its `resources` section) reads in a stack. */
const RESOLVERS: Readonly<Record<string, (arns: ResourceArns) => ResolvedResource>> = {
  indexTable: (arns) => ({ arns: [need(arns, 'indexTableArn')], type: 'dynamodb:table' }),
  historyTable: (arns) => ({ arns: [need(arns, 'historyTableArn')], type: 'dynamodb:table' }),
  historyGsi: (arns) => ({ arns: [`${need(arns, 'historyTableArn')}/index/${HISTORY_GSI}`], type: 'dynamodb:index' }),
  bucket: (arns) => ({ arns: [need(arns, 'bucketArn')], type: 's3:bucket' }),
  bucketPlotsPrefix: (arns) => ({
    arns: [need(arns, 'bucketArn')],
    type: 's3:bucket',
    conditions: { StringLike: { 's3:prefix': `${PLOTS_PREFIX}*` } },
  }),
  bucketObjects: (arns) => ({
    arns: [`${need(arns, 'bucketArn')}/*`],
    type: 's3:object',
    wildcardReason: 'the keys are chosen at run time, so a key wildcard within the one bucket is the narrowest grant',
  }),
  plotObjects: (arns) => ({
    arns: [`${need(arns, 'bucketArn')}/${PLOTS_PREFIX}*`],
    type: 's3:object',
    wildcardReason: `limited to keys under ${PLOTS_PREFIX}, which the tracker never counts`,
  }),
  trackedBuckets: (arns) => ({ arns: needSome(arns, 'trackedBucketArns'), type: 's3:bucket' }),
  trackedObjects: (arns) => ({
    arns: needSome(arns, 'trackedBucketArns').map((arn) => `${arn}/*`),
    type: 's3:object',
    wildcardReason:
      'the keys are known only from the events and listings at run time, so a key wildcard within each tracked bucket, ' +
      'named one by one, is the narrowest grant',
  }),
  plotApiKey: (arns) => ({ arns: [needOne(arns, 'plotApiKey').keyArn], type: 'apigateway:apikey' }),
  plotApiGetMethods: (arns) => ({
    arns: [needOne(arns, 'plotApi').arnForExecuteApi('GET', '/*', API_STAGE)],
    type: 'execute-api:method',
    wildcardReason:
      `limited to GET on stage ${API_STAGE} of the one API; the path wildcard stands for the paths the driver requests ` +
      '(/healthz, /plot, /window and their query strings), all served by the one proxy method',
  }),
};

/** The symbolic resources this module can resolve (a test holds them to the contract's `resources`). */
export const RESOLVABLE_RESOURCES: readonly string[] = Object.keys(RESOLVERS);

function need(arns: ResourceArns, key: 'indexTableArn' | 'historyTableArn' | 'bucketArn'): string {
  const arn = arns[key];
  if (arn === undefined) throw new Error(`the contract's calls need ${key}, which the function's stack did not pass`);
  return arn;
}

function needSome(arns: ResourceArns, key: 'trackedBucketArns'): readonly string[] {
  const list = arns[key];
  if (list === undefined || list.length === 0) {
    throw new Error(`the contract's calls need ${key}, which the function's stack did not pass`);
  }
  return list;
}

function needOne<K extends 'plotApiKey' | 'plotApi'>(arns: ResourceArns, key: K): NonNullable<ResourceArns[K]> {
  const value = arns[key];
  if (value === undefined) throw new Error(`the contract's calls need ${key}, which the function's stack did not pass`);
  return value as NonNullable<ResourceArns[K]>;
}

/**
 * Whether `call` is made in a deployment with `options`: always without `when`, else only where its option
 * has its value. A `when` on an option the function's stack did not pass fails synthesis.
 */
export function callApplies(contract: FunctionContract, call: CallContract, options: DeploymentOptions): boolean {
  if (call.when === undefined) return true;
  const { option, value } = call.when;
  const chosen = options[option];
  if (chosen === undefined) {
    throw new Error(
      `contract/functions.json: ${contract.name} ${call.operation} is made only with ${option}=${value}, ` +
        `and the function's stack did not pass ${option}`,
    );
  }
  return chosen === value;
}

/** One resource's grant: the actions on it and the operations that need them. */
export interface Grant {
  /** The symbolic resource, e.g. `plotObjects`. */
  readonly resource: string;
  readonly actions: readonly string[];
  readonly operations: readonly string[];
  readonly resolved: ResolvedResource;
}

/**
 * The grants `contract`'s calls need in a deployment with `options` (a call with `when` only where they
 * satisfy it), one per symbolic resource, in the order the calls first name them.
 */
export function grantsFor(contract: FunctionContract, arns: ResourceArns, options: DeploymentOptions = {}): Grant[] {
  const grants = new Map<string, { actions: Set<string>; operations: Set<string>; resolved: ResolvedResource }>();
  const where = (operation: string) => `contract/functions.json: ${contract.name} ${operation}`;
  for (const call of contract.calls.filter((c) => callApplies(contract, c, options))) {
    const resolved = call.resources.map((resource) => {
      const resolve = RESOLVERS[resource];
      if (!resolve) throw new Error(`${where(call.operation)}: lib/grants.ts cannot resolve the resource ${resource}`);
      try {
        return { resource, resolved: resolve(arns) };
      } catch (error) {
        throw new Error(`${where(call.operation)}: ${resource}: ${(error as Error).message}`);
      }
    });
    const appliesTo = (action: string, type: ResourceType) => {
      const types = ACTION_RESOURCE_TYPES[action];
      if (!types) throw new Error(`${where(call.operation)}: add ${action} to ACTION_RESOURCE_TYPES in lib/grants.ts`);
      return types.includes(type);
    };
    for (const action of call.actions) {
      if (!resolved.some((r) => appliesTo(action, r.resolved.type))) {
        throw new Error(`${where(call.operation)}: ${action} applies to none of ${call.resources.join(', ')}`);
      }
    }
    for (const { resource, resolved: target } of resolved) {
      const actions = call.actions.filter((action) => appliesTo(action, target.type));
      if (actions.length === 0) {
        throw new Error(`${where(call.operation)}: none of ${call.actions.join(', ')} applies to ${resource}`);
      }
      const grant = grants.get(resource) ?? { actions: new Set(), operations: new Set(), resolved: target };
      actions.forEach((action) => grant.actions.add(action));
      grant.operations.add(call.operation);
      grants.set(resource, grant);
    }
  }
  return [...grants].map(([resource, grant]) => ({
    resource,
    actions: [...grant.actions].sort(),
    operations: [...grant.operations],
    resolved: grant.resolved,
  }));
}

/** One statement per grant, its Sid the resource's name (`PlotObjects`), so a policy reads like the contract. */
export function policyStatement(grant: Grant): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: grant.resource.charAt(0).toUpperCase() + grant.resource.slice(1),
    actions: [...grant.actions],
    resources: [...grant.resolved.arns],
    conditions: grant.resolved.conditions,
  });
}

/** The cdk-nag acknowledgement a wildcard grant needs, in words taken from the contract; undefined without a wildcard. */
export function wildcardReason(contract: FunctionContract, grant: Grant): string | undefined {
  const why = grant.resolved.wildcardReason;
  if (why === undefined) return undefined;
  return (
    `The ${contract.name} function's ${grant.operations.join(', ')} (contract/functions.json) act on ` +
    `${CONTRACT_RESOURCES[grant.resource]}: ${why}.`
  );
}
