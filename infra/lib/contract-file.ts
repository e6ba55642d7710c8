import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './repo-root';

/**
 * Reading the JSON files in `<repo>/contract/`, which the Rust code and the infra both derive from.
 * A malformed file stops the app, when lib/ is loaded and before any stack is built, with an error that
 * names the file and the field.
 */

const CONTRACT_DIR = path.join(REPO_ROOT, 'contract');

export class ContractError extends Error {
  constructor(file: string, where: string, problem: string) {
    super(`contract/${file}: ${where}: ${problem}`);
    this.name = 'ContractError';
  }
}

/** The content of `contract/<file>`, unchecked: each module that reads a file checks its own fields. */
export function readContractFile(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(CONTRACT_DIR, file), 'utf8'));
}

/** A key that documents the file, at any level, and is no entry of it. */
const COMMENT_KEY = '$comment';

/** Checks one field of a contract file and names it (`functions.api.binary`) when it is wrong. */
export class FieldReader {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly value: unknown,
  ) {}

  field(name: string): FieldReader {
    return new FieldReader(this.file, this.where ? `${this.where}.${name}` : name, this.object()[name]);
  }

  fail(problem: string): never {
    throw new ContractError(this.file, this.where || 'top level', problem);
  }

  object(): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) {
      this.fail(`expected an object, got ${JSON.stringify(this.value)}`);
    }
    return this.value as Record<string, unknown>;
  }

  /** The object's keys, without `$comment`. */
  keys(): string[] {
    return Object.keys(this.object()).filter((key) => key !== COMMENT_KEY);
  }

  entries(): Array<[string, FieldReader]> {
    return this.keys().map((key) => [key, this.field(key)]);
  }

  items(): FieldReader[] {
    if (!Array.isArray(this.value)) this.fail(`expected an array, got ${JSON.stringify(this.value)}`);
    return this.value.map((item, index) => new FieldReader(this.file, `${this.where}[${index}]`, item));
  }

  string(pattern?: RegExp): string {
    if (typeof this.value !== 'string' || this.value === '') this.fail(`expected a string, got ${JSON.stringify(this.value)}`);
    if (pattern && !pattern.test(this.value)) this.fail(`${JSON.stringify(this.value)} does not match ${pattern}`);
    return this.value;
  }

  oneOf<T extends string>(allowed: readonly T[]): T {
    const value = this.string();
    if (!(allowed as readonly string[]).includes(value)) this.fail(`expected one of ${allowed.join(', ')}, got ${value}`);
    return value as T;
  }

  strings(pattern?: RegExp): string[] {
    const values = this.items().map((item) => item.string(pattern));
    const repeated = values.find((value, index) => values.indexOf(value) !== index);
    if (repeated !== undefined) this.fail(`${repeated} is listed twice`);
    return values;
  }

  /** `null` or absent reads as undefined. */
  optional<T>(read: (field: FieldReader) => T): T | undefined {
    return this.value === null || this.value === undefined ? undefined : read(this);
  }
}
