import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { API_STAGE, LWA_LAYER_VERSION, lwaLayerArn } from '../lib/constants';
import { BUCKET_NAME, deref, flat, logicalIdOf, synthesize } from './helpers';

describe('PlotLambdaStack', () => {
  const lwa = synthesize({ dev: true });
  const native = synthesize({ dev: true, webAdapter: false });
  const stack = lwa.stacks.plot;
  const t = lwa.plot;
  const apiId = logicalIdOf(stack, stack.api.function);
  const restApiId = logicalIdOf(stack, stack.restApi);
  const api = t.toJSON().Resources[apiId];
  const historyId = logicalIdOf(lwa.stacks.storage, lwa.stacks.storage.historyTable);

  const environment = (synthesized: typeof lwa) => {
    const s = synthesized.stacks.plot;
    const fn = synthesized.plot.toJSON().Resources[logicalIdOf(s, s.api.function)];
    return Object.fromEntries(
      Object.entries<any>(fn.Properties.Environment.Variables).map(([k, v]) => [k, deref(flat(v), synthesized)]),
    );
  };
  const common = {
    BUCKET_NAME,
    HISTORY_TABLE: `<${historyId}>`,
    HISTORY_GSI: 'by-size',
    TRACKED_BUCKETS: BUCKET_NAME,
    RUST_LOG: 'info',
  };

  test('api: provided.al2023 on arm64, handler bootstrap, within API Gateway\'s 29 s', () => {
    assert.equal(api.Properties.Runtime, 'provided.al2023');
    assert.deepEqual(api.Properties.Architectures, ['arm64']);
    assert.equal(api.Properties.Handler, 'bootstrap');
    assert.match(api.Properties.Code.S3Key, /^[0-9a-f]{64}\.zip$/);
    assert.ok(api.Properties.Timeout <= 29);
  });

  test('the Lambda Web Adapter layer: arm64, its version from one constant', () => {
    assert.ok(Number.isInteger(LWA_LAYER_VERSION) && LWA_LAYER_VERSION > 0);
    assert.equal(
      lwaLayerArn('eu-west-1'),
      `arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerArm64:${LWA_LAYER_VERSION}`,
    );
    assert.deepEqual(api.Properties.Layers.map(flat), [
      `arn:aws:lambda:<AWS::Region>:753240598075:layer:LambdaAdapterLayerArm64:${LWA_LAYER_VERSION}`,
    ]);
  });

  test('with the adapter: the app listens on AWS_LWA_PORT 8080, readiness on /healthz', () => {
    assert.deepEqual(environment(lwa), {
      ...common,
      AWS_LWA_PORT: '8080',
      AWS_LWA_READINESS_CHECK_PATH: '/healthz',
    });
  });

  test('webAdapter: false runs lambda_http natively: no layer, no AWS_LWA_PORT, stage ignored in paths', () => {
    const s = native.stacks.plot;
    const fn = native.plot.toJSON().Resources[logicalIdOf(s, s.api.function)];
    assert.equal(fn.Properties.Layers, undefined);
    assert.deepEqual(environment(native), { ...common, AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH: 'true' });
    assert.equal(fn.Properties.Runtime, 'provided.al2023');
    assert.deepEqual(fn.Properties.Architectures, ['arm64']);
  });

  test('the REST API proxies every path to the api and returns image/png as binary', () => {
    t.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['image/png'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method'));
    assert.equal(methods.length, 2); // ANY / and ANY /{proxy+}
    for (const method of methods) {
      assert.equal(method.Properties.HttpMethod, 'ANY');
      assert.equal(method.Properties.Integration.Type, 'AWS_PROXY');
      assert.ok(flat(method.Properties.Integration.Uri).includes(`<${apiId}.Arn>`));
    }
    t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
  });

  test('stage dev: throttled (50 rps, burst 100), access and error logs', () => {
    const stages = Object.values(t.findResources('AWS::ApiGateway::Stage'));
    assert.equal(stages.length, 1);
    const stage = stages[0].Properties;
    assert.equal(stage.StageName, API_STAGE);
    assert.equal(API_STAGE, 'dev');
    assert.deepEqual(stage.MethodSettings, [
      {
        DataTraceEnabled: false,
        HttpMethod: '*',
        LoggingLevel: 'ERROR',
        MetricsEnabled: true,
        ResourcePath: '/*',
        ThrottlingBurstLimit: 100,
        ThrottlingRateLimit: 50,
      },
    ]);
    assert.equal(
      flat(stage.AccessLogSetting.DestinationArn),
      `arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<${logicalIdOf(stack, stack.node.findChild('ApiAccessLogs') as never)}>`,
    );
    assert.ok(stage.AccessLogSetting.Format.includes('$context.requestId'));
  });

  test('API Gateway may invoke the api', () => {
    const permissions = Object.values(t.findResources('AWS::Lambda::Permission'));
    assert.ok(permissions.length > 0);
    for (const p of permissions) {
      assert.equal(p.Properties.Principal, 'apigateway.amazonaws.com');
      assert.deepEqual(p.Properties.FunctionName, { 'Fn::GetAtt': [apiId, 'Arn'] });
      assert.ok(flat(p.Properties.SourceArn).includes(`<${restApiId}>`));
    }
  });

  test('outputs PlotApiUrl, the stage URL ending with /dev/, and no other URL output', () => {
    const outputs = t.toJSON().Outputs as Record<string, { Value: unknown }>;
    const url = flat(outputs.PlotApiUrl.Value);
    assert.equal(url, `https://<${restApiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/<${logicalIdOf(stack, stack.restApi.deploymentStage)}>/`);
    assert.ok(url.endsWith('/'));
    // The stage's logical id stands for its name, `dev`.
    assert.equal(stack.resolve(stack.restApi.deploymentStage.stageName).Ref, logicalIdOf(stack, stack.restApi.deploymentStage));
    assert.ok(stack.restApi.urlForPath('/').endsWith('/'));
    const visible = Object.keys(outputs).filter((name) => !name.startsWith('PublishOutput'));
    assert.deepEqual(visible, ['PlotApiUrl']);
  });

  test('the PlotApiUrl reads /dev/ once deployed', () => {
    // The URL joins the stage's Ref, which CloudFormation resolves to the stage's name.
    const [[stageId, stage]] = Object.entries(t.findResources('AWS::ApiGateway::Stage'));
    const deployed = flat(t.toJSON().Outputs.PlotApiUrl.Value).replace(`<${stageId}>`, stage.Properties.StageName);
    assert.match(deployed, /^https:\/\/<\w+>\.execute-api\.<AWS::Region>\.<AWS::URLSuffix>\/dev\/$/);
  });
});
