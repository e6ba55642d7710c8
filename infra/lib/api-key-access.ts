import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { STAGE_THROTTLE } from './api-protection';

export interface ApiKeyAccessProps {
  readonly restApi: apigw.RestApi;
  /** The stage the key may call. */
  readonly stage: apigw.Stage;
  /** The requests the key may make a day. */
  readonly quotaPerDay: number;
}

/**
 * The API key of `apiAuth` `apiKey`, and the usage plan that lets it call the stage: a quota per day and a
 * throttle (the stage's, STAGE_THROTTLE). API Gateway generates the key's value; it is read with
 * `aws apigateway get-api-key --api-key <id> --include-value`, and sent as the header `x-api-key`.
 */
export class ApiKeyAccess extends Construct {
  readonly key: apigw.ApiKey;
  readonly plan: apigw.UsagePlan;

  constructor(scope: Construct, id: string, props: ApiKeyAccessProps) {
    super(scope, id);
    this.key = new apigw.ApiKey(this, 'Key', {
      description: 'The key of the s3-size-micro plot API (header x-api-key)',
      enabled: true,
    });
    this.plan = new apigw.UsagePlan(this, 'Plan', {
      description: `The plot API's key: ${props.quotaPerDay} requests a day`,
      apiStages: [{ api: props.restApi, stage: props.stage }],
      quota: { limit: props.quotaPerDay, period: apigw.Period.DAY },
      throttle: { rateLimit: STAGE_THROTTLE.rateLimit, burstLimit: STAGE_THROTTLE.burstLimit },
    });
    this.plan.addApiKey(this.key);
  }
}
