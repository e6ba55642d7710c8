// The plot itself, as a person sees it: the presigned PNGs that `GET /plot` links to, opened in headless
// Chromium at a few shapes and windows, against a local stack of its own. The bucket first holds 21.5 MiB;
// then the classic changes happen on top of it (18, 27, 0 and 2 bytes more), which a fitted plot must
// show as steps. Each image is kept in screenshots/plot-*.png.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  deleteObject,
  eventually,
  getJson,
  openPage,
  putObject,
  requireBrowser,
  screenshot,
  startWorld,
} from './support/stack.mjs';

requireBrowser();

const MIB = 1024 * 1024;
const BASE = 21.5 * MIB;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes the change and waits until the history's latest size is `total`. */
async function change(world, make, total) {
  await make(world.stack);
  await eventually(`the bucket holds ${total} bytes`, async () => {
    const window = await getJson(`${world.stack.api}/window?window=60`);
    return (window.samples.at(-1) ?? window.carry_in)?.size_bytes === total;
  });
}

/** Opens the presigned PNG of `/plot?query` in a page the image's size, checks its size, keeps it. */
async function look(world, query, { width, height }, name) {
  const plot = await getJson(`${world.stack.api}/plot?${query}`);
  const page = await openPage(world, { viewport: { width, height } });
  const response = await page.goto(plot.url);
  assert.equal(response.status(), 200, `${query}: the presigned URL answers`);
  assert.equal(response.headers()['content-type'], 'image/png');
  const natural = await page.evaluate(() => {
    const img = document.images[0];
    return { width: img.naturalWidth, height: img.naturalHeight, complete: img.complete };
  });
  assert.deepEqual(natural, { width, height, complete: true }, query);
  await screenshot(page, name);
  await page.context().close();
  return plot;
}

describe('the plot in the browser', { timeout: 240_000 }, () => {
  let world;
  before(async () => {
    world = await startWorld();
    // After the driver's scenario the bucket holds 2 B (assignment2.txt): 21.5 MiB in all, then a window's
    // length later the classic changes on top, so a 10 s window opens at 21.5 MiB.
    await change(world, (stack) => putObject(stack, 'e2e/base.bin', Buffer.alloc(BASE - 2, 'x')), BASE);
    await sleep(10_500);
    await change(world, (stack) => putObject(stack, 'e2e/a.txt', Buffer.alloc(18, 'a')), BASE + 18);
    await sleep(600);
    await change(world, (stack) => putObject(stack, 'e2e/a.txt', Buffer.alloc(27, 'a')), BASE + 27);
    await sleep(600);
    await change(world, (stack) => deleteObject(stack, 'e2e/a.txt'), BASE);
    await sleep(600);
    await change(world, (stack) => putObject(stack, 'e2e/b.txt', Buffer.alloc(2, 'b')), BASE + 2);
  });
  after(async () => {
    await world?.stop();
  });

  test('shows a few bytes on 21.5 MiB at the default size, fitted and from zero, and on a phone', async () => {
    const fitted = await look(world, 'window=10', { width: 1000, height: 600 }, 'plot-default');
    assert.equal(fitted.carry_in?.size_bytes, BASE, 'the window opens at 21.5 MiB');
    assert.deepEqual(
      [fitted.summary.min_size_bytes - BASE, fitted.summary.max_size_bytes - BASE],
      [0, 27],
      'the window holds the changes of a few bytes',
    );
    const zero = await look(world, 'window=10&scale=zero', { width: 1000, height: 600 }, 'plot-zero');
    assert.notEqual(zero.key, fitted.key, 'another scale is another render');
    const phone = await look(world, 'window=10&width=360&height=300', { width: 360, height: 300 }, 'plot-phone');
    assert.notEqual(phone.key, fitted.key, 'another size is another render');
    // A phone's screen at 3 device pixels per CSS pixel: 330 CSS pixels wide, text sized for that.
    const sharp = await look(world, 'window=10&width=990&height=594&dpr=3', { width: 990, height: 594 }, 'plot-phone-3x');
    assert.notEqual(sharp.key, phone.key);
  });

  test('shows a day with the dates under its times, and a large image', async () => {
    await look(world, 'window=86400', { width: 1000, height: 600 }, 'plot-1d');
    await look(world, 'window=60&width=2000&height=1200', { width: 2000, height: 1200 }, 'plot-large');
  });

  test('answers 400 for a size out of bounds and 406 for an Accept it cannot meet', async () => {
    const tooNarrow = await fetch(`${world.stack.api}/plot?width=100`);
    assert.equal(tooNarrow.status, 400);
    assert.match((await tooNarrow.json()).detail, /^width: /);
    const html = await fetch(`${world.stack.api}/plot`, { headers: { accept: 'text/html' } });
    assert.equal(html.status, 406);
    assert.equal((await html.json()).error, 'not_acceptable');
  });
});
