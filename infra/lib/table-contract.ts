import { FieldReader, readContractFile } from './contract-file';

/**
 * `contract/dynamodb-tables.json`: the two tables' keys, indexes, billing and TTL attribute. StorageStack
 * builds the tables from it, and the Rust schema code creates the same tables from it (local and tests),
 * so the two cannot disagree.
 */

const FILE = 'dynamodb-tables.json';

const ATTRIBUTE_TYPES = ['S', 'N', 'B'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

export interface KeyContract {
  readonly name: string;
  readonly type: AttributeType;
}

// INCLUDE would need the projected attributes, which the file has no field for.
const PROJECTIONS = ['ALL', 'KEYS_ONLY'] as const;
export type Projection = (typeof PROJECTIONS)[number];

export interface IndexContract {
  readonly name: string;
  readonly partitionKey: KeyContract;
  readonly sortKey?: KeyContract;
  readonly projection: Projection;
}

// Provisioned capacity would need read and write units, which the file has no field for.
const BILLING_MODES = ['PAY_PER_REQUEST'] as const;
export type BillingMode = (typeof BILLING_MODES)[number];

export interface TableContract {
  readonly partitionKey: KeyContract;
  readonly sortKey?: KeyContract;
  readonly globalSecondaryIndexes: readonly IndexContract[];
  readonly billing: BillingMode;
  readonly timeToLiveAttribute?: string;
}

/** The tables the file describes; StorageStack creates one construct per key. */
const TABLE_KEYS = ['history', 'index'] as const;
export type TableKey = (typeof TABLE_KEYS)[number];

function readKey(field: FieldReader): KeyContract {
  return { name: field.field('name').string(), type: field.field('type').oneOf(ATTRIBUTE_TYPES) };
}

function readTable(table: FieldReader): TableContract {
  return {
    partitionKey: readKey(table.field('partitionKey')),
    sortKey: table.field('sortKey').optional(readKey),
    globalSecondaryIndexes: table.field('globalSecondaryIndexes').items().map((index) => ({
      name: index.field('name').string(),
      partitionKey: readKey(index.field('partitionKey')),
      sortKey: index.field('sortKey').optional(readKey),
      projection: index.field('projection').oneOf(PROJECTIONS),
    })),
    billing: table.field('billing').oneOf(BILLING_MODES),
    timeToLiveAttribute: table.field('timeToLiveAttribute').optional((f) => f.string()),
  };
}

/** Parses the file's content (exported for the tests of its refusals). */
export function parseTables(json: unknown): Record<TableKey, TableContract> {
  const root = new FieldReader(FILE, '', json);
  const keys = root.keys();
  if (keys.slice().sort().join() !== TABLE_KEYS.slice().sort().join()) {
    root.fail(`expected the tables ${TABLE_KEYS.join(', ')}, found ${keys.join(', ')}: StorageStack creates exactly those`);
  }
  return { history: readTable(root.field('history')), index: readTable(root.field('index')) };
}

export const TABLES: Readonly<Record<TableKey, TableContract>> = parseTables(readContractFile(FILE));

/** The name of a table's only GSI; the history table's is what HISTORY_GSI and the `historyGsi` grant name. */
export function onlyIndexName(key: TableKey): string {
  const indexes = TABLES[key].globalSecondaryIndexes;
  if (indexes.length !== 1) {
    throw new Error(`contract/${FILE}: ${key} has ${indexes.length} global secondary indexes; the infra expects exactly one`);
  }
  return indexes[0].name;
}
