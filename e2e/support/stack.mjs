// The world a browser test runs in: the real local stack (S3 endpoint, tracker, SQLite history, api) on free
// loopback ports with its data in a temporary folder, the driver's scenario run against it, a stand-in for
// API Gateway's `/dev/` stage, and headless Chromium. Everything started here is stopped by `stop()`.

import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN_DIR = path.resolve(process.env.BIN_DIR || path.join(ROOT, 'target', 'debug'));
export const SCREENSHOTS = path.join(ROOT, 'screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/**
 * The browser's path. Without one the test file stops at once, failed, with the one line that says what to
 * install: there is no skip, a run without Chromium is a failed run, on a laptop as in CI. Each test file
 * calls this first.
 */
export function requireBrowser() {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  process.stderr.write(
    `error: no Chromium at ${CHROMIUM}: install Debian's chromium (\`apt-get install chromium\`; \`bash e2e/ci.sh\` does it), or set CHROMIUM to a Chromium binary\n`,
  );
  process.exit(1);
}

function binary(name) {
  const file = path.join(BIN_DIR, name);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`cargo build --workspace\` first (or set BIN_DIR)`);
  return file;
}

/** Resolves once `child` has exited; `ms` later, it is killed. */
function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** Starts the local stack (`s3-size-micro`) and reads the endpoints, bucket and credentials from its banner. */
async function startStack(dataDir) {
  const child = spawn(binary('s3-size-micro'), ['--data-dir', dataDir, '--api-port', '0', '--s3-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const urls = await new Promise((resolve, reject) => {
    const timeout = setTimeout(() => fail('no banner within 30 s'), 30_000);
    function fail(why) {
      clearTimeout(timeout);
      child.kill('SIGKILL');
      reject(new Error(`the local stack did not start: ${why}\n${stdout}\n${stderr}`));
    }
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      // Each value is followed by white space, so a line cut between two chunks is not read short.
      const s3 = /S3 endpoint\s+(http:\/\/127\.0\.0\.1:\d+)\s+bucket (\S+)\s/.exec(stdout);
      const api = /Plot API\s+(http:\/\/127\.0\.0\.1:\d+)\s/.exec(stdout);
      const credentials = /AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+) AWS_REGION=(\S+)\s/.exec(stdout);
      if (s3 && api && credentials) {
        clearTimeout(timeout);
        child.off('exit', early);
        resolve({
          s3: s3[1],
          bucket: s3[2],
          api: api[1],
          credentials: { accessKeyId: credentials[1], secretAccessKey: credentials[2], region: credentials[3] },
        });
      }
    });
    const early = (code, signal) => fail(`it exited (${signal || code})`);
    child.once('exit', early);
  });
  child.stdout.resume();
  return {
    ...urls,
    async stop() {
      // Ctrl-C: the stack delivers its pending notifications, then exits.
      child.kill('SIGINT');
      await exited(child, 15_000);
      if (child.exitCode !== 0) throw new Error(`the local stack exited with ${child.signalCode || child.exitCode}\n${stderr}`);
    },
  };
}

/** Runs the driver with `args` and answers its JSON summary. */
export function runDriver(stack, args = []) {
  const argv = ['--api-url', stack.api, '--endpoint-url', stack.s3, '--sleep', '300ms', '--window', '60', '--json', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(binary('driver'), argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timeout);
      if (code !== 0) return reject(new Error(`the driver failed (${signal || code})\n${stdout}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout));
      } catch (error) {
        reject(new Error(`the driver printed no JSON summary (${error.message})\n${stdout}`));
      }
    });
  });
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

/**
 * One signed request (AWS Signature V4, path-style) to the local S3 endpoint with the credentials of its
 * banner: a plain S3 client, so objects of any size (the driver takes a body on its command line, which
 * holds at most 128 KiB) can be put. `key` is null for a request on the bucket itself. Answers the status;
 * anything but 2xx is an error.
 */
function s3Request(stack, method, bucket, key, body = Buffer.alloc(0)) {
  const { accessKeyId, secretAccessKey, region } = stack.credentials;
  const object = key === null ? '' : `/${key.split('/').map(encodeURIComponent).join('/')}`;
  const url = new URL(`${stack.s3}/${bucket}${object}`);
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''); // 20261201T213054Z
  const scope = `${date.slice(0, 8)}/${region}/s3/aws4_request`;
  const headers = { host: url.host, 'x-amz-content-sha256': sha256(body), 'x-amz-date': date };
  const names = Object.keys(headers).sort();
  const canonical = [
    method,
    url.pathname,
    '',
    names.map((name) => `${name}:${headers[name]}\n`).join(''),
    names.join(';'),
    headers['x-amz-content-sha256'],
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n');
  let signingKey = hmac(`AWS4${secretAccessKey}`, date.slice(0, 8));
  for (const part of [region, 's3', 'aws4_request']) signingKey = hmac(signingKey, part);
  const signature = createHmac('sha256', signingKey).update(toSign).digest('hex');
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, timeout: 30_000 }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => {
        if (response.statusCode >= 200 && response.statusCode < 300) resolve(response.statusCode);
        else reject(new Error(`S3 ${method} ${url.pathname}: ${response.statusCode} ${text}`));
      });
    });
    request.on('timeout', () => request.destroy(new Error(`S3 ${method} ${url.pathname}: no answer within 30 s`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** Puts `body` (a Buffer) at `key` in the stack's bucket (or in `bucket`), through its S3 endpoint. */
export const putObject = (stack, key, body, bucket = stack.bucket) => s3Request(stack, 'PUT', bucket, key, body);

/** Deletes `key` from the stack's bucket, through its S3 endpoint. */
export const deleteObject = (stack, key) => s3Request(stack, 'DELETE', stack.bucket, key);

/** Creates a bucket on the stack's S3 endpoint, as `aws s3 mb` does. */
export const createBucket = (stack, bucket) => s3Request(stack, 'PUT', bucket, null);

/**
 * API Gateway's stage in front of the api: `/dev/…` is forwarded with the prefix stripped, as a REST API
 * delivers it; anything else is refused (403, as API Gateway answers) and remembered in `strays`.
 */
async function startStageProxy(api) {
  const target = new URL(api);
  const strays = [];
  const server = http.createServer((request, response) => {
    const match = /^\/dev(\/.*)?$/.exec(request.url.replace(/\?.*$/, ''));
    if (!match) {
      strays.push(request.url);
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: 'Missing Authentication Token' }));
      return;
    }
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url.slice('/dev'.length) || '/',
        headers: { ...request.headers, host: target.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: error.message }));
    });
    request.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/dev/`,
    strays,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/**
 * The api behind a proxy whose faults a test switches, to show what the dashboard does when its api fails
 * in ways the api itself never does. The dashboard is served through it too (its URLs are relative), so
 * every request the page makes passes here. `fault`:
 *
 * - null: everything is forwarded;
 * - 'html-502': the api's routes answer 502 with an HTML page, as a gateway or load balancer in front of
 *   the api does when the api is down;
 * - 'png-reset': the plot's PNG request (`/plot` with `Accept: image/png`) gets its connection reset;
 * - 'png-garbage': the PNG request answers 200 `image/png` with bytes that are no PNG.
 *
 * `down()` stops listening and drops every connection, so the page's requests are refused, as for an api
 * that is not running; `up()` listens again on the same port.
 */
export const API_ROUTES = ['/buckets', '/window', '/max', '/plot', '/presign'];

export async function startFaultProxy(api) {
  const target = new URL(api);
  const proxy = { fault: null, seen: [] };
  const server = http.createServer((request, response) => {
    const route = request.url.replace(/\?.*$/, '');
    const png = route === '/plot' && /image\/png/.test(request.headers.accept || '');
    proxy.seen.push({ url: request.url, fault: proxy.fault });
    if (proxy.fault === 'html-502' && API_ROUTES.includes(route)) {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    }
    if (proxy.fault === 'png-reset' && png) {
      request.socket.destroy();
      return;
    }
    if (proxy.fault === 'png-garbage' && png) {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end('this is not a PNG');
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => response.destroy(error));
    request.pipe(upstream);
  });
  const listen = (port) =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(server.address().port);
      });
    });
  const close = () =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const port = await listen(0);
  proxy.url = `http://127.0.0.1:${port}/`;
  proxy.down = close;
  proxy.up = () => listen(port);
  proxy.stop = close;
  return proxy;
}

/** Waits until `check()` is truthy, trying every 200 ms for up to `ms`. */
export async function eventually(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** The stack with the driver's classic scenario played on it, the `/dev/` proxy and a browser. */
export async function startWorld() {
  const executablePath = requireBrowser();
  const stops = [];
  const world = {
    async stop() {
      const errors = [];
      for (const stop of stops.reverse()) await stop().catch((error) => errors.push(error));
      if (errors.length) throw errors[0];
    },
  };
  try {
    const dataDir = await mkdtemp(path.join(tmpdir(), 's3-size-micro-e2e-'));
    stops.push(() => rm(dataDir, { recursive: true, force: true }));
    world.stack = await startStack(dataDir);
    stops.push(() => world.stack.stop());
    world.summary = await runDriver(world.stack);
    // Notifications reach the tracker asynchronously: wait until the history has the last step.
    const last = world.summary.steps.at(-1);
    await eventually('the history holds the last step', async () => {
      const window = await getJson(`${world.stack.api}/window?window=60`);
      const latest = window.samples.at(-1) ?? window.carry_in;
      return latest && latest.size_bytes === last.expected_bucket_size_bytes && latest.object_count === last.expected_object_count;
    });
    world.proxy = await startStageProxy(world.stack.api);
    stops.push(() => world.proxy.stop());
    world.browser = await chromium.launch({
      executablePath,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    stops.push(() => world.browser.close());
    await mkdir(SCREENSHOTS, { recursive: true });
    return world;
  } catch (error) {
    await world.stop().catch(() => {});
    throw error;
  }
}

/**
 * A fresh page whose console errors and failed requests are collected: 1200×1000 at one device pixel per
 * CSS pixel, unless `options` (Playwright's context options, such as `viewport` and `deviceScaleFactor`)
 * say otherwise.
 */
export async function openPage(world, options = {}) {
  const context = await world.browser.newContext({ viewport: { width: 1200, height: 1000 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
  });
  return page;
}

export function screenshot(page, name) {
  return page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
