/**
 * Names shared by the stacks, the tests and the Rust binaries (which read them from the environment).
 * What the Rust code and the infra must agree on (binaries, variables, calls, tables) is in contract/.
 */
import { onlyIndexName } from './table-contract';

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

/**
 * The history table's GSI (`by-size`): the all-time max is one Query with Limit 1, descending. Its name,
 * like every other table fact, comes from contract/dynamodb-tables.json.
 */
export const HISTORY_GSI = onlyIndexName('history');

/** Keys under this prefix never change the tracked size; the api writes only here. */
export const PLOTS_PREFIX = 'plots/';

/** Where the api stores each rendered plot (`domain::PLOT_RENDERS_PREFIX`); expired after a day. */
export const PLOT_RENDERS_PREFIX = `${PLOTS_PREFIX}renders/`;

/** The API Gateway stage; PlotApiUrl ends with `/dev/`. */
export const API_STAGE = 'dev';

export const RUST_LOG = 'info';

/** The one command that builds the Lambda zips. */
export const BUILD_COMMAND = 'npm --prefix infra run build:lambdas';
