// The world a browser test runs in: the real local stack (S3 endpoint, tracker, SQLite history, api) on free
// loopback ports with its data in a temporary folder, the driver's scenario run against it, a stand-in for
// API Gateway's `/dev/` stage, and headless Chromium. Everything started here is stopped by `stop()`.

import { spawn } from 'node:child_process';
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

/** Why the browser tests cannot run here, or null. Under CI a missing browser fails instead. */
export function missingBrowser() {
  if (existsSync(CHROMIUM)) return null;
  const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(reason);
  return reason;
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

/** Starts `local` and reads the endpoints from its banner. */
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
      const s3 = /S3 endpoint\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      const api = /Plot API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (s3 && api) {
        clearTimeout(timeout);
        child.off('exit', early);
        resolve({ s3: s3[1], api: api[1] });
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
      const window = await getJson(`${world.stack.api}/window?seconds=60`);
      const latest = window.samples.at(-1) ?? window.carry_in;
      return latest && latest.size_bytes === last.expected_bucket_size_bytes && latest.object_count === last.expected_object_count;
    });
    world.proxy = await startStageProxy(world.stack.api);
    stops.push(() => world.proxy.stop());
    world.browser = await chromium.launch({
      executablePath: CHROMIUM,
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

/** A fresh page whose console errors and failed requests are collected. */
export async function openPage(world) {
  const context = await world.browser.newContext({ viewport: { width: 1200, height: 1000 } });
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

/** Bytes as the dashboard and the plot write them. */
export function humanBytes(bytes) {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = value >= 100 ? value.toFixed(0) : value.toFixed(1);
  return `${text.replace(/\.0$/, '')} ${units[unit]}`;
}
