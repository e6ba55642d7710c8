import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  API_PROTECTION_DEFAULTS,
  apiProtection,
  type ApiProtectionProps,
  MAX_QUOTA_PER_DAY,
  WAF_RATE_LIMIT,
} from '../lib/api-protection';
import { flat, logicalIdOf, synthesize, type Synthesized } from './helpers';

const methodsOf = (s: Synthesized) => Object.values<any>(s.plot.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
const stageOf = (s: Synthesized) => Object.values<any>(s.plot.findResources('AWS::ApiGateway::Stage'))[0].Properties;
const outputsOf = (s: Synthesized) =>
  Object.keys(s.plot.toJSON().Outputs).filter((name) => !name.startsWith('PublishOutput')).sort();
const apiFunctionOf = (s: Synthesized) => s.plot.toJSON().Resources[logicalIdOf(s.stacks.plot, s.stacks.plot.api.function)];
const STAGE_THROTTLING = { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 };

describe('PlotLambdaStack: the API is open by default', () => {
  const open = synthesize({ dev: true });

  test('no authorizer, no API key: every method is open', () => {
    const methods = methodsOf(open);
    assert.equal(methods.length, 2);
    for (const method of methods) {
      assert.equal(method.AuthorizationType, 'NONE');
      assert.equal(method.ApiKeyRequired, undefined);
    }
    for (const type of ['AWS::ApiGateway::Authorizer', 'AWS::ApiGateway::ApiKey', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::UsagePlanKey']) {
      open.plot.resourceCountIs(type, 0);
    }
  });

  test('no WAF web ACL', () => {
    open.plot.resourceCountIs('AWS::WAFv2::WebACL', 0);
    open.plot.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  test('the api reserves no concurrency', () => {
    assert.equal(apiFunctionOf(open).Properties.ReservedConcurrentExecutions, undefined);
  });

  test('the stage stays throttled, and the only output is the URL', () => {
    assert.deepEqual(
      { ThrottlingBurstLimit: stageOf(open).MethodSettings[0].ThrottlingBurstLimit, ThrottlingRateLimit: stageOf(open).MethodSettings[0].ThrottlingRateLimit },
      STAGE_THROTTLING,
    );
    assert.deepEqual(outputsOf(open), ['PlotApiUrl']);
  });

  test('the defaults', () => {
    assert.deepEqual(API_PROTECTION_DEFAULTS, { apiAuth: 'none', apiQuotaPerDay: 10_000 });
    assert.deepEqual(apiProtection({}), { auth: 'none', quotaPerDay: undefined, wafRateLimit: undefined, reservedConcurrency: undefined });
  });
});

describe('PlotLambdaStack: apiAuth apiKey', () => {
  const keyed = synthesize({ dev: true, apiAuth: 'apiKey' });
  const stack = keyed.stacks.plot;
  const t = keyed.plot;
  const restApiId = logicalIdOf(stack, stack.restApi);
  const stageId = logicalIdOf(stack, stack.restApi.deploymentStage);
  const keyId = logicalIdOf(stack, stack.apiKeyAccess!.key);
  const planId = logicalIdOf(stack, stack.apiKeyAccess!.plan);

  test('every method requires an API key, and none another authorization', () => {
    for (const method of methodsOf(keyed)) {
      assert.equal(method.ApiKeyRequired, true);
      assert.equal(method.AuthorizationType, 'NONE');
    }
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
  });

  test('one enabled key, in a usage plan on stage dev with a quota of 10 000 a day and the stage\'s throttle', () => {
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    assert.equal(t.toJSON().Resources[keyId].Properties.Enabled, true);
    const plans = Object.values<any>(t.findResources('AWS::ApiGateway::UsagePlan'));
    assert.equal(plans.length, 1);
    const plan = plans[0].Properties;
    assert.deepEqual(
      plan.ApiStages.map((s: any) => [s.ApiId, s.Stage]),
      [[{ Ref: restApiId }, { Ref: stageId }]],
    );
    assert.deepEqual(plan.Quota, { Limit: 10_000, Period: 'DAY' });
    assert.deepEqual(plan.Throttle, { BurstLimit: 100, RateLimit: 50 });
    const keys = Object.values<any>(t.findResources('AWS::ApiGateway::UsagePlanKey')).map((k) => k.Properties);
    assert.deepEqual(keys, [{ KeyId: { Ref: keyId }, KeyType: 'API_KEY', UsagePlanId: { Ref: planId } }]);
  });

  test('the stage stays throttled', () => {
    const settings = stageOf(keyed).MethodSettings[0];
    assert.deepEqual({ ThrottlingBurstLimit: settings.ThrottlingBurstLimit, ThrottlingRateLimit: settings.ThrottlingRateLimit }, STAGE_THROTTLING);
  });

  test('outputs the key\'s id and the command that prints its value', () => {
    assert.deepEqual(outputsOf(keyed), ['ApiKeyId', 'ApiKeyValueCommand', 'PlotApiUrl']);
    const outputs = t.toJSON().Outputs;
    assert.deepEqual(outputs.ApiKeyId.Value, { Ref: keyId });
    assert.equal(
      flat(outputs.ApiKeyValueCommand.Value),
      `aws apigateway get-api-key --api-key <${keyId}> --include-value --query value --output text`,
    );
  });

  test('apiQuotaPerDay sets the quota', () => {
    const s = synthesize({ dev: true, apiAuth: 'apiKey', apiQuotaPerDay: 250 });
    s.plot.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Quota: { Limit: 250, Period: 'DAY' } });
  });
});

describe('PlotLambdaStack: apiAuth iam', () => {
  const signed = synthesize({ dev: true, apiAuth: 'iam' });
  const stack = signed.stacks.plot;

  test('AWS_IAM authorization on every method, no API key', () => {
    const methods = methodsOf(signed);
    assert.equal(methods.length, 2);
    for (const method of methods) {
      assert.equal(method.AuthorizationType, 'AWS_IAM');
      assert.equal(method.ApiKeyRequired, undefined);
    }
    signed.plot.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    signed.plot.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
  });

  test('outputs the ARN a caller\'s policy must allow execute-api:Invoke on, and the API\'s id (the driver reads it)', () => {
    assert.deepEqual(outputsOf(signed), ['ApiInvokeArn', 'PlotApiId', 'PlotApiUrl']);
    assert.deepEqual(signed.plot.toJSON().Outputs.PlotApiId.Value, { Ref: logicalIdOf(stack, stack.restApi) });
    assert.equal(
      flat(signed.plot.toJSON().Outputs.ApiInvokeArn.Value),
      `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${logicalIdOf(stack, stack.restApi)}>/dev/*/*`,
    );
  });
});

describe('PlotLambdaStack: wafRateLimit', () => {
  const limited = synthesize({ dev: true, wafRateLimit: 500 });
  const stack = limited.stacks.plot;
  const t = limited.plot;

  test('a regional web ACL that blocks a client IP over the limit in 5 minutes and allows the rest', () => {
    const acls = Object.values<any>(t.findResources('AWS::WAFv2::WebACL')).map((a) => a.Properties);
    assert.equal(acls.length, 1);
    assert.equal(acls[0].Scope, 'REGIONAL');
    assert.deepEqual(acls[0].DefaultAction, { Allow: {} });
    assert.deepEqual(acls[0].Rules, [
      {
        Name: 'RateLimitPerIp',
        Priority: 0,
        Action: { Block: {} },
        Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 500, EvaluationWindowSec: 300 } },
        VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: 'RateLimitPerIp', SampledRequestsEnabled: true },
      },
    ]);
  });

  test('associated with stage dev of the API', () => {
    const associations = Object.values<any>(t.findResources('AWS::WAFv2::WebACLAssociation')).map((a) => a.Properties);
    const aclId = stack.getLogicalId(stack.rateLimit!.webAcl);
    assert.deepEqual(associations.map((a) => a.WebACLArn), [{ 'Fn::GetAtt': [aclId, 'Arn'] }]);
    assert.equal(
      flat(associations[0].ResourceArn),
      `arn:<AWS::Partition>:apigateway:<AWS::Region>::/restapis/<${logicalIdOf(stack, stack.restApi)}>/stages/<${logicalIdOf(stack, stack.restApi.deploymentStage)}>`,
    );
    assert.deepEqual(outputsOf(limited), ['PlotApiUrl', 'WebAclArn']);
    assert.deepEqual(t.toJSON().Outputs.WebAclArn.Value, { 'Fn::GetAtt': [aclId, 'Arn'] });
  });

  test('the methods stay open and the stage throttled', () => {
    for (const method of methodsOf(limited)) assert.equal(method.AuthorizationType, 'NONE');
    const settings = stageOf(limited).MethodSettings[0];
    assert.deepEqual({ ThrottlingBurstLimit: settings.ThrottlingBurstLimit, ThrottlingRateLimit: settings.ThrottlingRateLimit }, STAGE_THROTTLING);
  });
});

describe('PlotLambdaStack: apiReservedConcurrency', () => {
  test('reserves the api\'s concurrency, and bounds it', () => {
    const bounded = synthesize({ dev: true, apiReservedConcurrency: 20 });
    assert.equal(apiFunctionOf(bounded).Properties.ReservedConcurrentExecutions, 20);
    // Only the api's: the tracker's is trackerReservedConcurrency.
    const tracker = bounded.tracking.toJSON().Resources[logicalIdOf(bounded.stacks.tracking, bounded.stacks.tracking.tracker.function)];
    assert.equal(tracker.Properties.ReservedConcurrentExecutions, undefined);
  });
});

describe('PlotLambdaStack: protection props refused', () => {
  const refused: Array<[string, ApiProtectionProps, string]> = [
    ['an unknown apiAuth', { apiAuth: 'cognito' as never }, 'apiAuth must be one of none, apiKey, iam, got "cognito"'],
    ['a quota without an API key', { apiQuotaPerDay: 100 }, 'apiQuotaPerDay applies only with apiAuth apiKey (it is the quota of the key\'s usage plan), got apiAuth none'],
    ['a quota with iam', { apiAuth: 'iam', apiQuotaPerDay: 100 }, 'apiQuotaPerDay applies only with apiAuth apiKey'],
    ['a quota of 0', { apiAuth: 'apiKey', apiQuotaPerDay: 0 }, "apiQuotaPerDay must be a whole number from 1 to 4320000 (a day at the stage's 50 requests/s), got 0"],
    ['a quota the stage could never reach', { apiAuth: 'apiKey', apiQuotaPerDay: 4_320_001 }, 'apiQuotaPerDay must be a whole number from 1 to 4320000'],
    ['a fractional quota', { apiAuth: 'apiKey', apiQuotaPerDay: 1.5 }, 'apiQuotaPerDay must be a whole number from 1 to 4320000'],
    [
      'a WAF limit under WAF\'s minimum',
      { wafRateLimit: 9 },
      'wafRateLimit must be a whole number from 10 to 2000000000 (requests per 5 minutes per client IP, the range AWS WAF accepts), got 9',
    ],
    ['a WAF limit over WAF\'s maximum', { wafRateLimit: 2_000_000_001 }, 'wafRateLimit must be a whole number from 10 to 2000000000'],
    ['a fractional WAF limit', { wafRateLimit: 100.5 }, 'wafRateLimit must be a whole number from 10 to 2000000000'],
    ['a reservation of 0', { apiReservedConcurrency: 0 }, 'apiReservedConcurrency must be a whole number of at least 1, got 0'],
    ['a fractional reservation', { apiReservedConcurrency: 2.5 }, 'apiReservedConcurrency must be a whole number of at least 1, got 2.5'],
  ];
  for (const [what, props, message] of refused) {
    test(`refused: ${what}`, () => {
      assert.throws(() => apiProtection(props), (error: Error) => {
        assert.equal(error.name, 'InvalidOptionError');
        assert.ok(error.message.startsWith(message), error.message);
        return true;
      });
      // The stack refuses it too.
      assert.throws(() => synthesize({ dev: true, ...props }), { name: 'InvalidOptionError' });
    });
  }

  test('accepted at the edges', () => {
    assert.equal(MAX_QUOTA_PER_DAY, 4_320_000);
    assert.deepEqual(WAF_RATE_LIMIT, { min: 10, max: 2_000_000_000 });
    assert.doesNotThrow(() => apiProtection({ apiAuth: 'apiKey', apiQuotaPerDay: 1 }));
    assert.doesNotThrow(() => apiProtection({ apiAuth: 'apiKey', apiQuotaPerDay: 4_320_000 }));
    assert.doesNotThrow(() => apiProtection({ wafRateLimit: 10 }));
    assert.doesNotThrow(() => apiProtection({ wafRateLimit: 2_000_000_000 }));
    assert.doesNotThrow(() => apiProtection({ apiAuth: 'none', apiReservedConcurrency: 1 }));
  });
});
