#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createStacks, optionsFromContext } from '../lib/app';
import { MissingLambdaCodeError } from '../lib/lambda-code';

try {
  const app = new App();
  createStacks(app, optionsFromContext(app));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  if (error instanceof MissingLambdaCodeError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
