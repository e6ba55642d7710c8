import { API_AUTH_MODES } from './api-protection';
import { FieldReader, readContractFile } from './contract-file';

/**
 * `contract/functions.json`: per Lambda function, the Rust binary that becomes its zip, the environment
 * variables the binary reads, and the AWS calls it makes. The Rust tests hold each binary to it; the
 * infra derives the zips, the environment checks and the IAM grants from it.
 */

const FILE = 'functions.json';

export interface EnvironmentContract {
  /** The binary stops at start without these. */
  readonly required: readonly string[];
  /** The binary reads these and has a default. */
  readonly optional: readonly string[];
  /** Read by something else in the function (the Lambda runtime, the Web Adapter layer, lambda_http): name → who. */
  readonly readByOthers: Readonly<Record<string, string>>;
}

export interface CallContract {
  /** The API call the binary makes, e.g. `dynamodb:TransactWriteItems`. */
  readonly operation: string;
  /** The IAM actions the call needs. */
  readonly actions: readonly string[];
  /** Symbolic resources (keys of the file's `resources`) the actions apply to. */
  readonly resources: readonly string[];
  /** The call is made, and granted, only in a deployment with this option (`"when": "apiAuth=apiKey"`). */
  readonly when?: CallCondition;
}

/**
 * The deployment options a call's `when` may name, each with the values it takes: only what the infra knows
 * and passes to the functions' grants (RustFunctionProps).
 */
export const CALL_CONDITION_OPTIONS = { apiAuth: API_AUTH_MODES } as const;

export type CallConditionOption = keyof typeof CALL_CONDITION_OPTIONS;

/** The options of one deployment, as the `when` of its functions' calls reads them. */
export type DeploymentOptions = {
  readonly [O in CallConditionOption]?: (typeof CALL_CONDITION_OPTIONS)[O][number];
};

/** `<option>=<value>`: the call applies only where the deployment's `option` is `value`. */
export interface CallCondition {
  readonly option: CallConditionOption;
  readonly value: string;
}

export interface FunctionContract {
  /** The contract's name of the function: `tracker`, `api`, `driver`. */
  readonly name: string;
  /** The cargo binary; cargo-lambda zips it to `target/lambda/<binary>/bootstrap.zip`. */
  readonly binary: string;
  readonly environment: EnvironmentContract;
  readonly calls: readonly CallContract[];
}

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
// Binaries name directories and cargo arguments: nothing a shell or a path would read differently.
const BINARY_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const IAM_ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+$/;
const CONDITION = /^([^=]+)=(.+)$/;

/** A call's `when`: an option the infra knows, and one of its values. */
function callCondition(field: FieldReader): CallCondition {
  const text = field.string();
  const parts = CONDITION.exec(text);
  if (!parts) field.fail(`expected <option>=<value>, got ${JSON.stringify(text)}`);
  const [, option, value] = parts;
  const options = Object.keys(CALL_CONDITION_OPTIONS);
  if (!options.includes(option)) {
    field.fail(`${option} is not an option a call may depend on (the infra knows ${options.join(', ')})`);
  }
  const values: readonly string[] = CALL_CONDITION_OPTIONS[option as CallConditionOption];
  if (!values.includes(value)) field.fail(`${option} must be one of ${values.join(', ')}, got ${value}`);
  return { option: option as CallConditionOption, value };
}

/** Parses the file's content (exported for the tests of its refusals). */
export function parseFunctions(json: unknown): { functions: FunctionContract[]; resources: Record<string, string> } {
  const root = new FieldReader(FILE, '', json);
  const resources = Object.fromEntries(root.field('resources').entries().map(([key, field]) => [key, field.string()]));
  const functions = root.field('functions').entries().map(([name, fn]): FunctionContract => {
    const env = fn.field('environment');
    const environment: EnvironmentContract = {
      required: env.field('required').strings(ENV_NAME),
      optional: env.field('optional').strings(ENV_NAME),
      readByOthers: Object.fromEntries(env.field('readByOthers').entries().map(([key, who]) => [key, who.string()])),
    };
    const listed = [...environment.required, ...environment.optional, ...Object.keys(environment.readByOthers)];
    const twice = listed.find((variable, index) => listed.indexOf(variable) !== index);
    if (twice !== undefined) env.fail(`${twice} is in more than one of required, optional, readByOthers`);
    for (const variable of Object.keys(environment.readByOthers)) {
      if (!ENV_NAME.test(variable)) env.field('readByOthers').fail(`${variable} is not a variable name`);
    }
    const calls = fn.field('calls').items().map((call): CallContract => {
      const symbolic = call.field('resources');
      const named = symbolic.strings();
      for (const resource of named) {
        if (!(resource in resources)) symbolic.fail(`${resource} is not described in resources`);
      }
      const when = call.field('when').optional(callCondition);
      return {
        operation: call.field('operation').string(IAM_ACTION),
        actions: call.field('actions').strings(IAM_ACTION),
        resources: named,
        ...(when !== undefined && { when }),
      };
    });
    return { name, binary: fn.field('binary').string(BINARY_NAME), environment, calls };
  });
  const binaries = functions.map((f) => f.binary);
  const shared = binaries.find((binary, index) => binaries.indexOf(binary) !== index);
  if (shared !== undefined) root.field('functions').fail(`two functions run the binary ${shared}`);
  return { functions, resources };
}

const parsed = parseFunctions(readContractFile(FILE));

/** Every function of the contract, in the file's order. */
export const FUNCTIONS: readonly FunctionContract[] = parsed.functions;

/** The symbolic resources the calls name, each with its description. */
export const CONTRACT_RESOURCES: Readonly<Record<string, string>> = parsed.resources;

/** The binaries to build, one zip each. */
export const LAMBDA_BINARIES: readonly string[] = FUNCTIONS.map((f) => f.binary);

export function functionContract(name: string): FunctionContract {
  const found = FUNCTIONS.find((f) => f.name === name);
  if (!found) {
    throw new Error(`contract/${FILE} has no function ${name} (it has ${FUNCTIONS.map((f) => f.name).join(', ')})`);
  }
  return found;
}
