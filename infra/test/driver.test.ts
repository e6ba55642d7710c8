import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApiAuth } from '../lib/api-protection';
import { BUCKET_ARN, BUCKET_NAME, deref, flat, logicalIdOf, roleStatements, synthesize, type Synthesized } from './helpers';

/** The driver function's environment, each value as it reads once the plot stack's outputs are dereferenced. */
function driverEnvironment(s: Synthesized): Record<string, string> {
  const driver = s.driver.toJSON().Resources[logicalIdOf(s.stacks.driver, s.stacks.driver.driver.function)];
  return Object.fromEntries(Object.entries<any>(driver.Properties.Environment.Variables).map(([k, v]) => [k, deref(flat(v), s)]));
}

/** The driver role's grants beyond its logs and its bucket, as `action on resource`, dereferenced. */
function plotApiGrants(s: Synthesized): string[] {
  const logs = `<${logicalIdOf(s.stacks.driver, s.stacks.driver.driver.logGroup)}.Arn>`;
  return roleStatements(s.driver, s.stacks.driver, s.stacks.driver.driver.role)
    .flatMap((st) => st.actions.flatMap((action) => st.resources.map((r) => `${action} on ${deref(r, s)}`)))
    .filter((g) => !g.endsWith(` on ${logs}`) && !g.includes(` on ${BUCKET_ARN}`))
    .sort();
}

describe('DriverLambdaStack', () => {
  const dev = synthesize({ dev: true });
  const stack = dev.stacks.driver;
  const t = dev.driver;
  const driverId = logicalIdOf(stack, stack.driver.function);
  const driver = t.toJSON().Resources[driverId];

  test('driver: provided.al2023 on arm64, handler bootstrap, its own zip', () => {
    assert.equal(driver.Properties.Runtime, 'provided.al2023');
    assert.deepEqual(driver.Properties.Architectures, ['arm64']);
    assert.equal(driver.Properties.Handler, 'bootstrap');
    assert.match(driver.Properties.Code.S3Key, /^[0-9a-f]{64}\.zip$/);
    assert.equal(driver.Properties.Layers, undefined);
  });

  test('times out after 2 minutes, well past the scenario\'s sleeps and the plot request', () => {
    assert.equal(driver.Properties.Timeout, 120);
  });

  test('environment: BUCKET_NAME and PLOT_API_URL, the plot stack\'s URL ending with /dev/', () => {
    const env = Object.fromEntries(
      Object.entries<any>(driver.Properties.Environment.Variables).map(([k, v]) => [k, deref(flat(v), dev)]),
    );
    const apiUrl = flat(dev.plot.toJSON().Outputs.PlotApiUrl.Value);
    assert.deepEqual(env, { BUCKET_NAME, PLOT_API_URL: apiUrl, RUST_LOG: 'info' });
    assert.ok(env.PLOT_API_URL.endsWith('/'));
  });

  test('outputs DriverFunctionName', () => {
    t.hasOutput('DriverFunctionName', { Value: { Ref: driverId } });
  });
});

describe('DriverLambdaStack: the driver keeps calling the plot API under each apiAuth', () => {
  const synthesized: Record<ApiAuth, Synthesized> = {
    none: synthesize({ dev: true }),
    apiKey: synthesize({ dev: true, apiAuth: 'apiKey' }),
    iam: synthesize({ dev: true, apiAuth: 'iam' }),
  };
  const common = (s: Synthesized) => ({
    BUCKET_NAME,
    PLOT_API_URL: flat(s.plot.toJSON().Outputs.PlotApiUrl.Value),
    RUST_LOG: 'info',
  });
  const keyOf = (s: Synthesized) => `<${logicalIdOf(s.stacks.plot, s.stacks.plot.apiKeyAccess!.key)}>`;
  const apiOf = (s: Synthesized) => `<${logicalIdOf(s.stacks.plot, s.stacks.plot.restApi)}>`;

  test('none: PLOT_API_AUTH and PLOT_API_KEY_ID unset (the driver calls without credentials), no plot API grant', () => {
    const s = synthesized.none;
    assert.deepEqual(driverEnvironment(s), common(s));
    assert.deepEqual(plotApiGrants(s), []);
  });

  test('apiKey: PLOT_API_AUTH=api-key and PLOT_API_KEY_ID the plot stack\'s key, read from its output ApiKeyId', () => {
    const s = synthesized.apiKey;
    assert.deepEqual(driverEnvironment(s), { ...common(s), PLOT_API_AUTH: 'api-key', PLOT_API_KEY_ID: keyOf(s) });
    const driver = s.driver.toJSON().Resources[logicalIdOf(s.stacks.driver, s.stacks.driver.driver.function)];
    assert.equal(flat(driver.Properties.Environment.Variables.PLOT_API_KEY_ID), '<PlotLambdaStack:ApiKeyId>');
  });

  test('apiKey: the role may read exactly that key (apigateway:GET, GetApiKey), and invoke nothing', () => {
    const s = synthesized.apiKey;
    assert.deepEqual(plotApiGrants(s), [`apigateway:GET on arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/${keyOf(s)}`]);
  });

  test('iam: PLOT_API_AUTH=iam, no key id', () => {
    const s = synthesized.iam;
    assert.deepEqual(driverEnvironment(s), { ...common(s), PLOT_API_AUTH: 'iam' });
  });

  test('iam: the role may invoke exactly the GET methods of stage dev of the plot API (read from its output PlotApiId), and read no key', () => {
    const s = synthesized.iam;
    assert.deepEqual(plotApiGrants(s), [
      `execute-api:Invoke on arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:${apiOf(s)}/dev/GET/*`,
    ]);
    const statements = roleStatements(s.driver, s.stacks.driver, s.stacks.driver.driver.role);
    assert.deepEqual(
      statements.filter((st) => st.actions.includes('execute-api:Invoke')).map((st) => st.resources),
      [['arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<PlotLambdaStack:PlotApiId>/dev/GET/*']],
    );
  });

  test('the plot stack\'s key, and its methods\' authorization, are the ones the driver is given', () => {
    // Under apiKey every method requires the key the driver reads; under iam every method is AWS_IAM.
    const methods = (s: Synthesized) => Object.values<any>(s.plot.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
    for (const m of methods(synthesized.apiKey)) assert.equal(m.ApiKeyRequired, true);
    for (const m of methods(synthesized.iam)) assert.equal(m.AuthorizationType, 'AWS_IAM');
    assert.deepEqual(synthesized.apiKey.plot.toJSON().Outputs.ApiKeyId.Value, { Ref: keyOf(synthesized.apiKey).slice(1, -1) });
    assert.deepEqual(synthesized.iam.plot.toJSON().Outputs.PlotApiId.Value, { Ref: apiOf(synthesized.iam).slice(1, -1) });
  });
});
