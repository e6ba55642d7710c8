/**
 * Preloaded into bin/app.ts by nag.test.ts (`node --import tsx --import ./test/plant-nag-finding.ts
 * bin/app.ts`): just before the real app synthesizes, it adds the throwaway stack of nag-probe.ts. The
 * test then sees whether bin/app.ts runs cdk-nag, without a test hook in the app itself.
 */
import { App } from 'aws-cdk-lib';
import { plantNagFinding } from './nag-probe';

const synth = App.prototype.synth;
App.prototype.synth = function plantThenSynth(this: App, ...args: Parameters<App['synth']>) {
  plantNagFinding(this);
  return synth.apply(this, args);
};
