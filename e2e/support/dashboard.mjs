// Reading the dashboard as a person sees it: the text of its elements, read in the page in one go.

const WAIT_MS = 20_000;

/** What the dashboard shows, read from its elements. */
export async function shown(page) {
  return page.evaluate(() => {
    const el = (id) => document.getElementById(id);
    const img = el('plot');
    return {
      size: el('current-size').textContent,
      sizeBytes: el('current-size').dataset.bytes,
      sizeDetail: el('current-detail').textContent.split('\n')[0],
      objects: el('object-count').dataset.count,
      objectsText: el('object-count').textContent,
      changes: el('window-changes').textContent,
      max: el('max-size').textContent,
      maxDetail: el('max-detail').textContent.split('\n')[0],
      maxBytes: el('max-size').dataset.bytes,
      maxCount: el('max-size').dataset.count,
      bucket: el('bucket').textContent,
      imageShown: !img.hidden,
      imageWidth: img.hidden ? 0 : img.naturalWidth,
      imageHeight: img.hidden ? 0 : img.naturalHeight,
      // The width the dashboard should ask for: its plot element's, in device pixels, within 320 … 2000.
      fittedWidth: Math.min(2000, Math.max(320, Math.round(img.parentElement.getBoundingClientRect().width * devicePixelRatio))),
      imageAlt: img.alt,
      placeholder: el('plot-placeholder').hidden ? '' : el('plot-placeholder').textContent,
      errors: el('errors').hidden ? '' : el('errors').textContent.trim(),
      errorList: el('errors').hidden ? [] : [...el('error-list').children].map((item) => item.textContent),
      status: el('updated').textContent,
      state: el('updated').dataset.state,
      presigned: el('presigned-link').hidden ? '' : el('presigned-link').href,
    };
  });
}

/** Waits for the page's first complete refresh: numbers, the plot image and its presigned link. */
export async function loaded(page) {
  await page.waitForFunction(
    () => {
      const img = document.getElementById('plot');
      return document.getElementById('updated').dataset.state && !img.hidden && img.naturalWidth > 0;
    },
    undefined,
    { timeout: WAIT_MS },
  );
  return shown(page);
}

/** Waits until the current size's element holds exactly `bytes` (a refresh every 5 s), then reads the page. */
export async function showsBytes(page, bytes) {
  await page.waitForFunction(
    (expected) => document.getElementById('current-size').dataset.bytes === String(expected),
    bytes,
    { timeout: WAIT_MS },
  );
  return shown(page);
}

/**
 * Waits until the error box lists exactly `messages`, in order, checked in the page (a refresh may
 * rewrite the box between two reads from here), then reads the page.
 */
export async function showsErrors(page, messages) {
  try {
    await page.waitForFunction(
      (expected) => {
        const box = document.getElementById('errors');
        const items = [...document.getElementById('error-list').children].map((item) => item.textContent);
        return !box.hidden && JSON.stringify(items) === JSON.stringify(expected);
      },
      messages,
      { timeout: WAIT_MS },
    );
  } catch (error) {
    const seen = await shown(page);
    throw new Error(
      `the page did not show the errors ${JSON.stringify(messages)} within ${WAIT_MS} ms; it shows ${JSON.stringify(seen.errorList)}`,
      { cause: error },
    );
  }
  return shown(page);
}

/**
 * Checks that the error box keeps listing exactly `messages`, and the status keeps saying the last refresh
 * failed, every 100 ms for `ms` (more than one 5 s refresh): an error a person can read, not one that
 * flashes up between two refreshes. Answers what the page shows at the end.
 */
export async function keepsShowingErrors(page, messages, ms = 6_000) {
  const deviation = await page.evaluate(
    ({ expected, ms }) =>
      new Promise((resolve) => {
        const started = performance.now();
        const sample = () => {
          const box = document.getElementById('errors');
          const items = box.hidden ? [] : [...document.getElementById('error-list').children].map((item) => item.textContent);
          const status = document.getElementById('updated');
          const at = Math.round(performance.now() - started);
          if (JSON.stringify(items) !== JSON.stringify(expected)) return resolve(`after ${at} ms the errors were ${JSON.stringify(items)}`);
          if (status.dataset.state !== 'error') return resolve(`after ${at} ms the status said ${JSON.stringify(status.textContent)}`);
          if (at >= ms) return resolve(null);
          setTimeout(sample, 100);
        };
        sample();
      }),
    { expected: messages, ms },
  );
  if (deviation) throw new Error(`the page did not keep showing ${JSON.stringify(messages)} for ${ms} ms: ${deviation}`);
  return shown(page);
}

/**
 * Waits until the page has recovered: a refresh without errors, the error box hidden, and a plot image that
 * decoded (a broken one has no natural width), then reads the page.
 */
export async function recovered(page) {
  try {
    await page.waitForFunction(
      () => {
        const img = document.getElementById('plot');
        return (
          document.getElementById('errors').hidden &&
          document.getElementById('updated').dataset.state === 'ok' &&
          !img.hidden &&
          img.complete &&
          img.naturalWidth > 0 &&
          img.naturalWidth === Number(img.dataset.width)
        );
      },
      undefined,
      { timeout: WAIT_MS },
    );
  } catch (error) {
    const seen = await shown(page);
    throw new Error(`the page did not recover within ${WAIT_MS} ms: it shows ${JSON.stringify(seen)}`, { cause: error });
  }
  return shown(page);
}
