import { CfnOutput, Duration, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ApiKeyAccess } from './api-key-access';
import { type ApiAuth, apiProtection, type ApiProtection, type ApiProtectionProps, STAGE_THROTTLE } from './api-protection';
import { ApiRateLimit } from './api-rate-limit';
import { API_STAGE, HISTORY_GSI, LWA_LAYER_VERSION, LWA_PORT, lwaLayerArn, READINESS_PATH, RUST_LOG } from './constants';
import { removalPolicyFor } from './lambda-code';
import { RustFunction } from './rust-function';

export interface PlotLambdaStackProps extends StackProps, ApiProtectionProps {
  readonly historyTable: dynamodb.ITable;
  readonly bucketName: string;
  readonly bucketArn: string;
  /**
   * The existing buckets tracked beside the own one (SizeTrackingLambdaStack's trackedBuckets, checked):
   * the api lists them all (TRACKED_BUCKETS), reads nothing of them.
   * @default - none
   */
  readonly trackedBuckets?: readonly string[];
  readonly dev: boolean;
  /**
   * Run the api behind the Lambda Web Adapter layer (an HTTP server on AWS_LWA_PORT).
   * `false` runs the same binary natively with `lambda_http`, without the layer.
   * @default true
   */
  readonly webAdapter?: boolean;
  /** @default LWA_LAYER_VERSION */
  readonly lwaLayerVersion?: number;
}

/**
 * What a caller deployed by another stack of the app (the driver) needs to call the API under its `apiAuth`:
 * with `apiKey` the key's id (to read its value with GetApiKey), with `iam` the REST API's id (to be granted
 * execute-api:Invoke on its methods). Each is read from an output of PlotLambdaStack (Fn::GetStackOutput),
 * so a template that uses it names the output it reads; it is for other stacks only, never PlotLambdaStack.
 */
export type PlotApiAccess =
  | { readonly auth: 'none' }
  | { readonly auth: 'apiKey'; readonly keyId: string }
  | { readonly auth: 'iam'; readonly restApiId: string };

/** The outputs PlotApiAccess reads. */
export const PLOT_API_ACCESS_OUTPUTS = { keyId: 'ApiKeyId', restApiId: 'PlotApiId' } as const;

/** How each `apiAuth` mode sets the methods (both of them: `ANY /` and `ANY /{proxy+}`). */
const METHOD_OPTIONS: Record<ApiAuth, apigw.MethodOptions> = {
  none: {},
  apiKey: { apiKeyRequired: true },
  iam: { authorizationType: apigw.AuthorizationType.IAM },
};

/**
 * The api function and the REST API (stage `dev`) in front of it, throttled at the stage; optionally with an
 * API key or IAM authorization on every method, a WAF rate limit per client IP, and a bound on the api's
 * concurrency (lib/api-protection.ts).
 */
export class PlotLambdaStack extends Stack {
  readonly api: RustFunction;
  readonly restApi: apigw.LambdaRestApi;
  /** The stage URL, ending with `/dev/`. */
  readonly apiUrl: string;
  /** What protects the API, checked. */
  readonly protection: ApiProtection;
  /** With `apiAuth` `apiKey`: the key and its usage plan. */
  readonly apiKeyAccess?: ApiKeyAccess;
  /** With `wafRateLimit`: the web ACL on the stage. */
  readonly rateLimit?: ApiRateLimit;
  /** What another stack's caller needs under `apiAuth` (for the driver). */
  readonly access: PlotApiAccess;

  constructor(scope: Construct, id: string, props: PlotLambdaStackProps) {
    super(scope, id, props);
    const webAdapter = props.webAdapter ?? true;
    this.protection = apiProtection(props);

    const runtimeEnvironment: Record<string, string> = webAdapter
      ? { AWS_LWA_PORT: String(LWA_PORT), AWS_LWA_READINESS_CHECK_PATH: READINESS_PATH }
      : { AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH: 'true' };
    const layers = webAdapter
      ? [
          lambda.LayerVersion.fromLayerVersionArn(
            this,
            'LambdaWebAdapter',
            lwaLayerArn(this.region, props.lwaLayerVersion ?? LWA_LAYER_VERSION),
          ),
        ]
      : undefined;

    this.api = new RustFunction(this, 'Api', {
      contractName: 'api',
      description: webAdapter
        ? 'Plot API (Axum behind the Lambda Web Adapter)'
        : 'Plot API (Axum on lambda_http)',
      environment: {
        BUCKET_NAME: props.bucketName,
        HISTORY_TABLE: props.historyTable.tableName,
        HISTORY_GSI,
        // `GET /buckets` lists them: the own bucket, then each tracked one.
        TRACKED_BUCKETS: [props.bucketName, ...(props.trackedBuckets ?? [])].join(','),
        RUST_LOG,
        ...runtimeEnvironment,
      },
      resources: { historyTableArn: props.historyTable.tableArn, bucketArn: props.bucketArn },
      // API Gateway gives up after 29 s.
      timeout: Duration.seconds(29),
      memorySize: 1024,
      layers,
      reservedConcurrentExecutions: this.protection.reservedConcurrency,
      dev: props.dev,
    });

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: removalPolicyFor(props.dev),
    });
    this.restApi = new apigw.LambdaRestApi(this, 'PlotApi', {
      handler: this.api.function,
      proxy: true,
      description: 'Size history, max and plot of the tracked bucket',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      binaryMediaTypes: ['image/png'],
      // Access and execution logging need API Gateway's account-level CloudWatch role.
      cloudWatchRole: true,
      defaultMethodOptions: METHOD_OPTIONS[this.protection.auth],
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: STAGE_THROTTLE.rateLimit,
        throttlingBurstLimit: STAGE_THROTTLE.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        metricsEnabled: true,
      },
    });
    this.apiUrl = this.restApi.url;
    // PlotApiUrl below is the one output for the URL (LambdaRestApi adds an `Endpoint<hash>` one).
    this.restApi.node.tryRemoveChild('Endpoint');

    if (this.protection.quotaPerDay !== undefined) {
      this.apiKeyAccess = new ApiKeyAccess(this, 'ApiKeyAccess', {
        restApi: this.restApi,
        stage: this.restApi.deploymentStage,
        quotaPerDay: this.protection.quotaPerDay,
      });
    }
    if (this.protection.wafRateLimit !== undefined) {
      this.rateLimit = new ApiRateLimit(this, 'RateLimit', {
        stage: this.restApi.deploymentStage,
        requestsPerWindow: this.protection.wafRateLimit,
      });
    }
    this.acknowledgeNagFindings();

    new CfnOutput(this, 'PlotApiUrl', {
      description: 'Base URL of the plot API (stage dev): /plot?window=10, /docs',
      value: this.apiUrl,
    });
    if (this.apiKeyAccess !== undefined) {
      const keyId = this.apiKeyAccess.key.keyId;
      new CfnOutput(this, PLOT_API_ACCESS_OUTPUTS.keyId, {
        description: 'The API key every request must send as the header x-api-key (its id, not its value)',
        value: keyId,
      });
      new CfnOutput(this, 'ApiKeyValueCommand', {
        description: 'Prints the API key\'s value',
        value: `aws apigateway get-api-key --api-key ${keyId} --include-value --query value --output text`,
      });
    }
    if (this.protection.auth === 'iam') {
      new CfnOutput(this, 'ApiInvokeArn', {
        description: 'Allow execute-api:Invoke on this to the principals that may call the API (requests signed with SigV4)',
        value: this.restApi.arnForExecuteApi('*', '/*', API_STAGE),
      });
      new CfnOutput(this, PLOT_API_ACCESS_OUTPUTS.restApiId, {
        description: 'The id of the REST API (the driver is allowed execute-api:Invoke on its GET methods)',
        value: this.restApi.restApiId,
      });
    }
    const output = (name: string) => Fn.getStackOutput(this.stackName, name, this.region);
    this.access =
      this.protection.auth === 'apiKey'
        ? { auth: 'apiKey', keyId: output(PLOT_API_ACCESS_OUTPUTS.keyId) }
        : this.protection.auth === 'iam'
          ? { auth: 'iam', restApiId: output(PLOT_API_ACCESS_OUTPUTS.restApiId) }
          : { auth: 'none' };
    if (this.rateLimit !== undefined) {
      new CfnOutput(this, 'WebAclArn', {
        description: `The WAF web ACL on the stage: at most ${this.protection.wafRateLimit} requests per 5 minutes per client IP`,
        value: this.rateLimit.webAcl.attrArn,
      });
    }
  }

  /** The findings on the public API that this app accepts, each with its reason. */
  private acknowledgeNagFindings(): void {
    const throttle = `stage throttling (${STAGE_THROTTLE.rateLimit} rps, burst ${STAGE_THROTTLE.burstLimit})`;
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'One proxy integration: the api validates its own query parameters and answers 400/422 JSON; ' +
        'an API Gateway request validator cannot express those rules.',
    });
    // With AWS_IAM authorization the methods are authorized and APIG4 does not apply.
    if (this.protection.auth === 'none') {
      Validations.of(this.restApi.root).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'A public, read-only demo API without user accounts (apiAuth none, the default, so that the dashboard and ' +
          `Swagger UI open in a browser): it exposes the size history and plots of one bucket, writes only plots/, and is bounded by ${throttle}.`,
      });
    } else if (this.protection.auth === 'apiKey') {
      Validations.of(this.restApi.root).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Every method requires an API key (apiAuth apiKey) of a usage plan with a daily quota and a throttle; ' +
          'cdk-nag does not count an API key as authorization, and the API has no user accounts to authorize.',
      });
    }
    Validations.of(this.restApi.root).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        this.protection.auth === 'iam'
          ? 'Callers are IAM principals (AWS_IAM authorization on every method), not users of an app: no Cognito user pool.'
          : 'No user accounts, so no Cognito user pool: see AwsSolutions-APIG4.',
    });
    if (this.rateLimit === undefined) {
      Validations.of(this.restApi.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: `No WAF web ACL unless wafRateLimit is set (a fixed monthly cost for a demo API); ${throttle} bounds the load.`,
      });
    }
    const cloudWatchRole = this.restApi.node.findChild('CloudWatchRole');
    Validations.of(cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'API Gateway logs through one account-level role; AmazonAPIGatewayPushToCloudWatchLogs is the policy ' +
        'AWS maintains for exactly that role.',
    });
  }
}
