// Swagger UI at `/docs/` and the presigned plot URL, in headless Chromium, against the local stack after
// the driver's classic scenario.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { getJson, openPage, requireBrowser, screenshot, startWorld } from './support/stack.mjs';

requireBrowser();

/** Every operation of the spec as Swagger UI labels it: `GET /max`. */
function operations(spec) {
  return Object.entries(spec.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

/** The operations Swagger UI lists, once it has rendered them all. */
async function listed(page, count) {
  await page.waitForFunction((n) => document.querySelectorAll('.opblock').length >= n, count);
  return page.$$eval('.opblock', (blocks) =>
    blocks
      .map((block) => {
        const method = block.querySelector('.opblock-summary-method').textContent.trim();
        const path = block.querySelector('.opblock-summary-path').getAttribute('data-path');
        return `${method} ${path}`;
      })
      .sort(),
  );
}

/** Opens `GET /max`, tries it out and answers the status Swagger UI shows and the URL it called. */
async function tryMax(page) {
  const block = page.locator('.opblock').filter({ has: page.locator('[data-path="/max"]') });
  await block.locator('.opblock-summary').click();
  await block.getByRole('button', { name: 'Try it out' }).click();
  const called = page.waitForResponse((response) => new URL(response.url()).pathname.endsWith('/max'));
  await block.getByRole('button', { name: 'Execute' }).click();
  const response = await called;
  const status = block.locator('.live-responses-table .response .response-col_status');
  await status.waitFor();
  return { status: (await status.textContent()).trim(), url: response.url(), block };
}

describe('the docs and the stored plot', { timeout: 180_000 }, () => {
  let world;
  let spec;
  before(async () => {
    world = await startWorld();
    spec = await getJson(`${world.stack.api}/openapi.json`);
  });
  after(async () => {
    await world?.stop();
  });

  test('/docs renders Swagger UI listing every operation, the dashboard included', async () => {
    const page = await openPage(world);
    await page.goto(world.stack.api + '/docs');
    assert.ok(page.url().endsWith('/docs/'), page.url());
    const expected = operations(spec);
    assert.ok(expected.includes('GET /') && expected.includes('GET /max'), expected.join(', '));
    assert.deepEqual(await listed(page, expected.length), expected);
    await screenshot(page, 'docs');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('"Try it out" on /max shows a 200 with the max', async () => {
    const page = await openPage(world);
    await page.goto(world.stack.api + '/docs/');
    await listed(page, operations(spec).length);
    const { status, url, block } = await tryMax(page);
    assert.equal(status, '200');
    // Swagger UI fills `bucket` with the documented example, the local stack's bucket.
    assert.equal(url.replace(/\?.*$/, ''), `${world.stack.api}/max`);
    const body = await block.locator('.live-responses-table .response-col_description pre').first().textContent();
    assert.equal(JSON.parse(body).size_bytes, world.summary.plot.max_size_bytes);
    await block.scrollIntoViewIfNeeded();
    await screenshot(page, 'docs-try-max');
    await page.context().close();
  });

  test('/dev/docs/ works through the stage prefix, and so does "Try it out"', async () => {
    const page = await openPage(world);
    await page.goto(world.proxy.url + 'docs');
    assert.equal(new URL(page.url()).pathname, '/dev/docs/');
    await listed(page, operations(spec).length);
    const { status, url } = await tryMax(page);
    assert.equal(status, '200');
    assert.equal(url.replace(/\?.*$/, ''), `${world.proxy.url}max`);
    assert.deepEqual(world.proxy.strays, [], 'every request stayed under /dev/');
    await page.context().close();
  });

  test('the presigned plot URL renders the PNG', async () => {
    const page = await openPage(world);
    await page.goto(world.stack.api + '/');
    const link = page.getByTestId('presigned-link');
    await link.waitFor();
    // The latest plot is the dashboard's, drawn at the size of its plot element.
    const shown = await page.getByTestId('plot').evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    const url = await link.getAttribute('href');
    assert.match(url, /X-Amz-Signature=/);
    assert.ok(url.startsWith(world.stack.s3), `${url} is on the S3 endpoint`);
    const response = await page.goto(url);
    assert.equal(response.status(), 200);
    assert.equal(response.headers()['content-type'], 'image/png');
    const size = await page.locator('img').evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(size, shown);
    await screenshot(page, 'presigned-plot');

    // The driver's own link, made by `/plot`'s JSON at the default size, renders too.
    const fromDriver = await page.goto(world.summary.plot.url);
    assert.equal(fromDriver.status(), 200);
    assert.equal(await page.locator('img').evaluate((img) => img.naturalWidth), 1000);
    await page.context().close();
  });
});
