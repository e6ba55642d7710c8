import { Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A finding planted on purpose: a bare SQS queue breaks AwsSolutions-SQS3 (no DLQ) and -SQS4 (TLS not
 * required), and nothing acknowledges them. Only cdk-nag reports them, so a synthesis that fails on
 * them proves cdk-nag ran.
 */
export const PLANTED_STACK = 'NagProbe';
export const PLANTED_PATH = `${PLANTED_STACK}/BareQueue`;
export const PLANTED_FINDINGS = ['AwsSolutions-SQS3', 'AwsSolutions-SQS4'];

export function plantNagFinding(app: Construct): Stack {
  const stack = new Stack(app, PLANTED_STACK);
  new sqs.CfnQueue(stack, 'BareQueue');
  return stack;
}
