// The dashboard's sizes in binary units, as a person reads them, in headless Chromium against a local
// stack of its own: after the driver's classic scenario the bucket holds 2 B in 1 object (max 27 B), then
// each step below puts or deletes objects through the S3 endpoint (signed with the banner's credentials)
// and the page must show the literal text of the step: the numbers are written out here, not computed.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { loaded, showsBytes } from './support/dashboard.mjs';
import { deleteObject, openPage, putObject, requireBrowser, screenshot, startWorld } from './support/stack.mjs';

requireBrowser();

const bytes = (count) => Buffer.alloc(count, 'x');

/** Makes the change, waits until the page holds `total` bytes, and checks every text against `expect`. */
async function step(page, world, { change, total, expect, shot }) {
  await change(world.stack);
  const seen = await showsBytes(page, total);
  assert.deepEqual(
    {
      size: seen.size,
      sizeDetail: seen.sizeDetail,
      objects: seen.objectsText,
      max: seen.max,
      maxDetail: seen.maxDetail,
      errors: seen.errors,
    },
    { errors: '', ...expect },
  );
  if (shot) await screenshot(page, shot);
}

describe('the dashboard in KiB and MiB', { timeout: 180_000 }, () => {
  let world;
  let page;
  before(async () => {
    world = await startWorld();
    page = await openPage(world);
    await page.goto(world.stack.api + '/');
    const first = await loaded(page);
    assert.equal(first.size, '2 B');
    assert.equal(first.max, '27 B');
  });
  after(async () => {
    await page?.context().close();
    await world?.stop();
  });

  test('shows 1023 B in bytes, 1024 B as 1 KiB, 1502 B as 1.5 KiB', async () => {
    await step(page, world, {
      change: (stack) => putObject(stack, 'e2e/kib.bin', bytes(1021)),
      total: 1023,
      expect: { size: '1023 B', sizeDetail: '1,023 bytes', objects: '2', max: '1023 B', maxDetail: '1,023 bytes · 2 objects' },
    });
    await step(page, world, {
      change: (stack) => putObject(stack, 'e2e/kib.bin', bytes(1022)),
      total: 1024,
      expect: { size: '1 KiB', sizeDetail: '1,024 bytes', objects: '2', max: '1 KiB', maxDetail: '1,024 bytes · 2 objects' },
    });
    await step(page, world, {
      change: (stack) => putObject(stack, 'e2e/kib.bin', bytes(1500)),
      total: 1502,
      expect: { size: '1.5 KiB', sizeDetail: '1,502 bytes', objects: '2', max: '1.5 KiB', maxDetail: '1,502 bytes · 2 objects' },
      shot: 'dashboard-kib',
    });
    assert.deepEqual(page.problems, []);
  });

  test('shows 2 MiB for a 2 MiB object, 201 KiB for 200 KiB, and keeps 2 MiB as the max', async () => {
    const mib = { max: '2 MiB', maxDetail: '2,098,654 bytes · 3 objects' };
    await step(page, world, {
      change: (stack) => putObject(stack, 'e2e/mib.bin', bytes(2 * 1024 * 1024)),
      total: 2_098_654,
      expect: { size: '2 MiB', sizeDetail: '2,098,654 bytes', objects: '3', ...mib },
      shot: 'dashboard-mib',
    });
    // 200 KiB + 1502 B = 201.47 KiB: from 100 up, whole units.
    await step(page, world, {
      change: (stack) => putObject(stack, 'e2e/mib.bin', bytes(200 * 1024)),
      total: 206_302,
      expect: { size: '201 KiB', sizeDetail: '206,302 bytes', objects: '3', ...mib },
    });
    await step(page, world, {
      change: (stack) => deleteObject(stack, 'e2e/mib.bin'),
      total: 1502,
      expect: { size: '1.5 KiB', sizeDetail: '1,502 bytes', objects: '2', ...mib },
      shot: 'dashboard-max-mib',
    });
    assert.deepEqual(page.problems, []);
  });
});
