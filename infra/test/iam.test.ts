import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import type { S3SizeMicroOptions } from '../lib/app';
import { RESOLVABLE_RESOURCES } from '../lib/grants';
import {
  asArray,
  BUCKET_ARN,
  contractJson,
  deployedFunctions,
  deref,
  flat,
  identityStatements,
  logicalIdOf,
  roleStatements,
  synthesize,
  type Synthesized,
  VARIANTS,
} from './helpers';

const templatesOf = (s: Synthesized): Record<string, Template> => ({
  StorageStack: s.storage,
  SizeTrackingLambdaStack: s.tracking,
  PlotLambdaStack: s.plot,
  DriverLambdaStack: s.driver,
});

/** The ARN of a bucket named in trackedBuckets, as the templates read it. */
const trackedBucketArn = (name: string) => `arn:<AWS::Partition>:s3:::${name}`;

/** Every bucket the functions may touch: the stack's own, then each of trackedBuckets. */
const bucketArnsOf = (options: S3SizeMicroOptions) => [BUCKET_ARN, ...(options.trackedBuckets ?? []).map(trackedBucketArn)];

/** The stage dev's GET methods of the plot API, as the driver's policy reads them once dereferenced. */
const getMethodsArn = (s: Synthesized) =>
  `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${logicalIdOf(s.stacks.plot, s.stacks.plot.restApi)}>/dev/GET/*`;

/**
 * The only wildcard resources granted anywhere: object keys, scoped to the own bucket (and plots/ for the api)
 * or to a tracked bucket, and (apiAuth iam) the paths of the plot API's GET methods on stage dev.
 */
const namedWildcards = (s: Synthesized, options: S3SizeMicroOptions) => [
  `${BUCKET_ARN}/plots/*`,
  ...bucketArnsOf(options).map((arn) => `${arn}/*`),
  ...(options.apiAuth === 'iam' ? [getMethodsArn(s)] : []),
];

interface ContractCall {
  operation: string;
  actions: string[];
  resources: string[];
  /** `apiAuth=<mode>`: made only in a deployment with that option. */
  when?: string;
}
const functionsJson = contractJson('functions.json');
const allCalls: Record<string, ContractCall[]> = Object.fromEntries(
  Object.entries<any>(functionsJson.functions).map(([name, fn]) => [name, fn.calls]),
);

/**
 * The calls a deployment with `options` makes: those without `when`, and those whose `when` its options
 * satisfy (read here from the file's text, not by lib/function-contract.ts, which is under test).
 */
function callsOf(options: S3SizeMicroOptions): Record<string, ContractCall[]> {
  const chosen: Record<string, string> = { apiAuth: options.apiAuth ?? 'none' };
  const applies = (call: ContractCall) => {
    if (call.when === undefined) return true;
    const [option, value] = call.when.split('=');
    if (!(option in chosen)) throw new Error(`the test does not know the option of when: ${call.when}`);
    return chosen[option] === value;
  };
  return Object.fromEntries(Object.entries(allCalls).map(([name, list]) => [name, list.filter(applies)]));
}
const historyGsi: string = contractJson('dynamodb-tables.json').history.globalSecondaryIndexes[0].name;

/** One action on one resource, under a condition or none: what an identity policy grants, atom by atom. */
const grant = (action: string, resource: string, condition?: unknown) =>
  `${action} on ${resource}${condition === undefined ? '' : ` if ${JSON.stringify(condition)}`}`;

/**
 * The symbolic resources of contract/functions.json as they read in the synthesized templates (see its
 * `resources` section), written out here rather than taken from lib/grants.ts, which is under test.
 */
function contractResources(s: Synthesized, options: S3SizeMicroOptions): Record<string, { arns: string[]; condition?: unknown }> {
  const history = `<${logicalIdOf(s.stacks.storage, s.stacks.storage.historyTable)}.Arn>`;
  const buckets = bucketArnsOf(options);
  return {
    indexTable: { arns: [`<${logicalIdOf(s.stacks.storage, s.stacks.storage.indexTable)}.Arn>`] },
    historyTable: { arns: [history] },
    historyGsi: { arns: [`${history}/index/${historyGsi}`] },
    bucket: { arns: [BUCKET_ARN] },
    bucketPlotsPrefix: { arns: [BUCKET_ARN], condition: { StringLike: { 's3:prefix': 'plots/*' } } },
    bucketObjects: { arns: [`${BUCKET_ARN}/*`] },
    plotObjects: { arns: [`${BUCKET_ARN}/plots/*`] },
    trackedBuckets: { arns: buckets },
    trackedObjects: { arns: buckets.map((arn) => `${arn}/*`) },
    // Only where the plot API has them: a call needing them elsewhere fails the test.
    ...(s.stacks.plot.apiKeyAccess !== undefined && {
      plotApiKey: { arns: [`arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/<${logicalIdOf(s.stacks.plot, s.stacks.plot.apiKeyAccess.key)}>`] },
    }),
    ...(options.apiAuth === 'iam' && { plotApiGetMethods: { arns: [getMethodsArn(s)] } }),
  };
}

describe('IAM grants from contract/functions.json', () => {
  test('every resource the contract describes is one lib/grants.ts resolves, and no other', () => {
    assert.deepEqual([...RESOLVABLE_RESOURCES].sort(), Object.keys(functionsJson.resources).sort());
  });

  test('the variants cover every value of each option a call depends on, the option\'s default (none) among them', () => {
    const modes = new Set(Object.values(VARIANTS).map((o) => `apiAuth=${o.apiAuth ?? 'none'}`));
    const whens = Object.values(allCalls).flatMap((list) => list.flatMap((call) => (call.when === undefined ? [] : [call.when])));
    assert.ok(whens.length > 0, 'the contract has calls with when');
    for (const when of whens) assert.ok(modes.has(when), `no variant with ${when}`);
    assert.ok(modes.has('apiAuth=none'));
  });
});

for (const [name, options] of Object.entries(VARIANTS)) {
  const synthesized = synthesize(options);

  describe(`each function's grants are its calls in contract/functions.json (${name})`, () => {
    const calls = callsOf(options);
    const resources = contractResources(synthesized, options);
    const bucketArns = bucketArnsOf(options);
    const resolve = (resource: string) => {
      const resolved = resources[resource];
      if (!resolved) throw new Error(`the test does not know the contract resource ${resource}`);
      return resolved;
    };

    for (const { construct, stack, template } of deployedFunctions(synthesized)) {
      const fn = construct.contract.name;
      const granted = new Set(
        roleStatements(template, stack, construct.role).flatMap((s) => {
          assert.equal(s.effect, 'Allow', `${fn}: ${s.sid}`);
          return s.actions.flatMap((action) => s.resources.map((r) => grant(action, deref(r, synthesized), s.condition)));
        }),
      );
      // What the Lambda service does with the function's role, not the binary: write its logs, and (the
      // tracker) poll the queue of its event source mapping. These are the SQS event source's grants
      // (aws-cdk-lib's SqsEventSource: Lambda's documented ReceiveMessage, DeleteMessage,
      // GetQueueAttributes, and ChangeMessageVisibility, GetQueueUrl), written out here, not taken from it.
      const platform = new Set([
        grant('logs:CreateLogStream', `<${logicalIdOf(stack, construct.logGroup)}.Arn>`),
        grant('logs:PutLogEvents', `<${logicalIdOf(stack, construct.logGroup)}.Arn>`),
        ...Object.values<any>(template.findResources('AWS::Lambda::EventSourceMapping'))
          .filter((mapping) => mapping.Properties.FunctionName.Ref === logicalIdOf(stack, construct.function))
          .flatMap((mapping) =>
            [
              'sqs:ChangeMessageVisibility',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:GetQueueUrl',
              'sqs:ReceiveMessage',
            ].map((action) => grant(action, flat(mapping.Properties.EventSourceArn))),
          ),
      ]);
      const fromCalls = [...granted].filter((g) => !platform.has(g));

      test(`${fn}: writes its own log group (and the tracker consumes its events queue), as the Lambda service needs`, () => {
        assert.deepEqual([...platform].filter((g) => !granted.has(g)), []);
        if (fn === 'tracker') {
          const queue = `<${logicalIdOf(stack, synthesized.stacks.tracking.eventsQueue)}.Arn>`;
          assert.ok(platform.has(grant('sqs:ReceiveMessage', queue)), 'the tracker has an event source mapping on its events queue');
        }
      });

      test(`${fn}: no grant that none of its calls needs`, () => {
        const needed = (g: string) =>
          calls[fn].some((call) =>
            call.actions.some((action) =>
              call.resources.some((r) => resolve(r).arns.some((arn) => grant(action, arn, resolve(r).condition) === g)),
            ),
          );
        assert.deepEqual(fromCalls.filter((g) => !needed(g)), [], 'granted, but no call in the contract needs it');
      });

      test(`${fn}: every call is granted: each of its actions on one of its resources, each resource for one of its actions`, () => {
        // A resource of several ARNs (trackedBuckets) is granted when each of its ARNs is.
        const has = (action: string, resource: string) =>
          resolve(resource).arns.every((arn) => granted.has(grant(action, arn, resolve(resource).condition)));
        const missing = calls[fn].flatMap((call) => [
          ...call.actions
            .filter((action) => !call.resources.some((r) => has(action, r)))
            .map((action) => `${call.operation}: ${action} on none of ${call.resources.join(', ')}`),
          ...call.resources
            .filter((r) => !call.actions.some((action) => has(action, r)))
            .map((r) => `${call.operation}: none of ${call.actions.join(', ')} on ${r}`),
        ]);
        assert.deepEqual(missing, [], 'a call the contract lists is not granted');
      });

      test(`${fn}: no action of a call made only under another option (when) is granted`, () => {
        const made = new Set(calls[fn].flatMap((call) => call.actions));
        const elsewhere = allCalls[fn]
          .filter((call) => !calls[fn].includes(call))
          .flatMap((call) => call.actions)
          .filter((action) => !made.has(action));
        assert.deepEqual(fromCalls.filter((g) => elsewhere.includes(g.split(' ')[0])), []);
      });

      test(`${fn}: each action only on the kind of resource it applies to (bucket, object, table, index)`, () => {
        const wrong = fromCalls.filter((g) => {
          const [action, , resource] = g.split(' ');
          const isObject = bucketArns.some((arn) => resource.startsWith(`${arn}/`));
          if (action === 's3:ListBucket' || action === 's3:ListBucketVersions') return !bucketArns.includes(resource);
          if (action.startsWith('s3:')) return !isObject;
          if (action === 'apigateway:GET') return !/^arn:<AWS::Partition>:apigateway:<AWS::Region>::\/apikeys\/<\w+>$/.test(resource);
          if (action === 'execute-api:Invoke') return !resource.startsWith('arn:<AWS::Partition>:execute-api:');
          return resource.includes('/index/') && action !== 'dynamodb:Query';
        });
        assert.deepEqual(wrong, []);
      });
    }
  });

  describe(`least privilege (${name})`, () => {
    const templates = templatesOf(synthesized);

    test('no identity statement grants s3:*, dynamodb:*, * or any wildcard action', () => {
      for (const [stackName, template] of Object.entries(templates)) {
        for (const s of identityStatements(template)) {
          for (const action of s.actions) {
            assert.ok(!action.includes('*'), `${stackName}/${s.holder} grants ${action}`);
          }
        }
      }
    });

    test('no identity statement grants resource * or a wildcard beyond the named object keys and the plot API\'s GET methods', () => {
      for (const [stackName, template] of Object.entries(templates)) {
        for (const s of identityStatements(template)) {
          for (const resource of s.resources.map((r) => deref(r, synthesized))) {
            assert.notEqual(resource, '*', `${stackName}/${s.holder}`);
            if (resource.includes('*')) {
              assert.ok(namedWildcards(synthesized, options).includes(resource), `${stackName}/${s.holder} grants ${resource}`);
            }
          }
        }
      }
    });

    test('every identity statement belongs to the role of a function or of the schedule that invokes one, and is an Allow', () => {
      // Conditions are the contract's (bucketPlotsPrefix): the grants tests above compare them.
      const { stacks } = synthesized;
      const roles: Record<string, string[]> = {
        SizeTrackingLambdaStack: [
          logicalIdOf(stacks.tracking, stacks.tracking.tracker.role),
          logicalIdOf(stacks.tracking, stacks.tracking.reconcile.function.role),
          logicalIdOf(stacks.tracking, stacks.tracking.reconcile.schedulerRole),
        ],
        PlotLambdaStack: [logicalIdOf(stacks.plot, stacks.plot.api.role)],
        DriverLambdaStack: [logicalIdOf(stacks.driver, stacks.driver.driver.role)],
      };
      for (const [stackName, template] of Object.entries(templates)) {
        const policies = template.findResources('AWS::IAM::Policy');
        for (const s of identityStatements(template)) {
          const holders = asArray<any>(policies[s.holder]?.Properties.Roles).map((r) => r.Ref);
          assert.equal(holders.length, 1, `${stackName}/${s.holder}`);
          assert.ok((roles[stackName] ?? []).includes(holders[0]), `${stackName}/${s.holder}: ${holders[0]}`);
          assert.equal(s.effect, 'Allow');
        }
      }
    });

    test('function roles carry no managed policy; the others only the AWS policies their service needs', () => {
      const allowed = new Set([
        // API Gateway's account-level logging role (access and execution logs).
        'arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
        // The handler that empties dev buckets on delete (aws-cdk-lib's auto-delete provider).
        'arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      ]);
      for (const template of Object.values(templates)) {
        for (const [id, role] of Object.entries<any>(template.findResources('AWS::IAM::Role'))) {
          const managed = asArray<any>(role.Properties.ManagedPolicyArns).map(flat);
          if (/^(Tracker|Api|Driver)Role/.test(id)) assert.deepEqual(managed, [], id);
          for (const arn of managed) assert.ok(allowed.has(arn), `${id}: ${arn}`);
        }
      }
    });

    test('resource policies allow no one everything: Allow never with s3:*, sqs:* or *, nor to principal *', () => {
      for (const template of Object.values(templates)) {
        for (const type of ['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy']) {
          for (const policy of Object.values<any>(template.findResources(type))) {
            for (const s of policy.Properties.PolicyDocument.Statement) {
              if (s.Effect !== 'Allow') continue;
              for (const action of asArray<string>(s.Action)) assert.ok(!['*', 's3:*', 'sqs:*'].includes(action), action);
              assert.notEqual(s.Principal, '*');
              assert.notEqual(s.Principal?.AWS, '*');
            }
          }
        }
      }
    });
  });
}
