import { Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InvalidOptionError } from './tracker-delivery';

export interface TrackedBucketsProps {
  /**
   * Existing buckets to track beside the stack's own: their objects are counted, reconciled, shown on the
   * dashboard and watched by a drift alarm, each bucket apart.
   *
   * Each must be in the stack's account and region: an EventBridge rule cannot target an SQS queue in
   * another region, and S3 sends a bucket's EventBridge events to the default event bus of the bucket's
   * own region. Its owner turns on its EventBridge notifications first (`tracker enable-eventbridge
   * --bucket NAME`); the stack never writes a bucket's notification configuration. The stack adds one
   * EventBridge rule per bucket, on the default bus, to the events queue, and lets the tracker and the
   * reconcile read that bucket (ListBucket, GetObject on its objects).
   *
   * A name must be an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens, beginning and
   * ending with a letter or digit, no `..`, not an IP address, none of the reserved prefixes and suffixes
   * of TRACKED_BUCKET_RESERVED), written out (not a token), listed once, and not the stack's own bucket.
   * @default - none: only the stack's own bucket is tracked
   */
  readonly trackedBuckets?: readonly string[];
}

/** The prefixes and suffixes S3 reserves: no bucket a stack could track is named so. */
export const TRACKED_BUCKET_RESERVED = {
  prefixes: ['xn--', 'sthree-', 'amzn-s3-demo-'],
  suffixes: ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'],
} as const;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Why `name` is not an S3 bucket name, or undefined when it is one. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'a bucket name is 3 to 63 characters long';
  if (!BUCKET_NAME.test(name)) {
    return 'a bucket name holds only lowercase letters, digits, dots and hyphens, and begins and ends with a letter or digit';
  }
  if (name.includes('..')) return 'a bucket name has no two dots in a row';
  if (IP_ADDRESS.test(name)) return 'a bucket name is not shaped like an IP address';
  const prefix = TRACKED_BUCKET_RESERVED.prefixes.find((p) => name.startsWith(p));
  if (prefix !== undefined) return `S3 reserves the prefix ${prefix}`;
  const suffix = TRACKED_BUCKET_RESERVED.suffixes.find((p) => name.endsWith(p));
  if (suffix !== undefined) return `S3 reserves the suffix ${suffix}`;
  return undefined;
}

/**
 * The tracked buckets, checked against each other and against `ownBucketName` (compared only when it is not
 * a token), or an InvalidOptionError naming `trackedBuckets`.
 */
export function trackedBuckets(props: TrackedBucketsProps, ownBucketName: string): readonly string[] {
  const names = props.trackedBuckets ?? [];
  names.forEach((name, index) => {
    if (typeof name !== 'string' || Token.isUnresolved(name)) {
      throw new InvalidOptionError(
        `trackedBuckets[${index}] must be a bucket name written out, not ${typeof name === 'string' ? 'a token' : JSON.stringify(name)}: ` +
          'its rule\'s logical id is made from it',
      );
    }
    const problem = bucketNameProblem(name);
    if (problem !== undefined) {
      throw new InvalidOptionError(`trackedBuckets: ${JSON.stringify(name)} is not an S3 bucket name (${problem})`);
    }
    if (names.indexOf(name) !== index) throw new InvalidOptionError(`trackedBuckets: ${name} is listed twice`);
    if (!Token.isUnresolved(ownBucketName) && name === ownBucketName) {
      throw new InvalidOptionError(`trackedBuckets: ${name} is the stack's own bucket, which is tracked already`);
    }
  });
  return [...names];
}

/** The EventBridge events of a bucket that the tracker applies: what S3 sends for a bucket's objects. */
export const TRACKED_DETAIL_TYPES = ['Object Created', 'Object Deleted'] as const;

/** The rule of one tracked bucket: its events on the default bus go to the events queue. */
export function trackedBucketPattern(bucketName: string): events.EventPattern {
  return {
    source: ['aws.s3'],
    detailType: [...TRACKED_DETAIL_TYPES],
    detail: { bucket: { name: [bucketName] } },
  };
}

export interface TrackedBucketRulesProps {
  /** The checked names (trackedBuckets()). */
  readonly buckets: readonly string[];
  /** Where the events go: the queue the tracker consumes. */
  readonly eventsQueue: sqs.IQueue;
  /** Where an event EventBridge could not deliver goes: the events queue's own dead-letter queue. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * One EventBridge rule per tracked bucket, on the default bus of the stack's region, sending the bucket's
 * Object Created and Object Deleted events to the events queue. The queue's policy lets each rule send,
 * by its ARN, and no other rule; the dead-letter queue's policy lets each rule send the events it could not
 * deliver (after EventBridge's retries), which `tracker redrive` moves back into the events queue.
 *
 * Each rule's construct id is its bucket's name, so its logical id depends on that name alone: adding or
 * removing a bucket leaves the other rules as they are. Nothing here writes a bucket's notification
 * configuration: its owner turns its EventBridge notifications on.
 */
export class TrackedBucketRules extends Construct {
  /** Bucket name → its rule. */
  readonly rules: ReadonlyMap<string, events.Rule>;

  constructor(scope: Construct, id: string, props: TrackedBucketRulesProps) {
    super(scope, id);
    const rules = new Map<string, events.Rule>();
    for (const bucket of props.buckets) {
      const rule = new events.Rule(this, bucket, {
        description: `The S3 object events of the tracked bucket ${bucket}, to the tracker's events queue`,
        eventPattern: trackedBucketPattern(bucket),
      });
      rule.addTarget(new targets.SqsQueue(props.eventsQueue, { deadLetterQueue: props.deadLetterQueue }));
      rules.set(bucket, rule);
    }
    this.rules = rules;
  }
}
