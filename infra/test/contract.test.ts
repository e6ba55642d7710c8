import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { environmentProblems } from '../lib/environment';
import { functionContract, type FunctionContract, FUNCTIONS, parseFunctions } from '../lib/function-contract';
import { grantsFor } from '../lib/grants';
import { RustFunction } from '../lib/rust-function';
import { parseTables, TABLES } from '../lib/table-contract';
import { contractJson, flat, newApp } from './helpers';

/** A copy of a contract file's content with one change, for the refusals below. */
function edited(file: 'functions.json' | 'dynamodb-tables.json', change: (json: any) => void): unknown {
  const json = contractJson(file);
  change(json);
  return json;
}

describe('contract/ as lib/ reads it', () => {
  test('both files read as they are on disk (documentation left out: $comment, why, null for none)', () => {
    const { functions } = contractJson('functions.json');
    for (const fn of Object.values<any>(functions)) {
      for (const call of fn.calls) {
        delete call.why;
        if (call.when !== undefined) {
          const [option, value] = call.when.split('=');
          call.when = { option, value };
        }
      }
    }
    assert.deepEqual(Object.fromEntries(FUNCTIONS.map(({ name, ...fn }) => [name, fn])), functions);

    const { $comment, ...tables } = contractJson('dynamodb-tables.json');
    for (const table of Object.values<any>(tables)) if (table.timeToLiveAttribute === null) delete table.timeToLiveAttribute;
    assert.deepEqual(JSON.parse(JSON.stringify(TABLES)), tables);
  });

  test('a call naming a resource the file does not describe is refused, naming the field', () => {
    const json = edited('functions.json', (j) => j.functions.api.calls[0].resources.push('everything'));
    assert.throws(() => parseFunctions(json), {
      message: 'contract/functions.json: functions.api.calls[0].resources: everything is not described in resources',
    });
  });

  test('a call\'s when names an option the infra knows and one of its values, or is refused naming the field', () => {
    const driverCalls = contractJson('functions.json').functions.driver.calls;
    const at = driverCalls.findIndex((call: any) => call.when !== undefined);
    assert.ok(at >= 0, 'the driver has a call with when');
    const refused: Array<[unknown, string]> = [
      ['apiAuth', 'expected <option>=<value>, got "apiAuth"'],
      ['=iam', 'expected <option>=<value>, got "=iam"'],
      ['webAdapter=false', 'webAdapter is not an option a call may depend on (the infra knows apiAuth)'],
      ['apiauth=iam', 'apiauth is not an option a call may depend on (the infra knows apiAuth)'],
      ['apiAuth=cognito', 'apiAuth must be one of none, apiKey, iam, got cognito'],
      ['apiAuth=iam=1', 'apiAuth must be one of none, apiKey, iam, got iam=1'],
      ['', 'expected a string, got ""'],
      [['apiAuth=iam'], 'expected a string, got ["apiAuth=iam"]'],
    ];
    for (const [when, problem] of refused) {
      const json = edited('functions.json', (j) => (j.functions.driver.calls[at].when = when));
      assert.throws(() => parseFunctions(json), { message: `contract/functions.json: functions.driver.calls[${at}].when: ${problem}` });
    }
    const accepted = parseFunctions(edited('functions.json', (j) => (j.functions.driver.calls[at].when = 'apiAuth=none')));
    assert.deepEqual(accepted.functions.find((f) => f.name === 'driver')!.calls[at].when, { option: 'apiAuth', value: 'none' });
    // Absent or null: made in every deployment.
    const always = parseFunctions(edited('functions.json', (j) => (j.functions.driver.calls[at].when = null)));
    assert.ok(!('when' in always.functions.find((f) => f.name === 'driver')!.calls[at]));
  });

  test('a variable listed as both required and optional is refused', () => {
    const json = edited('functions.json', (j) => j.functions.driver.environment.optional.push('BUCKET_NAME'));
    assert.throws(() => parseFunctions(json), /functions\.driver\.environment: BUCKET_NAME is in more than one/);
  });

  test('two functions running one binary are refused', () => {
    const json = edited('functions.json', (j) => (j.functions.driver.binary = j.functions.api.binary));
    assert.throws(() => parseFunctions(json), /two functions run the binary/);
  });

  test('a key type or projection CDK cannot express from the file is refused', () => {
    assert.throws(
      () => parseTables(edited('dynamodb-tables.json', (j) => (j.history.sortKey.type = 'NUMBER'))),
      /history\.sortKey\.type: expected one of S, N, B, got NUMBER/,
    );
    assert.throws(
      () => parseTables(edited('dynamodb-tables.json', (j) => (j.history.globalSecondaryIndexes[0].projection = 'INCLUDE'))),
      /projection: expected one of ALL, KEYS_ONLY, got INCLUDE/,
    );
  });

  test('a table StorageStack does not create is refused', () => {
    assert.throws(
      () => parseTables(edited('dynamodb-tables.json', (j) => (j.audit = j.index))),
      /expected the tables history, index, found history, index, audit/,
    );
  });
});

describe('grants derived from the calls', () => {
  const arns = { indexTableArn: 'arn:index', historyTableArn: 'arn:history', bucketArn: 'arn:bucket' };
  const withCalls = (calls: FunctionContract['calls']): FunctionContract => ({ ...functionContract('api'), calls });

  test('a call\'s actions go only to the resources they apply to (HeadObject: GetObject on objects, ListBucket on the bucket)', () => {
    const grants = grantsFor(
      withCalls([{ operation: 's3:HeadObject', actions: ['s3:GetObject', 's3:ListBucket'], resources: ['plotObjects', 'bucketPlotsPrefix'] }]),
      arns,
    );
    assert.deepEqual(
      grants.map((g) => [g.resource, g.actions, g.resolved.arns, g.resolved.conditions]),
      [
        ['plotObjects', ['s3:GetObject'], ['arn:bucket/plots/*'], undefined],
        ['bucketPlotsPrefix', ['s3:ListBucket'], ['arn:bucket'], { StringLike: { 's3:prefix': 'plots/*' } }],
      ],
    );
  });

  test('calls on one resource share one grant, its actions merged', () => {
    const grants = grantsFor(
      withCalls([
        { operation: 'dynamodb:TransactGetItems', actions: ['dynamodb:GetItem'], resources: ['indexTable'] },
        { operation: 'dynamodb:TransactWriteItems', actions: ['dynamodb:PutItem'], resources: ['indexTable', 'historyTable'] },
      ]),
      arns,
    );
    assert.deepEqual(grants.map((g) => [g.resource, g.actions, g.operations]), [
      ['indexTable', ['dynamodb:GetItem', 'dynamodb:PutItem'], ['dynamodb:TransactGetItems', 'dynamodb:TransactWriteItems']],
      ['historyTable', ['dynamodb:PutItem'], ['dynamodb:TransactWriteItems']],
    ]);
  });

  test('an action that applies to none of its call\'s resources is refused', () => {
    const contract = withCalls([{ operation: 's3:ListObjectsV2', actions: ['s3:ListBucket'], resources: ['bucketObjects'] }]);
    assert.throws(() => grantsFor(contract, arns), /api s3:ListObjectsV2: s3:ListBucket applies to none of bucketObjects/);
  });

  test('the item actions a batched store uses (BatchGetItem, UpdateItem in a transaction, DeleteItem) go to tables', () => {
    const grants = grantsFor(
      withCalls([
        { operation: 'dynamodb:BatchGetItem', actions: ['dynamodb:BatchGetItem'], resources: ['indexTable'] },
        { operation: 'dynamodb:TransactWriteItems', actions: ['dynamodb:UpdateItem'], resources: ['indexTable'] },
        { operation: 'dynamodb:DeleteItem', actions: ['dynamodb:DeleteItem'], resources: ['indexTable'] },
      ]),
      arns,
    );
    assert.deepEqual(grants.map((g) => [g.resource, g.actions, g.resolved.arns]), [
      ['indexTable', ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'], ['arn:index']],
    ]);
    assert.throws(
      () => grantsFor(withCalls([{ operation: 'dynamodb:DeleteItem', actions: ['dynamodb:DeleteItem'], resources: ['historyGsi'] }]), arns),
      /DeleteItem applies to none of historyGsi/,
    );
  });

  test('an action lib/grants.ts does not know is refused rather than granted blindly', () => {
    const contract = withCalls([{ operation: 'dynamodb:Scan', actions: ['dynamodb:Scan'], resources: ['indexTable'] }]);
    assert.throws(() => grantsFor(contract, arns), /add dynamodb:Scan to ACTION_RESOURCE_TYPES/);
  });

  test('a resource of several buckets resolves to each of them in one grant, objects one wildcard per bucket', () => {
    const tracked = { ...arns, trackedBucketArns: ['arn:own', 'arn:a', 'arn:b'] };
    const grants = grantsFor(
      withCalls([{ operation: 's3:HeadObject', actions: ['s3:GetObject', 's3:ListBucket'], resources: ['trackedObjects', 'trackedBuckets'] }]),
      tracked,
    );
    assert.deepEqual(grants.map((g) => [g.resource, g.actions, g.resolved.arns]), [
      ['trackedObjects', ['s3:GetObject'], ['arn:own/*', 'arn:a/*', 'arn:b/*']],
      ['trackedBuckets', ['s3:ListBucket'], ['arn:own', 'arn:a', 'arn:b']],
    ]);
    assert.throws(
      () => grantsFor(functionContract('reconcile'), { ...arns, trackedBucketArns: [] }),
      /reconcile s3:ListObjectsV2: trackedBuckets: .*trackedBucketArns/,
    );
  });

  test('a call with when is granted only where the options satisfy it, and refused where the option is not passed', () => {
    const when = (value: 'none' | 'apiKey' | 'iam') => ({ option: 'apiAuth' as const, value });
    const contract = withCalls([
      { operation: 's3:ListObjectsV2', actions: ['s3:ListBucket'], resources: ['bucket'] },
      { operation: 'dynamodb:GetItem', actions: ['dynamodb:GetItem'], resources: ['indexTable'], when: when('apiKey') },
      { operation: 'dynamodb:Query', actions: ['dynamodb:Query'], resources: ['historyTable'], when: when('iam') },
    ]);
    const granted = (apiAuth: 'none' | 'apiKey' | 'iam') => grantsFor(contract, arns, { apiAuth }).map((g) => g.resource);
    assert.deepEqual(granted('none'), ['bucket']);
    assert.deepEqual(granted('apiKey'), ['bucket', 'indexTable']);
    assert.deepEqual(granted('iam'), ['bucket', 'historyTable']);
    assert.throws(
      () => grantsFor(contract, arns),
      /api dynamodb:GetItem is made only with apiAuth=apiKey, and the function's stack did not pass apiAuth/,
    );
    // Without a call that depends on it, the option need not be passed.
    assert.doesNotThrow(() => grantsFor(functionContract('api'), arns));
  });

  test('the driver\'s plot API grants: GET on the key under apiKey, Invoke on the stage\'s GET methods under iam', () => {
    const stack = new Stack(newApp(), 'T');
    const plot = {
      ...arns,
      plotApiKey: apigw.ApiKey.fromApiKeyId(stack, 'Key', 'k123'),
      plotApi: apigw.RestApi.fromRestApiId(stack, 'Api', 'a456'),
    };
    const granted = (apiAuth: 'none' | 'apiKey' | 'iam') =>
      grantsFor(functionContract('driver'), plot, { apiAuth })
        .filter((g) => g.resource.startsWith('plotApi'))
        .map((g) => [g.resource, g.actions, g.resolved.arns.map((arn) => flat(stack.resolve(arn)))]);
    assert.deepEqual(granted('none'), []);
    assert.deepEqual(granted('apiKey'), [
      ['plotApiKey', ['apigateway:GET'], ['arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/k123']],
    ]);
    assert.deepEqual(granted('iam'), [
      ['plotApiGetMethods', ['execute-api:Invoke'], ['arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:a456/dev/GET/*']],
    ]);
    assert.throws(() => grantsFor(functionContract('driver'), arns, { apiAuth: 'apiKey' }), /driver apigateway:GetApiKey: plotApiKey: .*plotApiKey/);
    assert.throws(() => grantsFor(functionContract('driver'), arns, { apiAuth: 'iam' }), /driver execute-api:Invoke: plotApiGetMethods: .*plotApi\b/);
  });

  test('a resource whose ARN the stack did not pass is refused', () => {
    assert.throws(() => grantsFor(functionContract('tracker'), { bucketArn: 'arn:bucket' }), /tracker .*indexTable: .*indexTableArn/);
  });
});

describe('RustFunction checks its environment against the contract at synthesis', () => {
  const props = (environment: Record<string, string>) => ({
    contractName: 'driver',
    description: 'test',
    environment,
    resources: { bucketArn: 'arn:aws:s3:::b' },
    timeout: Duration.seconds(3),
    memorySize: 128,
    dev: true,
  });
  const driverEnvironment = { BUCKET_NAME: 'b', PLOT_API_URL: 'https://x/dev/' };

  test('a variable no one reads is refused', () => {
    const stack = new Stack(newApp(), 'T');
    assert.throws(
      () => new RustFunction(stack, 'Driver', props({ ...driverEnvironment, PLOT_KEY: 'plots/plot.png' })),
      /driver function environment \(contract\/functions\.json\): PLOT_KEY is set but neither driver-lambda nor the runtime reads it/,
    );
  });

  test('a required variable that is missing is refused', () => {
    const stack = new Stack(newApp(), 'T');
    assert.throws(
      () => new RustFunction(stack, 'Driver', props({ BUCKET_NAME: 'b' })),
      /PLOT_API_URL is required by driver-lambda but not set/,
    );
  });

  test('the contract\'s own lists fit', () => {
    for (const fn of FUNCTIONS) {
      const all = [...fn.environment.required, ...fn.environment.optional, ...Object.keys(fn.environment.readByOthers)];
      assert.deepEqual(environmentProblems(fn, Object.fromEntries(all.map((v) => [v, 'x']))), [], fn.name);
      assert.deepEqual(environmentProblems(fn, Object.fromEntries(fn.environment.required.map((v) => [v, 'x']))), [], fn.name);
    }
  });
});
