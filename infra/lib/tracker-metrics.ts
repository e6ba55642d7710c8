import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { FieldReader, readContractFile } from './contract-file';

/**
 * The metrics the Rust code emits (Embedded Metric Format lines of the tracker and the reconcile function),
 * read from `contract/metrics.json`, which a Rust test holds the emitted lines to: each line is a dimension
 * set and its metrics.
 */
export interface MetricLine {
  readonly dimensions: readonly string[];
  readonly metrics: readonly string[];
}

export interface MetricsContract {
  readonly namespace: string;
  readonly lines: Readonly<Record<string, MetricLine>>;
}

/** `contract/metrics.json` checked: a namespace, and lines of dimension names and metric names. */
export function parseMetrics(json: unknown): MetricsContract {
  const root = new FieldReader('metrics.json', '', json);
  const namespace = root.field('namespace').string();
  const lines = Object.fromEntries(
    root.field('lines').entries().map(([name, line]) => {
      const dimensions = line.field('dimensions').items().length === 0 ? [] : line.field('dimensions').strings();
      return [name, { dimensions, metrics: line.field('metrics').strings() }];
    }),
  );
  return { namespace, lines };
}

export const METRICS: MetricsContract = parseMetrics(readContractFile('metrics.json'));

/** The CloudWatch namespace of every metric the tracker and the reconcile function emit. */
export const METRICS_NAMESPACE = METRICS.namespace;

/** The line of the contract named `name`, which must hold `metric`. */
function lineWith(name: string, metric: string): MetricLine {
  const line = METRICS.lines[name];
  if (!line?.metrics.includes(metric)) throw new Error(`contract/metrics.json: lines.${name} has no metric ${metric}`);
  return line;
}

/** The tracker's record counts, once per invocation without a dimension (the `invocation` line). */
export const TRACKER_METRICS = ['RecordsApplied', 'RecordsSkipped', 'RecordsParked', 'MessagesFailed'] as const;

/**
 * A finished reconcile walk's figures, with the dimension `Bucket` (the `reconcile` line): `KeysCorrected`
 * (keys added, removed or resized), the drift it found (listed minus tracked) and the bucket's tracked totals.
 */
export const RECONCILE_METRICS = ['KeysCorrected', 'DriftBytes', 'DriftObjects', 'TrackedSizeBytes', 'TrackedObjectCount'] as const;

/**
 * The totals of a bucket's all-versions series (noncurrent versions and delete markers counted, as S3's own
 * daily figures count them), at every reconcile tick, with the dimension `Bucket` (the `allVersionsTotals` line).
 */
export const ALL_VERSIONS_METRICS = ['TrackedAllVersionsSizeBytes', 'TrackedVersionCount'] as const;

/** The dimension of the reconcile metrics: the walked bucket's name. */
export const BUCKET_DIMENSION = 'Bucket';

for (const name of TRACKER_METRICS) lineWith('invocation', name);
for (const [lineName, names] of [['reconcile', RECONCILE_METRICS], ['allVersionsTotals', ALL_VERSIONS_METRICS]] as const) {
  for (const name of names) {
    const line = lineWith(lineName, name);
    if (line.dimensions.join() !== BUCKET_DIMENSION) throw new Error(`contract/metrics.json: lines.${lineName} is not per ${BUCKET_DIMENSION}`);
  }
}

export type TrackerMetricName = (typeof TRACKER_METRICS)[number];
export type ReconcileMetricName = (typeof RECONCILE_METRICS)[number] | (typeof ALL_VERSIONS_METRICS)[number];

/** One of the tracker's counts. @default statistic Sum, period 5 minutes */
export function trackerMetric(name: TrackerMetricName, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    ...options,
  });
}

/**
 * How long after its event each applied record's sample was taken (ms): the largest of an invocation's, over
 * `period`.
 */
export function deliveryLagMetric(period: Duration): cloudwatch.Metric {
  lineWith('invocation', 'DeliveryLag');
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: 'DeliveryLag',
    statistic: cloudwatch.Stats.MAXIMUM,
    period,
  });
}

/** One of the reconcile's figures for `bucketName`. @default statistic Maximum, period 5 minutes */
export function reconcileMetric(
  name: ReconcileMetricName,
  bucketName: string,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [BUCKET_DIMENSION]: bucketName },
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.minutes(5),
    ...options,
  });
}
