import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { ApiAuth } from './api-protection';
import { RUST_LOG } from './constants';
import type { ResourceArns } from './grants';
import type { PlotApiAccess } from './plot-lambda-stack';
import { RustFunction } from './rust-function';

/**
 * PLOT_API_AUTH, as the driver reads it, for each `apiAuth` of the plot API; unset under `none` (the driver's
 * default: it calls the API without credentials).
 */
export const PLOT_API_AUTH: Readonly<Record<ApiAuth, string | undefined>> = {
  none: undefined,
  apiKey: 'api-key',
  iam: 'iam',
};

export interface DriverLambdaStackProps extends StackProps {
  readonly bucketName: string;
  readonly bucketArn: string;
  /** The plot API's stage URL (ending with `/dev/`). */
  readonly plotApiUrl: string;
  /** How the plot API authenticates the driver (PlotLambdaStack's `access`). @default - `none` */
  readonly plotApiAccess?: PlotApiAccess;
  readonly dev: boolean;
}

/**
 * The driver: plays the scenario against the bucket, then asks the api for the plot, with the API key (it
 * reads the key's value at each invocation) or signing its requests (SigV4), as the plot API's `apiAuth` asks.
 */
export class DriverLambdaStack extends Stack {
  readonly driver: RustFunction;

  constructor(scope: Construct, id: string, props: DriverLambdaStackProps) {
    super(scope, id, props);
    const access = props.plotApiAccess ?? { auth: 'none' };
    const auth = PLOT_API_AUTH[access.auth];
    // The key and the API as this stack sees them: their ids are read from the plot stack's outputs.
    const resources: ResourceArns = {
      bucketArn: props.bucketArn,
      ...(access.auth === 'apiKey' && { plotApiKey: apigw.ApiKey.fromApiKeyId(this, 'PlotApiKey', access.keyId) }),
      ...(access.auth === 'iam' && { plotApi: apigw.RestApi.fromRestApiId(this, 'PlotApi', access.restApiId) }),
    };
    this.driver = new RustFunction(this, 'Driver', {
      contractName: 'driver',
      description: 'Puts, overwrites and deletes objects, sleeping between steps, then requests the plot',
      environment: {
        BUCKET_NAME: props.bucketName,
        PLOT_API_URL: props.plotApiUrl,
        ...(auth !== undefined && { PLOT_API_AUTH: auth }),
        ...(access.auth === 'apiKey' && { PLOT_API_KEY_ID: access.keyId }),
        RUST_LOG,
      },
      resources,
      apiAuth: access.auth,
      // Well beyond the scenario's sleeps and the plot request.
      timeout: Duration.minutes(2),
      memorySize: 256,
      dev: props.dev,
    });

    new CfnOutput(this, 'DriverFunctionName', {
      description: 'Invoke it to play the scenario: aws lambda invoke --function-name <this> out.json',
      value: this.driver.function.functionName,
    });
  }
}
