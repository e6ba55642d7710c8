import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { HISTORY_GSI } from './constants';
import { removalPolicyFor } from './lambda-code';
import {
  type AttributeType,
  type BillingMode,
  type KeyContract,
  type Projection,
  type TableContract,
  TABLES,
} from './table-contract';

export interface StorageStackProps extends StackProps {
  /** A dev deployment: tables are destroyed with the stack; otherwise retained and protected. */
  readonly dev: boolean;
}

/**
 * The two DynamoDB tables, built from contract/dynamodb-tables.json (keys, indexes, projection, billing,
 * TTL): the size history (with the `by-size` index) and the ObjectIndex. What the file does not say
 * (recovery, encryption, protection, removal) is this stack's choice.
 */
export class StorageStack extends Stack {
  /** One sample per change: PK `bucket`, SK `ts` (epoch ms). */
  readonly historyTable: dynamodb.Table;
  /** One row per tracked key (tombstones expire by TTL) and one totals row per bucket. */
  readonly indexTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const operational = {
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: !props.dev,
      removalPolicy: removalPolicyFor(props.dev),
    };
    // The construct ids are the tables' logical ids: changing one would replace a table and its data.
    this.historyTable = tableFromContract(this, 'SizeHistory', TABLES.history, operational);
    this.indexTable = tableFromContract(this, 'ObjectIndex', TABLES.index, operational);

    new CfnOutput(this, 'TableName', {
      description: 'The size history table (HISTORY_TABLE)',
      value: this.historyTable.tableName,
    });
    new CfnOutput(this, 'GsiName', {
      description: 'The history index ordered by size (HISTORY_GSI)',
      value: HISTORY_GSI,
    });
    new CfnOutput(this, 'IndexTableName', {
      description: 'The ObjectIndex table (INDEX_TABLE)',
      value: this.indexTable.tableName,
    });
  }
}

type OperationalProps = Pick<
  dynamodb.TableProps,
  'pointInTimeRecoverySpecification' | 'encryption' | 'deletionProtection' | 'removalPolicy'
>;

function tableFromContract(scope: Construct, id: string, spec: TableContract, operational: OperationalProps): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    ...operational,
    partitionKey: attribute(spec.partitionKey),
    sortKey: spec.sortKey && attribute(spec.sortKey),
    billingMode: CDK_BILLING_MODES[spec.billing],
    timeToLiveAttribute: spec.timeToLiveAttribute,
  });
  for (const index of spec.globalSecondaryIndexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: attribute(index.partitionKey),
      sortKey: index.sortKey && attribute(index.sortKey),
      projectionType: CDK_PROJECTIONS[index.projection],
    });
  }
  return table;
}

// The file's DynamoDB names, as CDK spells them.
const CDK_ATTRIBUTE_TYPES: Record<AttributeType, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

const CDK_PROJECTIONS: Record<Projection, dynamodb.ProjectionType> = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
};

const CDK_BILLING_MODES: Record<BillingMode, dynamodb.BillingMode> = {
  PAY_PER_REQUEST: dynamodb.BillingMode.PAY_PER_REQUEST,
};

function attribute(key: KeyContract): dynamodb.Attribute {
  return { name: key.name, type: CDK_ATTRIBUTE_TYPES[key.type] };
}
