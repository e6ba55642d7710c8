import { Duration, Token } from 'aws-cdk-lib';

/**
 * How S3's events reach the tracker: the bucket notifies the events queue, a Lambda event source mapping
 * hands the tracker batches of it, a message that keeps failing moves to the dead-letter queue, and two
 * alarms say when something waits. The numbers the deployer may choose are the props below (also CDK
 * context values, `-c trackerBatchSize=100`); the others are fixed here, each with its reason.
 */
export interface TrackerDeliveryProps {
  /**
   * The most messages (one S3 event each) the tracker gets in one invocation: 1 … 10 000. Over 10 needs a
   * batching window of at least 1 s (AWS refuses the mapping otherwise).
   * @default 1000
   */
  readonly trackerBatchSize?: number;
  /**
   * How long the event source gathers messages before it invokes the tracker, in whole seconds: 0 … 300.
   * @default 1
   */
  readonly trackerBatchWindowSeconds?: number;
  /**
   * The most tracker instances the event source runs at once: 2 … 1000 (the SQS event source's range).
   * @default 5
   */
  readonly trackerMaxConcurrency?: number;
  /**
   * Concurrency reserved for the tracker. Unset, nothing is reserved: a new account's quota may be 10, and
   * AWS refuses a reservation that leaves fewer than 10 unreserved. When set, `trackerMaxConcurrency` must
   * not exceed it, or receives the function cannot run are throttled and count towards the dead-letter
   * queue's `maxReceiveCount`.
   * @default - no reservation
   */
  readonly trackerReservedConcurrency?: number;
  /**
   * The age, in whole minutes, of the events queue's oldest message above which the age alarm fires: from 1
   * to less than the queue's retention (4 days).
   * @default 15
   */
  readonly oldestMessageAlarmMinutes?: number;
  /** An email address subscribed to the alarm topic (SNS asks it to confirm). @default - no subscription */
  readonly alarmEmail?: string;
}

/** The settings with their defaults applied, all checked. */
export interface TrackerDelivery {
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly reservedConcurrency?: number;
  readonly oldestMessageAlarmMinutes: number;
  readonly alarmEmail?: string;
}

export const DELIVERY_DEFAULTS = {
  trackerBatchSize: 1000,
  trackerBatchWindowSeconds: 1,
  trackerMaxConcurrency: 5,
  oldestMessageAlarmMinutes: 15,
} as const;

/** How long the events queue keeps a message (SQS's default). */
export const EVENTS_RETENTION = Duration.days(4);

/**
 * How long the dead-letter queue keeps a message: SQS's maximum. A standard queue's message keeps its first
 * enqueue time when it moves to the dead-letter queue, so this must be longer than EVENTS_RETENTION, or a
 * message that failed late would expire there at once.
 */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/** Receives of one message before SQS moves it to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/**
 * The events queue's visibility timeout is this many times the tracker's timeout: AWS's advice for a queue
 * a Lambda function consumes, so Lambda may retry a throttled batch before the message is visible again.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** A deployer's choice the stack refuses; the message names the prop (also the context key). */
export class InvalidOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOptionError';
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** `value`, or an InvalidOptionError naming the prop when it is not a whole number from `min` to `max`. */
export function wholeNumber(name: string, value: number, min: number, max: number, why = ''): number {
  if (Token.isUnresolved(value)) return value;
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new InvalidOptionError(`${name} must be a whole number ${range}${why}, got ${value}`);
  }
  return value;
}

/** The props with their defaults, or an InvalidOptionError naming the first prop AWS would refuse. */
export function trackerDelivery(props: TrackerDeliveryProps): TrackerDelivery {
  const batchSize = wholeNumber('trackerBatchSize', props.trackerBatchSize ?? DELIVERY_DEFAULTS.trackerBatchSize, 1, 10_000);
  const batchWindowSeconds = wholeNumber(
    'trackerBatchWindowSeconds',
    props.trackerBatchWindowSeconds ?? DELIVERY_DEFAULTS.trackerBatchWindowSeconds,
    0,
    300,
  );
  if (!Token.isUnresolved(batchSize) && !Token.isUnresolved(batchWindowSeconds) && batchSize > 10 && batchWindowSeconds < 1) {
    throw new InvalidOptionError(
      `trackerBatchWindowSeconds must be at least 1 when trackerBatchSize is over 10 (AWS refuses a larger batch ` +
        `without a batching window), got trackerBatchSize ${batchSize} and trackerBatchWindowSeconds ${batchWindowSeconds}`,
    );
  }
  const maxConcurrency = wholeNumber(
    'trackerMaxConcurrency',
    props.trackerMaxConcurrency ?? DELIVERY_DEFAULTS.trackerMaxConcurrency,
    2,
    1000,
    " (the SQS event source's maximum concurrency)",
  );
  const reservedConcurrency =
    props.trackerReservedConcurrency === undefined
      ? undefined
      : wholeNumber('trackerReservedConcurrency', props.trackerReservedConcurrency, 1, Infinity);
  if (
    reservedConcurrency !== undefined &&
    !Token.isUnresolved(reservedConcurrency) &&
    !Token.isUnresolved(maxConcurrency) &&
    maxConcurrency > reservedConcurrency
  ) {
    throw new InvalidOptionError(
      `trackerMaxConcurrency (${maxConcurrency}) must not exceed trackerReservedConcurrency (${reservedConcurrency}): ` +
        'the event source would receive batches the function may not run, and each throttled receive counts ' +
        `towards the ${MAX_RECEIVE_COUNT} after which a message moves to the dead-letter queue`,
    );
  }
  const retentionMinutes = EVENTS_RETENTION.toMinutes();
  const oldestMessageAlarmMinutes = wholeNumber(
    'oldestMessageAlarmMinutes',
    props.oldestMessageAlarmMinutes ?? DELIVERY_DEFAULTS.oldestMessageAlarmMinutes,
    1,
    retentionMinutes - 1,
    ` (under the events queue's retention of ${EVENTS_RETENTION.toHumanString()})`,
  );
  const alarmEmail = props.alarmEmail;
  if (alarmEmail !== undefined && !Token.isUnresolved(alarmEmail) && !EMAIL.test(alarmEmail)) {
    throw new InvalidOptionError(`alarmEmail must be an email address, got ${JSON.stringify(alarmEmail)}`);
  }
  return { batchSize, batchWindowSeconds, maxConcurrency, reservedConcurrency, oldestMessageAlarmMinutes, alarmEmail };
}

/** The events queue's visibility timeout for a consumer whose timeout is `functionTimeout`. */
export function visibilityTimeoutFor(functionTimeout: Duration): Duration {
  return Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * functionTimeout.toSeconds());
}
