import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WAF_EVALUATION_WINDOW } from './api-protection';

export interface ApiRateLimitProps {
  /** The stage the web ACL protects. */
  readonly stage: apigw.Stage;
  /** The most requests one client IP may make in WAF_EVALUATION_WINDOW before WAF blocks it. */
  readonly requestsPerWindow: number;
}

/** The rate-based rule's name, also its CloudWatch metric (AWS/WAFV2, dimension Rule). */
export const RATE_RULE_NAME = 'RateLimitPerIp';

/**
 * A regional WAF v2 web ACL, associated with the stage, with one rate-based rule: a client IP that made more
 * than `requestsPerWindow` requests in the last 5 minutes is answered 403 until its rate falls below it.
 * Everything else is allowed. The ACL costs a fixed amount a month (one ACL, one rule) plus per request.
 */
export class ApiRateLimit extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly association: wafv2.CfnWebACLAssociation;

  constructor(scope: Construct, id: string, props: ApiRateLimitProps) {
    super(scope, id);
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      description: 'Rate limit per client IP on the s3-size-micro plot API',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules: [
        {
          name: RATE_RULE_NAME,
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.requestsPerWindow,
              evaluationWindowSec: WAF_EVALUATION_WINDOW.toSeconds(),
            },
          },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: RATE_RULE_NAME, sampledRequestsEnabled: true },
        },
      ],
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'PlotApiWebAcl', sampledRequestsEnabled: true },
    });
    this.association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
