#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { createStacks, optionsFromContext } from '../lib/app';
import { MissingLambdaCodeError } from '../lib/lambda-code';
import { addNagChecks } from '../lib/nag';
import { InvalidOptionError } from '../lib/tracker-delivery';

try {
  // cfn-lint checks the synthesized templates (npm run lint:cfn); the built-in CloudFormation
  // validation would repeat that on every command, `cdk ls` included, at ~12 s a run.
  const app = new App({ builtinCloudFormationValidation: false });
  createStacks(app, optionsFromContext(app));
  addNagChecks(app);
  app.synth();
} catch (error) {
  if (error instanceof MissingLambdaCodeError || error instanceof InvalidOptionError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
