import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';

/**
 * Runs the cdk-nag AwsSolutions pack on every synthesis of `app`, as a validation plugin: any finding
 * that is not acknowledged (`Validations.of(construct).acknowledge`, next to the construct) fails it.
 */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/**
 * The cdk-nag finding id for an IAM statement whose resource holds a wildcard, e.g.
 * `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::name/plots/*]`: references print as `<Ref>`
 * and `<Logical.Attribute>`, as cdk-nag prints them.
 */
export function wildcardResourceFinding(scope: Construct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
}

function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (typeof object.Ref === 'string') return `<${object.Ref}>`;
    const getAtt = object['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = object['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(flatten).join(join[0]);
    }
  }
  return JSON.stringify(value);
}
