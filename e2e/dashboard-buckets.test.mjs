// The dashboard's bucket picker, in headless Chromium, against the local stack (which tracks every bucket
// created on its endpoint) after the driver's classic scenario in the stack's own bucket (2 B in 1 object,
// max 27 B): with one tracked bucket there is nothing to pick; a bucket a client creates appears in the
// picker by itself, and picking it shows that bucket's numbers, plot and presigned link.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { loaded, shown, showsBytes } from './support/dashboard.mjs';
import { createBucket, getJson, openPage, putObject, requireBrowser, screenshot, startWorld } from './support/stack.mjs';

requireBrowser();

const SECOND = 'second-bucket';

/** The picker as a person sees it: shown or not, its choices, and the one chosen. */
function picker(page) {
  return page.evaluate(() => {
    const select = document.getElementById('bucket-picker');
    return { shown: !select.hidden, options: [...select.options].map((o) => o.value), value: select.value };
  });
}

describe('the bucket picker', { timeout: 180_000 }, () => {
  let world;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  test('is hidden while one bucket is tracked, and appears when a client creates a second', async () => {
    const page = await openPage(world);
    await page.goto(world.stack.api + '/');
    const first = await loaded(page);
    assert.equal(first.bucket, world.stack.bucket);
    assert.deepEqual(await picker(page), { shown: false, options: [world.stack.bucket], value: world.stack.bucket });

    await createBucket(world.stack, SECOND);
    await putObject(world.stack, 'hello.txt', Buffer.from('hello\n'), SECOND);
    // The page reads /buckets at each refresh (every 5 s).
    await page.waitForFunction(() => !document.getElementById('bucket-picker').hidden, undefined, { timeout: 15_000 });
    assert.deepEqual(await picker(page), {
      shown: true,
      options: [world.stack.bucket, SECOND],
      value: world.stack.bucket,
    });
    assert.equal((await shown(page)).size, '2 B', 'the default bucket stays shown until another is picked');
    await page.context().close();
  });

  test("picking a bucket shows its numbers, its plot and its presigned link, and the URL keeps it", async () => {
    const page = await openPage(world);
    await page.goto(world.stack.api + '/');
    await loaded(page);
    const plotted = page.waitForRequest((request) =>
      /\/plot\?window=60&width=\d+&height=\d+&dpr=\d&bucket=second-bucket$/.test(request.url()),
    );
    await page.getByLabel('bucket', { exact: true }).selectOption(SECOND);
    await plotted;
    const seen = await showsBytes(page, 6);
    const max = await getJson(`${world.stack.api}/max?bucket=${SECOND}`);
    assert.deepEqual(
      { size: seen.size, objects: seen.objects, max: seen.max, maxBytes: seen.maxBytes, errors: seen.errors },
      { size: '6 B', objects: '1', max: '6 B', maxBytes: String(max.size_bytes), errors: '' },
    );
    await page.waitForFunction(() => /plot-second-bucket\.png/.test(document.getElementById('presigned-link').href));
    assert.ok(page.url().endsWith(`/#bucket=${SECOND}&window=60`), page.url());
    assert.equal(await page.getByTestId('max-json').getAttribute('href'), `max?bucket=${SECOND}`);
    assert.equal(await page.getByTestId('plot-json').getAttribute('href'), `plot?window=60&bucket=${SECOND}`);
    await screenshot(page, 'dashboard-second-bucket');

    // The presigned link is the second bucket's latest plot, a PNG.
    const presigned = await page.getByTestId('presigned-link').getAttribute('href');
    const png = await fetch(presigned);
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');

    // A reload keeps the bucket; picking the stack's own bucket again shows its numbers.
    await page.reload();
    await showsBytes(page, 6);
    assert.equal((await picker(page)).value, SECOND);
    await page.getByLabel('bucket', { exact: true }).selectOption(world.stack.bucket);
    const back = await showsBytes(page, 2);
    assert.equal(back.max, '27 B');
    assert.ok(page.url().endsWith('/#window=60'), page.url());
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('a bucket named in the URL that is not tracked says so', async () => {
    const page = await openPage(world);
    await page.goto(`${world.stack.api}/#bucket=nobody-tracks-this&window=60`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const seen = await shown(page);
    assert.ok(
      seen.errorList.some((line) => /nobody-tracks-this is not tracked/.test(line)),
      JSON.stringify(seen.errorList),
    );
    await page.context().close();
  });
});
