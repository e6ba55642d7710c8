import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  HISTORY_GSI,
  HISTORY_GSI_SORT_KEY,
  HISTORY_PARTITION_KEY,
  HISTORY_SORT_KEY,
  INDEX_PARTITION_KEY,
  INDEX_SORT_KEY,
  INDEX_TTL_ATTRIBUTE,
} from './constants';
import { removalPolicyFor } from './lambda-code';

export interface StorageStackProps extends StackProps {
  /** A dev deployment: tables are destroyed with the stack; otherwise retained and protected. */
  readonly dev: boolean;
}

/** The two DynamoDB tables: the size history (with the `by-size` index) and the ObjectIndex. */
export class StorageStack extends Stack {
  /** One sample per change: PK `bucket`, SK `ts` (epoch ms). */
  readonly historyTable: dynamodb.Table;
  /** One row per tracked key (tombstones expire by TTL) and one totals row per bucket. */
  readonly indexTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: !props.dev,
      removalPolicy: removalPolicyFor(props.dev),
    };

    this.historyTable = new dynamodb.Table(this, 'SizeHistory', {
      ...common,
      partitionKey: { name: HISTORY_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: HISTORY_SORT_KEY, type: dynamodb.AttributeType.NUMBER },
    });
    this.historyTable.addGlobalSecondaryIndex({
      indexName: HISTORY_GSI,
      partitionKey: { name: HISTORY_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: HISTORY_GSI_SORT_KEY, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.indexTable = new dynamodb.Table(this, 'ObjectIndex', {
      ...common,
      partitionKey: { name: INDEX_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: INDEX_SORT_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: INDEX_TTL_ATTRIBUTE,
    });

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
