import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RUST_LOG } from './constants';
import { RustFunction } from './rust-function';

export interface DriverLambdaStackProps extends StackProps {
  readonly bucketName: string;
  readonly bucketArn: string;
  /** The plot API's stage URL (ending with `/dev/`). */
  readonly plotApiUrl: string;
  readonly dev: boolean;
}

/** The driver: plays the scenario against the bucket, then asks the api for the plot. */
export class DriverLambdaStack extends Stack {
  readonly driver: RustFunction;

  constructor(scope: Construct, id: string, props: DriverLambdaStackProps) {
    super(scope, id, props);
    this.driver = new RustFunction(this, 'Driver', {
      contractName: 'driver',
      description: 'Puts, overwrites and deletes objects, sleeping between steps, then requests the plot',
      environment: {
        BUCKET_NAME: props.bucketName,
        PLOT_API_URL: props.plotApiUrl,
        RUST_LOG,
      },
      resources: { bucketArn: props.bucketArn },
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
