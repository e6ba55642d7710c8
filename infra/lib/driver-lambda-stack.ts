import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RUST_LOG } from './constants';
import { RustFunction, wildcardResourceFinding } from './lambda-code';

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
      binary: 'driver',
      description: 'Puts, overwrites and deletes objects, sleeping between steps, then requests the plot',
      environment: {
        BUCKET_NAME: props.bucketName,
        PLOT_API_URL: props.plotApiUrl,
        RUST_LOG,
      },
      // Well beyond the scenario's sleeps and the plot request.
      timeout: Duration.minutes(2),
      memorySize: 256,
      dev: props.dev,
    });
    this.driver.allow({
      sid: 'CheckBucket',
      actions: ['s3:ListBucket'],
      resources: [props.bucketArn],
    });
    const objects = `${props.bucketArn}/*`;
    this.driver.allow({
      sid: 'ScenarioObjects',
      actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
      resources: [objects],
    });
    Validations.of(this.driver.role).acknowledge({
      id: wildcardResourceFinding(this, objects),
      reason: 'The scenario puts, reads and deletes objects of its choosing in the tracked bucket, and only there.',
    });

    new CfnOutput(this, 'DriverFunctionName', {
      description: 'Invoke it to play the scenario: aws lambda invoke --function-name <this> out.json',
      value: this.driver.function.functionName,
    });
  }
}
