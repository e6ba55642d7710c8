import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { asArray, BUCKET_ARN, flat, identityStatements, logicalIdOf, synthesize, type Synthesized } from './helpers';

/** Every variant of the app a user can deploy. */
const variants: Record<string, Synthesized> = {
  'dev, web adapter': synthesize({ dev: true }),
  'retained, web adapter': synthesize({ dev: false }),
  'dev, native lambda_http': synthesize({ dev: true, webAdapter: false }),
};

const templatesOf = (s: Synthesized): Record<string, Template> => ({
  StorageStack: s.storage,
  SizeTrackingLambdaStack: s.tracking,
  PlotLambdaStack: s.plot,
  DriverLambdaStack: s.driver,
});

/** The only wildcard resources granted anywhere: object keys, scoped to the bucket (and plots/ for the api). */
const NAMED_WILDCARDS = [`${BUCKET_ARN}/plots/*`, `${BUCKET_ARN}/*`];

for (const [name, synthesized] of Object.entries(variants)) {
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

    test('no identity statement grants resource * or a wildcard beyond the named object keys', () => {
      for (const [stackName, template] of Object.entries(templates)) {
        for (const s of identityStatements(template)) {
          for (const resource of s.resources) {
            assert.notEqual(resource, '*', `${stackName}/${s.holder}`);
            if (resource.includes('*')) {
              assert.ok(NAMED_WILDCARDS.includes(resource), `${stackName}/${s.holder} grants ${resource}`);
            }
          }
        }
      }
    });

    test('every identity statement belongs to one of the three functions, and is an Allow without conditions', () => {
      const { stacks } = synthesized;
      const functionRoles: Record<string, string> = {
        SizeTrackingLambdaStack: logicalIdOf(stacks.tracking, stacks.tracking.tracker.role),
        PlotLambdaStack: logicalIdOf(stacks.plot, stacks.plot.api.role),
        DriverLambdaStack: logicalIdOf(stacks.driver, stacks.driver.driver.role),
      };
      for (const [stackName, template] of Object.entries(templates)) {
        const policies = template.findResources('AWS::IAM::Policy');
        for (const s of identityStatements(template)) {
          const roles = asArray<any>(policies[s.holder]?.Properties.Roles).map((r) => r.Ref);
          assert.deepEqual(roles, [functionRoles[stackName]], `${stackName}/${s.holder}`);
          assert.equal(s.effect, 'Allow');
          assert.equal(s.condition, undefined);
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
