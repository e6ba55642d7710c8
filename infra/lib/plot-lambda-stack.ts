import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_STAGE, HISTORY_GSI, LWA_LAYER_VERSION, LWA_PORT, lwaLayerArn, READINESS_PATH, RUST_LOG } from './constants';
import { removalPolicyFor } from './lambda-code';
import { RustFunction } from './rust-function';

export interface PlotLambdaStackProps extends StackProps {
  readonly historyTable: dynamodb.ITable;
  readonly bucketName: string;
  readonly bucketArn: string;
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

/** The api function and the REST API (stage `dev`) in front of it. */
export class PlotLambdaStack extends Stack {
  readonly api: RustFunction;
  readonly restApi: apigw.LambdaRestApi;
  /** The stage URL, ending with `/dev/`. */
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: PlotLambdaStackProps) {
    super(scope, id, props);
    const webAdapter = props.webAdapter ?? true;

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
        RUST_LOG,
        ...runtimeEnvironment,
      },
      resources: { historyTableArn: props.historyTable.tableArn, bucketArn: props.bucketArn },
      // API Gateway gives up after 29 s.
      timeout: Duration.seconds(29),
      memorySize: 1024,
      layers,
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
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        metricsEnabled: true,
      },
    });
    this.apiUrl = this.restApi.url;
    // PlotApiUrl below is the one output for the URL (LambdaRestApi adds an `Endpoint<hash>` one).
    this.restApi.node.tryRemoveChild('Endpoint');
    this.acknowledgeNagFindings();

    new CfnOutput(this, 'PlotApiUrl', {
      description: 'Base URL of the plot API (stage dev): /plot?window=10, /docs',
      value: this.apiUrl,
    });
  }

  /** The findings on the public API that this app accepts, each with its reason. */
  private acknowledgeNagFindings(): void {
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'One proxy integration: the api validates its own query parameters and answers 400/422 JSON; ' +
        'an API Gateway request validator cannot express those rules.',
    });
    Validations.of(this.restApi.root).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'A public, read-only demo API without user accounts: it exposes the size history and plots of one ' +
          'bucket, writes only plots/, and is bounded by stage throttling.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'No user accounts, so no Cognito user pool: see AwsSolutions-APIG4.',
      },
    );
    Validations.of(this.restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL for a demo API (a fixed monthly cost); stage throttling (50 rps, burst 100) bounds the load.',
    });
    const cloudWatchRole = this.restApi.node.findChild('CloudWatchRole');
    Validations.of(cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'API Gateway logs through one account-level role; AmazonAPIGatewayPushToCloudWatchLogs is the policy ' +
        'AWS maintains for exactly that role.',
    });
  }
}
