import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { TRACKER_ERRORS_PERIOD } from './tracker-alarms';
import { reconcileMetric, TRACKER_METRICS, trackerMetric } from './tracker-metrics';

export interface TrackerDashboardProps {
  /**
   * The tracked buckets, the stack's own first: each is the reconcile's `Bucket` dimension and S3's
   * `BucketName`, and has a row of its own.
   */
  readonly bucketNames: readonly string[];
  /** Shown by state. */
  readonly alarms: cloudwatch.IAlarm[];
}

/** S3 publishes its storage metrics once a day; the tracked figures are drawn per day beside them. */
export const STORAGE_PERIOD = Duration.days(1);

/** What the dashboard shows when it opens: two weeks of daily points. */
export const DASHBOARD_RANGE = Duration.days(14);

/** The drift of the finished walks: one point per walk at most, in the tick it finished. */
const DRIFT_PERIOD = Duration.minutes(15);

/**
 * `BucketSizeBytes` of `bucketName` summed over its storage classes: S3 publishes one series per
 * `StorageType` and none for all of them (unlike `NumberOfObjects`).
 */
export function bucketSizeExpression(bucketName: string): string {
  const search = `{AWS/S3,BucketName,StorageType} MetricName="BucketSizeBytes" BucketName="${bucketName}"`;
  return `SUM(SEARCH('${search}', 'Average', ${STORAGE_PERIOD.toSeconds()}))`;
}

const WHY_THEY_DIFFER = [
  '### Tracked size beside S3\'s own figures, one row per bucket',
  'The tracked figures are each bucket\'s **current objects** (in the stack\'s own bucket, those outside `plots/`), and ' +
    'beside them **all versions** (noncurrent versions and delete markers counted, a marker as 0 bytes), as of the ' +
    'reconcile\'s last tick. S3\'s `BucketSizeBytes` (summed over its storage types) and `NumberOfObjects` count ' +
    '**noncurrent versions** too (if versioning is enabled), and also the own bucket\'s `plots/` and the parts of ' +
    '**incomplete multipart uploads**, and S3 publishes them **once a day**: they lag by up to a day.',
].join('\n\n');

/** The row of one bucket: its size and object count beside S3's, and the drift its walks found. */
function bucketRow(bucket: string): cloudwatch.IWidget[] {
  const daily = { period: STORAGE_PERIOD };
  return [
    new cloudwatch.GraphWidget({
      title: `${bucket}: size (bytes), tracked vs S3, daily`,
      width: 8,
      left: [
        reconcileMetric('TrackedSizeBytes', bucket, { ...daily, label: 'tracked (current objects)' }),
        new cloudwatch.MathExpression({
          expression: bucketSizeExpression(bucket),
          ...daily,
          label: 'S3 BucketSizeBytes (all storage classes)',
        }),
        reconcileMetric('TrackedAllVersionsSizeBytes', bucket, { ...daily, label: 'tracked (all versions)' }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: `${bucket}: objects, tracked vs S3, daily`,
      width: 8,
      left: [
        reconcileMetric('TrackedObjectCount', bucket, { ...daily, label: 'tracked (current objects)' }),
        new cloudwatch.Metric({
          namespace: 'AWS/S3',
          metricName: 'NumberOfObjects',
          dimensionsMap: { BucketName: bucket, StorageType: 'AllStorageTypes' },
          statistic: cloudwatch.Stats.AVERAGE,
          ...daily,
          label: 'S3 NumberOfObjects',
        }),
        reconcileMetric('TrackedVersionCount', bucket, { ...daily, label: 'tracked (all versions)' }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: `${bucket}: reconcile drift per finished walk (listed minus tracked)`,
      width: 8,
      left: [
        reconcileMetric('KeysCorrected', bucket, { period: DRIFT_PERIOD }),
        reconcileMetric('DriftObjects', bucket, { period: DRIFT_PERIOD }),
      ],
      right: [reconcileMetric('DriftBytes', bucket, { period: DRIFT_PERIOD })],
    }),
  ];
}

/**
 * A CloudWatch dashboard of the tracked buckets: for each bucket a row of its tracked size and object count
 * (from the reconcile's metrics) beside S3's daily storage metrics for the same bucket, and the drift its
 * reconcile walks found; then the tracker's record counts and the alarms. It opens on DASHBOARD_RANGE, each graph at its own period.
 *
 * Named after the stack and the region: a dashboard's name is unique in the account, across regions.
 */
export class TrackerDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly dashboardName: string;
  /** The dashboard in the CloudWatch console. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: TrackerDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.dashboardName = `${stack.stackName}-${stack.region}`;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      defaultInterval: DASHBOARD_RANGE,
      // Keep each graph's period: S3's storage metrics have one point a day.
      periodOverride: cloudwatch.PeriodOverride.INHERIT,
      widgets: [
        [new cloudwatch.TextWidget({ markdown: WHY_THEY_DIFFER, width: 24, height: 3 })],
        ...props.bucketNames.map(bucketRow),
        [
          new cloudwatch.GraphWidget({
            title: `Tracker records, all buckets (sum per ${TRACKER_ERRORS_PERIOD.toMinutes()} min)`,
            width: 24,
            left: TRACKER_METRICS.map((name) => trackerMetric(name, { period: TRACKER_ERRORS_PERIOD })),
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24 })],
      ],
    });
    this.url =
      `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}` +
      `#dashboards/dashboard/${this.dashboardName}`;
  }
}
