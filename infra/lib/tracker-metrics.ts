import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE } from './constants';

/**
 * The metrics the Rust code emits in METRICS_NAMESPACE, as `tracker/src/metrics.rs` declares them.
 *
 * The tracker emits its counts once per invocation, without dimensions.
 */
export const TRACKER_METRICS = ['RecordsApplied', 'RecordsSkipped', 'RecordsParked', 'MessagesFailed'] as const;

/**
 * A finished reconcile walk emits these once, with the dimension `Bucket`: `KeysCorrected` (keys added,
 * removed or resized), the drift it found (listed minus tracked) and the bucket's tracked totals.
 */
export const RECONCILE_METRICS = ['KeysCorrected', 'DriftBytes', 'DriftObjects', 'TrackedSizeBytes', 'TrackedObjectCount'] as const;

/** The dimension of the reconcile metrics: the walked bucket's name. */
export const BUCKET_DIMENSION = 'Bucket';

export type TrackerMetricName = (typeof TRACKER_METRICS)[number];
export type ReconcileMetricName = (typeof RECONCILE_METRICS)[number];

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

/** One of a finished reconcile walk's figures for `bucketName`. @default statistic Maximum, period 5 minutes */
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
