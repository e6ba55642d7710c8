/**
 * Names shared by the stacks, the tests and the Rust binaries (which read them from the environment).
 */

/** Version of the Lambda Web Adapter layer attached to the api function. */
export const LWA_LAYER_VERSION = 26;

/** The account that publishes the Lambda Web Adapter layers. */
export const LWA_LAYER_ACCOUNT = '753240598075';

/** ARN of the arm64 Lambda Web Adapter layer in `region` (a token is fine). */
export function lwaLayerArn(region: string, version: number = LWA_LAYER_VERSION): string {
  return `arn:aws:lambda:${region}:${LWA_LAYER_ACCOUNT}:layer:LambdaAdapterLayerArm64:${version}`;
}

/** Port the api listens on under the Lambda Web Adapter. */
export const LWA_PORT = 8080;

/** Readiness path the Lambda Web Adapter polls before it forwards the first request. */
export const READINESS_PATH = '/healthz';

/** History table: one sample per change. */
export const HISTORY_PARTITION_KEY = 'bucket';
export const HISTORY_SORT_KEY = 'ts';
/** GSI of the history table: the all-time max is one Query with Limit 1, descending. */
export const HISTORY_GSI = 'by-size';
export const HISTORY_GSI_SORT_KEY = 'size_bytes';

/** ObjectIndex table: one row per tracked key and one totals row per bucket. */
export const INDEX_PARTITION_KEY = 'pk';
export const INDEX_SORT_KEY = 'sk';
export const INDEX_TTL_ATTRIBUTE = 'expires_at';

/** Keys under this prefix never change the tracked size; the api writes only here. */
export const PLOTS_PREFIX = 'plots/';
export const PLOT_KEY = `${PLOTS_PREFIX}plot.png`;

/** The API Gateway stage; PlotApiUrl ends with `/dev/`. */
export const API_STAGE = 'dev';

export const RUST_LOG = 'info';

/** The three binaries built by cargo-lambda, one Lambda function each. */
export const LAMBDA_BINARIES = ['tracker', 'api', 'driver'] as const;
export type LambdaBinary = (typeof LAMBDA_BINARIES)[number];

/** The one command that builds the Lambda zips. */
export const BUILD_COMMAND = 'npm --prefix infra run build:lambdas';
