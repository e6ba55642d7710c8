// The dashboard's series picker, in headless Chromium, against the local stack after the driver's classic
// scenario (2 B in 1 object, max 27 B): picking "all" versions reads, plots and links the bucket's
// all-versions series (every version kept, noncurrent ones and delete markers included), names its count
// "Versions", and the URL keeps the choice. The local endpoint keeps no versions, so each key's only one is
// its null version and both series show the same numbers; a versioned bucket's differ (the tracker's and
// the api's tests show by how much).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { loaded, showsBytes } from './support/dashboard.mjs';
import { getJson, openPage, requireBrowser, startWorld } from './support/stack.mjs';

requireBrowser();

describe('the series picker', { timeout: 180_000 }, () => {
  let world;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  test('picking all versions reads, plots and links the all-versions series, and the URL keeps it', async () => {
    const page = await openPage(world);
    await page.goto(world.stack.api + '/');
    await loaded(page);
    assert.equal(await page.locator('#count-label').textContent(), 'Objects');

    const plotted = page.waitForRequest((request) =>
      /\/plot\?window=60&width=\d+&height=\d+&dpr=\d&series=all-versions$/.test(request.url()),
    );
    await page.getByLabel('all', { exact: true }).check();
    await plotted;
    await page.waitForFunction(() => document.getElementById('object-count').dataset.series === 'all-versions');
    const seen = await showsBytes(page, 2);
    const versions = await getJson(`${world.stack.api}/window?window=60&series=all-versions`);
    const last = versions.samples.at(-1) ?? versions.carry_in;
    assert.deepEqual(
      { size: seen.sizeBytes, count: seen.objects, label: await page.locator('#count-label').textContent() },
      { size: String(last.size_bytes), count: String(last.object_count), label: 'Versions' },
    );
    await page.waitForFunction(() => /plot%3Aall-versions\.png|plot:all-versions\.png/.test(document.getElementById('presigned-link').href));
    assert.equal(await page.getByTestId('max-json').getAttribute('href'), 'max?series=all-versions');
    assert.ok(page.url().endsWith('/#window=60&series=all-versions'), page.url());

    // A reload keeps the series; picking the current one again drops it from every read.
    await page.reload();
    await page.waitForFunction(() => document.getElementById('object-count').dataset.series === 'all-versions');
    await page.getByLabel('current', { exact: true }).check();
    await page.waitForFunction(() => document.getElementById('object-count').dataset.series === 'current');
    assert.equal(await page.locator('#count-label').textContent(), 'Objects');
    assert.equal(await page.getByTestId('max-json').getAttribute('href'), 'max');
    assert.ok(page.url().endsWith('/#window=60'), page.url());
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
