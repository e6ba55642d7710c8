import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contractJson, deployedFunctions, synthesize, VARIANTS } from './helpers';

/** What contract/functions.json says each function's binary, and whatever else runs in it, reads. */
const contract: Record<string, { environment: { required: string[]; optional: string[]; readByOthers: Record<string, string> } }> =
  contractJson('functions.json').functions;

for (const [variant, options] of Object.entries(VARIANTS)) {
  describe(`function environments against contract/functions.json (${variant})`, () => {
    const deployed = deployedFunctions(synthesize(options));

    test('the app deploys each function of the contract exactly once, and no other', () => {
      assert.deepEqual(deployed.map((f) => f.construct.contract.name).sort(), Object.keys(contract).sort());
    });

    for (const { construct, resource } of deployed) {
      const name = construct.contract.name;
      const { required, optional, readByOthers } = contract[name].environment;
      const set = Object.keys(resource.Properties.Environment?.Variables ?? {});

      test(`${name}: every variable its binary requires is set`, () => {
        assert.deepEqual(required.filter((variable) => !set.includes(variable)), [], 'required but not set');
      });

      test(`${name}: every variable set is read by its binary (required or optional) or listed in readByOthers`, () => {
        const read = new Set([...required, ...optional, ...Object.keys(readByOthers)]);
        assert.deepEqual(set.filter((variable) => !read.has(variable)), [], 'set but read by nobody');
      });
    }
  });
}
