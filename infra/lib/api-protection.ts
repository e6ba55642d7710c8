import { Duration } from 'aws-cdk-lib';
import { InvalidOptionError, wholeNumber } from './tracker-delivery';

/**
 * How callers of the plot API authenticate:
 * - `none`: nobody does; the API is open, as the dashboard and Swagger UI in a browser expect;
 * - `apiKey`: every method requires an API key (header `x-api-key`), the one key of a usage plan with a
 *   daily quota and a throttle;
 * - `iam`: every method requires a request signed with SigV4 (AWS_IAM authorization) by a principal whose
 *   policies allow `execute-api:Invoke` on it.
 */
export const API_AUTH_MODES = ['none', 'apiKey', 'iam'] as const;
export type ApiAuth = (typeof API_AUTH_MODES)[number];

/**
 * What protects the plot API beyond the stage's throttling, which always applies. The props below are also
 * CDK context values (`-c apiAuth=apiKey`); the others are fixed here, each with its reason.
 */
export interface ApiProtectionProps {
  /** @default 'none' */
  readonly apiAuth?: ApiAuth;
  /**
   * With `apiAuth` `apiKey`: the requests the key may make a day (the usage plan's quota): 1 … a day at the
   * stage's rate limit. Refused with another `apiAuth`, where no usage plan exists.
   * @default 10000
   */
  readonly apiQuotaPerDay?: number;
  /**
   * A WAF web ACL on the stage that blocks a client IP over this many requests in 5 minutes: 10 (WAF's
   * minimum) … 2 000 000 000 (its maximum). A web ACL has a monthly cost.
   * @default - no web ACL
   */
  readonly wafRateLimit?: number;
  /**
   * Concurrency reserved for the api function: a pool no other function may use, and the most instances
   * the api runs at once, so it cannot take the concurrency the tracker and the rest of the account share.
   * Unset, nothing is reserved: a new account's quota may be 10, and AWS refuses a reservation that leaves
   * fewer than its minimum unreserved (10 in such an account).
   * @default - no reservation
   */
  readonly apiReservedConcurrency?: number;
}

/** The props with their defaults applied, all checked. */
export interface ApiProtection {
  readonly auth: ApiAuth;
  /** Only with `apiKey`. */
  readonly quotaPerDay?: number;
  readonly wafRateLimit?: number;
  readonly reservedConcurrency?: number;
}

export const API_PROTECTION_DEFAULTS = { apiAuth: 'none', apiQuotaPerDay: 10_000 } as const;

/**
 * The stage `dev` throttles every method to this (requests per second, and the bucket of a burst), whatever
 * else protects it; the usage plan of `apiKey` throttles its key the same.
 */
export const STAGE_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/** A quota above a day at the stage's rate limit could never be reached. */
export const MAX_QUOTA_PER_DAY = STAGE_THROTTLE.rateLimit * Duration.days(1).toSeconds();

/** The window a WAF rate-based rule counts requests in: `wafRateLimit` is per this window. */
export const WAF_EVALUATION_WINDOW = Duration.minutes(5);

/**
 * The limits AWS WAF accepts for a rate-based rule (`RateBasedStatement.Limit` of AWS::WAFv2::WebACL in the
 * CloudFormation resource schema; the minimum has been 10 since August 2024, 100 before).
 */
export const WAF_RATE_LIMIT = { min: 10, max: 2_000_000_000 } as const;

/** The props with their defaults, or an InvalidOptionError naming the first prop that is refused. */
export function apiProtection(props: ApiProtectionProps): ApiProtection {
  const auth = props.apiAuth ?? API_PROTECTION_DEFAULTS.apiAuth;
  if (!(API_AUTH_MODES as readonly string[]).includes(auth)) {
    throw new InvalidOptionError(`apiAuth must be one of ${API_AUTH_MODES.join(', ')}, got ${JSON.stringify(auth)}`);
  }
  if (props.apiQuotaPerDay !== undefined && auth !== 'apiKey') {
    throw new InvalidOptionError(
      `apiQuotaPerDay applies only with apiAuth apiKey (it is the quota of the key's usage plan), got apiAuth ${auth}`,
    );
  }
  const quotaPerDay =
    auth === 'apiKey'
      ? wholeNumber(
          'apiQuotaPerDay',
          props.apiQuotaPerDay ?? API_PROTECTION_DEFAULTS.apiQuotaPerDay,
          1,
          MAX_QUOTA_PER_DAY,
          ` (a day at the stage's ${STAGE_THROTTLE.rateLimit} requests/s)`,
        )
      : undefined;
  const wafRateLimit =
    props.wafRateLimit === undefined
      ? undefined
      : wholeNumber(
          'wafRateLimit',
          props.wafRateLimit,
          WAF_RATE_LIMIT.min,
          WAF_RATE_LIMIT.max,
          ` (requests per ${WAF_EVALUATION_WINDOW.toMinutes()} minutes per client IP, the range AWS WAF accepts)`,
        );
  const reservedConcurrency =
    props.apiReservedConcurrency === undefined
      ? undefined
      : wholeNumber('apiReservedConcurrency', props.apiReservedConcurrency, 1, Infinity);
  return { auth, quotaPerDay, wafRateLimit, reservedConcurrency };
}

