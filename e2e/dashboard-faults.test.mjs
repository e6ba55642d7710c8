// The dashboard when its api fails in ways the api itself never does, in headless Chromium against the
// local stack after the driver's classic scenario (2 B in 1 object, max 27 B): the page is served through
// a proxy (support/stack.mjs, startFaultProxy) that stops listening, answers 502 with an HTML page, or
// breaks the plot's PNG request. Each time the page must say what failed, in words a person reads, keep
// what it had read before, and recover by itself (it refreshes every 5 s) once the api answers again.
// The api's own JSON errors are in dashboard.test.mjs.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { keepsShowingErrors, loaded, recovered, showsErrors } from './support/dashboard.mjs';
import { openPage, requireBrowser, screenshot, startFaultProxy, startWorld } from './support/stack.mjs';

requireBrowser();

const PLACEHOLDER_FAILED = 'The plot could not be loaded: see the error above.';
const STATUS_FAILED = /^Last tried \d\d:\d\d:\d\d UTC · every 5 s$/;
const STATUS_OK = /^Updated \d\d:\d\d:\d\d UTC · every 5 s$/;

/** No script error; the only console errors are the browser's own notes of the failed requests. */
function onlyFailedLoads(page) {
  const unexpected = page.problems.filter((problem) => !/^console: Failed to load resource: /.test(problem));
  assert.deepEqual(unexpected, []);
}

/** The numbers of the classic scenario, as the page writes them, and a plot that decoded at its element's width. */
function showsClassic(seen) {
  assert.deepEqual(
    { size: seen.size, objects: seen.objectsText, max: seen.max, image: seen.imageWidth },
    { size: '2 B', objects: '1', max: '27 B', image: seen.fittedWidth },
  );
}

describe('the dashboard when its api fails', { timeout: 240_000 }, () => {
  let world;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  /** A page on the dashboard through a fresh proxy in `fault`; both are closed after `body`. */
  async function throughProxy(fault, body) {
    const proxy = await startFaultProxy(world.stack.api);
    proxy.fault = fault;
    const page = await openPage(world);
    try {
      await page.goto(proxy.url);
      await body(page, proxy);
    } finally {
      await page.context().close();
      await proxy.stop();
    }
  }

  test('says the api cannot be reached when nothing listens, keeps what it showed, and recovers', async () => {
    await throughProxy(null, async (page, proxy) => {
      showsClassic(await loaded(page));
      await proxy.down();
      const unreachable = [
        'buckets: the api cannot be reached (Failed to fetch)',
        'window?window=60: the api cannot be reached (Failed to fetch)',
        'max: the api cannot be reached (Failed to fetch)',
        'plot?window=60: the api cannot be reached (Failed to fetch)',
      ];
      await showsErrors(page, unreachable);
      const seen = await keepsShowingErrors(page, unreachable);
      showsClassic(seen); // the last numbers and plot read stay on the page
      assert.equal(seen.state, 'error');
      assert.match(seen.status, STATUS_FAILED);
      await screenshot(page, 'dashboard-api-unreachable');

      await proxy.up();
      const back = await recovered(page);
      showsClassic(back);
      assert.match(back.status, STATUS_OK);
      await screenshot(page, 'dashboard-api-recovered');
      onlyFailedLoads(page);
    });
  });

  test('says which reads a 502 HTML page answered, shows dashes for what it never read, and recovers', async () => {
    await throughProxy('html-502', async (page, proxy) => {
      const gateway = [
        'buckets answered 502 HTTP 502',
        'window?window=60 answered 502 HTTP 502',
        'max answered 502 HTTP 502',
        'plot?window=60 answered 502 HTTP 502',
      ];
      await showsErrors(page, gateway);
      const seen = await keepsShowingErrors(page, gateway);
      assert.deepEqual(
        { size: seen.size, objects: seen.objectsText, max: seen.max, image: seen.imageShown, placeholder: seen.placeholder },
        { size: '—', objects: '—', max: '—', image: false, placeholder: PLACEHOLDER_FAILED },
      );
      assert.equal(seen.presigned, '');
      assert.match(seen.status, STATUS_FAILED);
      assert.ok(proxy.seen.some((request) => request.fault === 'html-502' && request.url.startsWith('/window')));
      await screenshot(page, 'dashboard-api-502-html');

      proxy.fault = null;
      const back = await recovered(page);
      showsClassic(back);
      assert.equal(back.placeholder, '');
      assert.match(back.presigned, /X-Amz-Signature=/);
      onlyFailedLoads(page);
    });
  });

  test('says the plot cannot be fetched when its PNG request fails, shows the numbers, and recovers', async () => {
    await throughProxy('png-reset', async (page, proxy) => {
      const failed = ['plot?window=60: the api cannot be reached (Failed to fetch)'];
      await showsErrors(page, failed);
      const seen = await keepsShowingErrors(page, failed);
      assert.deepEqual(
        { size: seen.size, objects: seen.objectsText, max: seen.max, image: seen.imageShown, placeholder: seen.placeholder },
        { size: '2 B', objects: '1', max: '27 B', image: false, placeholder: PLACEHOLDER_FAILED },
      );
      assert.equal(seen.presigned, '', 'no link to a plot that was not made');
      await screenshot(page, 'dashboard-plot-failed');

      proxy.fault = null;
      const back = await recovered(page);
      showsClassic(back);
      assert.equal(back.placeholder, '');
      onlyFailedLoads(page);
    });
  });

  test('says the plot is not an image when the PNG answer is no PNG, and recovers', async () => {
    await throughProxy(null, async (page, proxy) => {
      showsClassic(await loaded(page));
      proxy.fault = 'png-garbage';
      const broken = ['plot?window=60: the answer is not an image the browser can show'];
      await showsErrors(page, broken);
      const seen = await keepsShowingErrors(page, broken);
      assert.deepEqual({ size: seen.size, objects: seen.objectsText, max: seen.max }, { size: '2 B', objects: '1', max: '27 B' });
      assert.ok(!(seen.imageShown && seen.imageWidth === 0), 'no broken-image icon where the plot was');
      await screenshot(page, 'dashboard-plot-not-an-image');

      proxy.fault = null;
      showsClassic(await recovered(page));
      onlyFailedLoads(page);
    });
  });
});
