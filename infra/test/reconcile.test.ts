import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RECONCILE_DEFAULTS, reconcileEveryHours } from '../lib/scheduled-reconcile';
import { BUCKET_NAME, flat, logicalIdOf, roleStatements, synthesize } from './helpers';

describe('SizeTrackingLambdaStack: the scheduled reconcile', () => {
  const dev = synthesize({ dev: true });
  const stack = dev.stacks.tracking;
  const t = dev.tracking;
  const resources = t.toJSON().Resources;
  const reconcileId = logicalIdOf(stack, stack.reconcile.function.function);
  const reconcile = resources[reconcileId];
  const schedules = Object.values<any>(t.findResources('AWS::Scheduler::Schedule'));

  test('a function of its own, not the queue consumer: 15 minutes, arm64, its own zip', () => {
    assert.notEqual(reconcileId, logicalIdOf(stack, stack.tracker.function));
    assert.equal(reconcile.Properties.Timeout, 900);
    assert.equal(reconcile.Properties.Architectures[0], 'arm64');
    assert.equal(reconcile.Properties.Handler, 'bootstrap');
    assert.equal(stack.reconcile.function.contract.binary, 'reconcile-lambda');
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    const mapping = Object.values<any>(t.findResources('AWS::Lambda::EventSourceMapping'))[0];
    assert.deepEqual(mapping.Properties.FunctionName, { Ref: logicalIdOf(stack, stack.tracker.function) }, 'only the tracker consumes the queue');
  });

  test('it walks the tracked bucket, outside its plots/, with a new walk a day after the last began', () => {
    const vars = reconcile.Properties.Environment.Variables;
    assert.equal(flat(vars.TRACKED_BUCKETS), BUCKET_NAME);
    assert.equal(flat(vars.RESERVED_PREFIXES), `${BUCKET_NAME}:plots/`);
    assert.equal(vars.RECONCILE_EVERY, `${RECONCILE_DEFAULTS.reconcileEveryHours}h`);
  });

  test('EventBridge Scheduler ticks it every 15 minutes with no retry (the next tick is the retry)', () => {
    assert.equal(schedules.length, 1);
    const schedule = schedules[0].Properties;
    assert.equal(schedule.ScheduleExpression, 'rate(15 minutes)');
    assert.deepEqual(schedule.FlexibleTimeWindow, { Mode: 'OFF' });
    assert.deepEqual(schedule.Target.Arn, { 'Fn::GetAtt': [reconcileId, 'Arn'] });
    assert.deepEqual(schedule.Target.RetryPolicy, { MaximumRetryAttempts: 0 });
    assert.equal(schedule.Target.Input, '{}');
  });

  test('the schedule\'s role, assumable by the scheduler of this account only, may invoke that function and nothing else', () => {
    const roleId = logicalIdOf(stack, stack.reconcile.schedulerRole);
    assert.deepEqual(resources[roleId].Properties.AssumeRolePolicyDocument.Statement, [
      {
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
      },
    ]);
    assert.deepEqual(schedules[0].Properties.Target.RoleArn, { 'Fn::GetAtt': [roleId, 'Arn'] });
    const statements = roleStatements(t, stack, stack.reconcile.schedulerRole);
    assert.deepEqual(
      statements.map((s) => [s.effect, s.actions, s.resources]),
      [['Allow', ['lambda:InvokeFunction'], [`<${reconcileId}.Arn>`]]],
    );
  });

  test('outputs the function\'s name, to run a tick by hand', () => {
    assert.deepEqual(t.toJSON().Outputs.ReconcileFunctionName.Value, { Ref: reconcileId });
  });

  test('reconcileEveryHours reaches the function, and is refused outside 1 … 744', () => {
    const six = synthesize({ reconcileEveryHours: 6 });
    const fn = six.tracking.toJSON().Resources[logicalIdOf(six.stacks.tracking, six.stacks.tracking.reconcile.function.function)];
    assert.equal(fn.Properties.Environment.Variables.RECONCILE_EVERY, '6h');
    for (const hours of [0, 745, 1.5]) {
      assert.throws(() => reconcileEveryHours({ reconcileEveryHours: hours }), /reconcileEveryHours must be a whole number from 1 to 744/);
    }
  });
});
