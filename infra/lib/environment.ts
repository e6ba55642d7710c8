import type { FunctionContract } from './function-contract';

/**
 * Why an environment does not fit a function's contract: a variable nobody in the function reads (a
 * leftover that misleads whoever reads the configuration), or a required one that is missing (the binary
 * would stop at start). Empty when it fits.
 */
export function environmentProblems(contract: FunctionContract, environment: Readonly<Record<string, string>>): string[] {
  const { required, optional, readByOthers } = contract.environment;
  const read = new Set([...required, ...optional, ...Object.keys(readByOthers)]);
  const set = Object.keys(environment);
  return [
    ...set.filter((name) => !read.has(name)).map((name) => `${name} is set but neither ${contract.binary} nor the runtime reads it`),
    ...required.filter((name) => !set.includes(name)).map((name) => `${name} is required by ${contract.binary} but not set`),
  ];
}

/** Refuses, at synthesis, an environment that does not fit contract/functions.json. */
export function checkEnvironment(contract: FunctionContract, environment: Readonly<Record<string, string>>): void {
  const problems = environmentProblems(contract, environment);
  if (problems.length > 0) {
    throw new Error(`${contract.name} function environment (contract/functions.json): ${problems.join('; ')}`);
  }
}
