// The dashboard at `GET /`, in headless Chromium, against the local stack after the driver's classic
// scenario (sizes 18, 27, 0, 2): directly, and under API Gateway's `/dev/` stage. Sizes are checked
// against the literal text a person reads (`2 B`, `27 B`); dashboard-units.test.mjs has KiB and MiB,
// dashboard-faults.test.mjs an api that fails.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { loaded, shown } from './support/dashboard.mjs';
import { getJson, openPage, requireBrowser, runDriver, screenshot, startWorld } from './support/stack.mjs';

requireBrowser();

/** The numbers the api answers, as the dashboard should show them. */
async function expected(api, seconds) {
  const window = await getJson(`${api}/window?window=${seconds}`);
  const max = await getJson(`${api}/max`);
  const latest = window.samples.at(-1) ?? window.carry_in;
  return { window, max, latest };
}

describe('the dashboard', { timeout: 180_000 }, () => {
  let world;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  test('shows the size, object count and max that /window and /max answer, and the plot', async () => {
    const page = await openPage(world);
    await page.goto(world.stack.api + '/');
    const seen = await loaded(page);
    await screenshot(page, 'dashboard');

    const { window, max, latest } = await expected(world.stack.api, 60);
    const last = world.summary.steps.at(-1);
    assert.equal(latest.size_bytes, last.expected_bucket_size_bytes);
    assert.equal(seen.sizeBytes, String(latest.size_bytes));
    assert.equal(seen.size, '2 B');
    assert.equal(seen.sizeDetail, '2 bytes');
    assert.equal(seen.objects, String(latest.object_count));
    assert.equal(seen.maxBytes, String(max.size_bytes));
    assert.equal(seen.maxCount, String(max.object_count));
    assert.equal(seen.max, '27 B');
    assert.equal(seen.maxDetail, '27 bytes · 1 object');
    assert.equal(max.size_bytes, world.summary.plot.max_size_bytes);
    assert.equal(seen.changes, `${window.samples.length} changes\nin the last minute`);
    assert.equal(seen.bucket, world.summary.bucket);
    // The plot is drawn for its element: as wide in device pixels, at 1000:600.
    assert.equal(seen.imageWidth, seen.fittedWidth);
    assert.equal(seen.imageHeight, Math.round((seen.fittedWidth * 600) / 1000));
    assert.match(seen.imageAlt, /over the last minute/);
    assert.equal(seen.errors, '');
    assert.match(seen.presigned, /X-Amz-Signature=/);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('asks for the plot in device pixels, as wide as its element, on a phone too', async () => {
    for (const [name, options] of [
      ['dashboard-phone', { viewport: { width: 360, height: 740 }, deviceScaleFactor: 3 }],
      ['dashboard-phone-1x', { viewport: { width: 360, height: 740 }, deviceScaleFactor: 1 }],
    ]) {
      const page = await openPage(world, options);
      const asked = page.waitForRequest((request) => /\/plot\?window=60&width=\d+&height=\d+&dpr=\d$/.test(request.url()));
      await page.goto(world.stack.api + '/');
      const seen = await loaded(page);
      const url = new URL((await asked).url());
      assert.equal(Number(url.searchParams.get('width')), seen.fittedWidth, name);
      assert.equal(seen.imageWidth, seen.fittedWidth, name);
      assert.equal(seen.imageHeight, Number(url.searchParams.get('height')), name);
      assert.equal(url.searchParams.get('dpr'), String(options.deviceScaleFactor), name);
      const least = options.deviceScaleFactor === 3 ? 600 : 320;
      assert.ok(seen.imageWidth >= least && seen.imageWidth <= 2000, `${name}: ${seen.imageWidth}`);
      assert.equal(seen.errors, '');
      assert.deepEqual(page.problems, []);
      await screenshot(page, name);
      await page.context().close();
    }
  });

  test('plots the window the user picks, and its links follow', async () => {
    const page = await openPage(world);
    await page.goto(world.stack.api + '/');
    await loaded(page);
    const plotted = page.waitForRequest((request) => /\/plot\?window=3600&width=\d+&height=\d+&dpr=\d$/.test(request.url()));
    await page.getByLabel('1 h').check();
    await plotted;
    await page.waitForFunction(() => document.getElementById('window-changes').textContent.endsWith('the last hour'));
    await page.waitForFunction(() => /last hour/.test(document.getElementById('plot').alt));
    const { window } = await expected(world.stack.api, 3600);
    const seen = await shown(page);
    assert.equal(seen.changes, `${window.samples.length} changes\nin the last hour`);
    assert.ok(page.url().endsWith('/#window=3600'), page.url());
    assert.equal(await page.getByTestId('plot-json').getAttribute('href'), 'plot?window=3600');
    assert.equal(await page.getByTestId('window-json').getAttribute('href'), 'window?window=3600');
    await screenshot(page, 'dashboard-1h');

    // The window is in the URL: a reload keeps it.
    await page.reload();
    await loaded(page);
    assert.ok(await page.getByLabel('1 h').isChecked());
    await page.context().close();
  });

  test('refreshes by itself when the bucket changes', async () => {
    const page = await openPage(world);
    await page.goto(world.stack.api + '/');
    const first = await loaded(page);
    assert.equal(first.size, '2 B');
    const summary = await runDriver(world.stack, ['--step', 'put:e2e/refresh.txt=seven b']);
    const after = summary.steps.at(-1);
    assert.equal(after.expected_bucket_size_bytes, Number(first.sizeBytes) + 7);
    await page.waitForFunction(
      (bytes) => document.getElementById('current-size').dataset.bytes === String(bytes),
      after.expected_bucket_size_bytes,
      { timeout: 15_000 },
    );
    const seen = await shown(page);
    assert.equal(seen.objects, String(after.expected_object_count));
    assert.equal(seen.size, '9 B');
    assert.equal(seen.sizeDetail, '9 bytes');
    await page.context().close();
  });

  test("shows the api's JSON error in the page, and clears it when the api recovers", async () => {
    const page = await openPage(world);
    const body = { error: 'unavailable', detail: 'the size history is unavailable; try again shortly' };
    await page.route('**/max', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify(body) }),
    );
    await page.goto(world.stack.api + '/');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(
      (await alert.textContent()).trim(),
      'max answered 503 unavailable: the size history is unavailable; try again shortly',
    );
    // What did answer is still shown.
    await loaded(page);
    await screenshot(page, 'dashboard-error');
    await page.unroute('**/max');
    await alert.waitFor({ state: 'hidden', timeout: 15_000 });
    await page.context().close();
  });

  test('works under the /dev/ stage prefix, with and without the trailing slash', async () => {
    for (const entry of [world.proxy.url, world.proxy.url.replace(/\/$/, '')]) {
      const page = await openPage(world);
      await page.goto(entry);
      const seen = await loaded(page);
      const { max, latest } = await expected(world.stack.api, 60);
      assert.equal(seen.sizeBytes, String(latest.size_bytes));
      assert.equal(seen.maxBytes, String(max.size_bytes));
      assert.equal(seen.imageWidth, seen.fittedWidth);
      assert.equal(seen.errors, '');
      assert.equal(new URL(page.url()).pathname, '/dev/');
      assert.equal(await page.getByTestId('docs-link').evaluate((a) => a.href), world.proxy.url + 'docs/');
      assert.deepEqual(page.problems, []);
      if (entry === world.proxy.url) await screenshot(page, 'dashboard-dev-prefix');
      await page.context().close();
    }
    assert.deepEqual(world.proxy.strays, [], 'every request stayed under /dev/');
  });
});

