import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUCKET_NAME, deref, flat, logicalIdOf, synthesize } from './helpers';

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
