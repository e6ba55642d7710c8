import { type Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ApiAuth } from './api-protection';
import { checkEnvironment } from './environment';
import { functionContract, type FunctionContract } from './function-contract';
import { grantsFor, policyStatement, type ResourceArns, wildcardReason } from './grants';
import { lambdaCode, removalPolicyFor } from './lambda-code';
import { wildcardResourceFinding } from './nag';

export interface RustFunctionProps {
  /** The function in contract/functions.json (`tracker`, `api`, `driver`): its binary, variables and calls. */
  readonly contractName: string;
  readonly description: string;
  /** Only variables the contract says someone in the function reads; every required one. */
  readonly environment: Record<string, string>;
  /** What the contract's symbolic resources are in this stack; the grants follow the contract's calls. */
  readonly resources: ResourceArns;
  /**
   * How the deployment's plot API authenticates its callers: the contract's calls with `when: apiAuth=…`
   * are granted only under that mode. Needed by a function that has such calls (the driver); synthesis fails
   * without it.
   * @default - not passed: the function may have no call that depends on it
   */
  readonly apiAuth?: ApiAuth;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly layers?: lambda.ILayerVersion[];
  /** Concurrency reserved for the function. @default - none: it shares the account's unreserved pool */
  readonly reservedConcurrentExecutions?: number;
  readonly dev: boolean;
}

/**
 * One Rust binary as a Lambda function: `provided.al2023`, arm64, handler `bootstrap`, its own log group
 * with a retention, and its own role (no AWS managed policy) that may write to that log group and make
 * exactly the AWS calls contract/functions.json lists for it (those with `when` only in a deployment that
 * satisfies it). Stacks grant nothing by hand.
 */
export class RustFunction extends Construct {
  readonly contract: FunctionContract;
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RustFunctionProps) {
    super(scope, id);
    this.contract = functionContract(props.contractName);
    checkEnvironment(this.contract, props.environment);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: removalPolicyFor(props.dev),
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${this.contract.name} function`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    for (const grant of grantsFor(this.contract, props.resources, { apiAuth: props.apiAuth })) {
      this.role.addToPolicy(policyStatement(grant));
      const reason = wildcardReason(this.contract, grant);
      if (reason !== undefined) {
        Validations.of(this.role).acknowledge(
          ...grant.resolved.arns.map((arn) => ({ id: wildcardResourceFinding(this, arn), reason })),
        );
      }
    }

    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: lambdaCode(this, this.contract.binary),
      environment: props.environment,
      timeout: props.timeout,
      memorySize: props.memorySize,
      layers: props.layers,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
    });
  }
}
