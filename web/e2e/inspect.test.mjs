// The inspector page (/inspect) in a real browser (Debian's Chromium,
// driven by playwright-core) against the real stack: web/e2e/server runs
// the issuer, s3server and objstore/disk on 127.0.0.1. Nothing is mocked:
// the URLs the page builds are signed by the service and used here, with
// fetch and with the curl command the page shows.
//
//   cd web/e2e && npm ci && node --test inspect.test.mjs
//
// Environment:
//   PRESIGN_CHROMIUM          the browser (default /usr/bin/chromium)
//   UPDATE_SCREENSHOT=1       also write web/e2e/inspect-screenshot.png (the
//                             committed one); out/inspect-screenshot.png always
//
// It writes out/inspect-screenshot.png (and -dark, -narrow beside it),
// out/inspect-put.png (the builder with a PUT) and out/inspect-timings.json.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exec } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { here, launchBrowser, out, startServer } from './harness.mjs';

const WAIT = 30_000; // ms: the bound of every single wait

let tmp;
let server;
let stack; // {page, storage, bucket, keys}
let browser;
let page;
const pageErrors = [];
const cspErrors = [];
const timings = {};

// AWS's example of a presigned GET (Signature Version 4 documentation,
// "Authenticating Requests: Using Query Parameters"): long expired.
const AWS_EXAMPLE = 'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z' +
  '&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';

// ---- helpers --------------------------------------------------------------

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** apiCall calls the service's API from the test, as a backend would. */
async function apiCall(path, body, key = stack.keys.web) {
  const res = await fetch(stack.page + path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT),
  });
  return { status: res.status, body: await res.json() };
}

/** putObject stores body at key through a presigned PUT. */
async function putObject(key, body, contentType = 'text/plain') {
  const u = await apiCall('/v1/presign', { method: 'PUT', key, contentType, size: body.length });
  assert.equal(u.status, 200, JSON.stringify(u.body));
  const res = await fetch(u.body.url, { method: 'PUT', headers: u.body.headers, body, signal: AbortSignal.timeout(WAIT) });
  assert.equal(res.status, 200, await res.text());
}

/** getObject reads key back through a presigned GET. */
async function getObject(key) {
  const u = await apiCall('/v1/presign', { method: 'GET', key });
  assert.equal(u.status, 200, JSON.stringify(u.body));
  const res = await fetch(u.body.url, { signal: AbortSignal.timeout(WAIT) });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** sh runs a command line in the test's directory, bounded. */
const sh = (cmd) => promisify(exec)(cmd, { cwd: tmp, timeout: WAIT, shell: '/bin/sh' });

const built = () => page.locator('#build-result');
const builtField = (name) => page.locator(`#built-inspection [data-field="${name}"]`);
const inspected = (name) => page.locator(`#inspect-result [data-field="${name}"]`);

/** secondsLeft reads a countdown's value, in seconds. */
const secondsLeft = (loc) => loc.getAttribute('data-seconds-left').then(Number);

/**
 * build fills the builder and signs; it waits until the URL and its
 * inspection show, or the error does.
 */
async function build({ method = 'GET', key, filename = '', expiry = '', seconds, contentType, size, meta = [] }) {
  await page.selectOption('#build-method', method);
  await page.fill('#build-key', key);
  if (method === 'GET') await page.fill('#build-filename', filename);
  if (method === 'PUT') {
    await page.fill('#build-content-type', contentType);
    await page.fill('#build-size', String(size));
    while (await page.locator('#meta-rows > li').count() > 0) await page.locator('#meta-rows .meta-remove').first().click();
    for (const [i, [name, value]] of meta.entries()) {
      await page.click('#meta-add');
      await page.getByLabel(`Metadata header ${i + 1}: name after x-amz-meta-`).fill(name);
      await page.getByLabel(`Metadata header ${i + 1}: value`).fill(value);
    }
  }
  await page.selectOption('#build-expiry', expiry);
  if (seconds !== undefined) await page.fill('#build-seconds', String(seconds));
  const t0 = performance.now();
  // The previous URL's countdown must not be mistaken for this one's.
  await page.evaluate(() => document.getElementById('built-inspection').replaceChildren());
  await page.click('#build-go');
  await page.locator('#built-inspection .countdown[data-seconds-left], #build-error:not([hidden])').first().waitFor({ timeout: WAIT });
  return performance.now() - t0;
}

async function inspect(url, method = '') {
  await page.fill('#inspect-url', url);
  await page.selectOption('#inspect-method', method);
  await page.evaluate(() => document.getElementById('inspect-result').replaceChildren());
  const t0 = performance.now();
  await page.click('#inspect-go');
  await page.locator('#inspect-result .countdown[data-seconds-left], #inspect-error:not([hidden])').first().waitFor({ timeout: WAIT });
  return performance.now() - t0;
}

// ---- setup ----------------------------------------------------------------

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'presign-inspect-e2e-'));
  await mkdir(out, { recursive: true });
  server = await startServer(tmp);
  stack = server.info;
  browser = await launchBrowser(WAIT);
  const context = await browser.newContext({ viewport: { width: 960, height: 1000 }, colorScheme: 'light', locale: 'en-GB', timezoneId: 'UTC' });
  page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
}, { timeout: 360_000 });

after(async () => {
  await writeFile(join(out, 'inspect-timings.json'), JSON.stringify(timings, null, 2) + '\n').catch(() => {});
  await browser?.close();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

// ---- tests ----------------------------------------------------------------

test('the upload page links to the inspector, which keeps the same API key', async () => {
  await page.goto(stack.page + '/');
  await page.fill('#api-key', stack.keys.web);
  const nav = page.getByRole('navigation', { name: 'Pages' });
  assert.equal(await nav.getByRole('link', { name: 'Upload' }).getAttribute('aria-current'), 'page');
  const [res] = await Promise.all([
    page.waitForResponse(stack.page + '/inspect'),
    nav.getByRole('link', { name: 'Inspector' }).click(),
  ]);
  assert.equal(res.status(), 200);
  const h = res.headers();
  assert.match(h['content-security-policy'], new RegExp(`connect-src 'self' ${stack.storage}`));
  assert.match(h['content-security-policy'], /script-src 'self';/);
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(page.url(), stack.page + '/inspect');
  assert.equal(await page.title(), 'Inspector · presign');
  assert.equal(await nav.getByRole('link', { name: 'Inspector' }).getAttribute('aria-current'), 'page');
  assert.equal(await nav.getByRole('link', { name: 'Upload' }).getAttribute('href'), '/');
  // One session storage entry serves both pages (the page's module fills
  // the field once it runs: wait for it, boundedly).
  await page.waitForFunction((k) => document.getElementById('api-key').value === k, stack.keys.web, { timeout: WAIT });
  assert.equal(await page.inputValue('#api-key'), stack.keys.web);
  // The bucket comes from /config.json; the key starts with the client's
  // prefix, which the API's refusal of a key outside it names.
  await page.waitForFunction(() => document.getElementById('build-bucket').value === 'uploads', null, { timeout: WAIT });
  await page.waitForFunction(() => document.getElementById('build-key').value === 'web/', null, { timeout: WAIT });
  assert.match(await page.textContent('#build-key-hint'), /start with web\/$/);
  // Every control has an accessible name.
  for (const label of ['Key', 'Presigned URL', 'Sent with', 'Bucket', 'Method', 'Object key', 'Expires after']) {
    await page.getByLabel(label, { exact: true }).waitFor();
  }
  assert.equal(await page.evaluate(() => localStorage.length), 0);
});

test('build a GET URL for a stored object: the URL, curl, and its inspection counting down', async () => {
  const body = randomBytes(64 * 1024);
  await putObject('web/inspector/hello.bin', body, 'application/octet-stream');

  const ms = await build({ method: 'GET', key: 'web/inspector/hello.bin', filename: 'hello copy.bin', expiry: '3600' });
  timings.buildAndInspectMs = Math.round(ms);
  assert.equal(await page.locator('#build-error').isHidden(), true, await page.textContent('#build-error'));
  const url = await page.textContent('#built-url');
  assert.ok(url.startsWith(`${stack.storage}/uploads/web/inspector/hello.bin?`), url);
  assert.equal(await page.getAttribute('#open-url', 'href'), url);
  assert.equal(await page.locator('#built-no-headers').isVisible(), true);

  assert.equal(await builtField('bucket').textContent(), 'uploads');
  assert.equal(await builtField('key').textContent(), 'web/inspector/hello.bin');
  assert.match(await builtField('operation').textContent(), /^GetObject GET, /);
  assert.equal(await builtField('status').textContent(), 'Valid');
  assert.match(await builtField('lifetime').textContent(), /^1 h 3600 s$/);
  assert.equal(await page.locator('#build-bucket').inputValue(), 'uploads');

  // The countdown runs in the page: two samples 1.2 s apart.
  const countdown = builtField('countdown');
  const a = await secondsLeft(countdown);
  const textA = await countdown.textContent();
  await sleep(1200);
  const b = await secondsLeft(countdown);
  assert.ok(a > 3590 && a <= 3600, `first sample ${a} s`);
  assert.ok(b < a && b >= a - 2, `the countdown went from ${a} to ${b}`);
  assert.match(textA, /^Expires in 59 min \d{1,2} s$/);
  assert.notEqual(await countdown.textContent(), textA);
  timings.countdownSamples = [a, b];

  // The URL works, from outside the browser, and so does the curl command.
  const res = await fetch(url, { signal: AbortSignal.timeout(WAIT) });
  assert.equal(res.status, 200);
  assert.equal(sha256(Buffer.from(await res.arrayBuffer())), sha256(body));
  assert.match(res.headers.get('content-disposition'), /^attachment; filename="hello copy\.bin"$/);
  const curl = await page.textContent('#built-curl');
  assert.equal(curl, `curl -fS -o 'hello copy.bin' '${url}'`);
  await sh(curl);
  assert.equal(sha256(await readFile(join(tmp, 'hello copy.bin'))), sha256(body));
});

test('build a PUT URL with metadata: the headers to send, and its curl command uploads', async () => {
  const body = randomBytes(3000);
  await writeFile(join(tmp, 'put.txt'), body);
  await build({ method: 'PUT', key: 'web/inspector/put.txt', contentType: 'text/plain', size: body.length, meta: [['Author', 'Ada']], expiry: '300' });
  assert.equal(await page.locator('#build-error').isHidden(), true, await page.textContent('#build-error'));
  assert.equal(await page.locator('#open-url').isHidden(), true);
  await page.locator('section:has(#build-heading)').screenshot({ path: join(out, 'inspect-put.png') });
  const headers = await page.locator('#built-headers > div').allTextContents();
  assert.deepEqual(headers.sort(), ['Content-Length3000', 'Content-Typetext/plain']);
  assert.match(await builtField('operation').textContent(), /^PutObject PUT/);
  assert.match(await builtField('signedHeaders').textContent(), /content-length, content-type, host/);
  assert.match(await builtField('lifetime').textContent(), /^5 min 300 s$/);
  const url = await page.textContent('#built-url');
  assert.match(url, /[?&]x-amz-meta-author=Ada(&|$)/);
  const curl = await page.textContent('#built-curl');
  assert.equal(curl, `curl -fS -T 'put.txt' -H 'Content-Type: text/plain' '${url}'`);
  await sh(curl);
  const got = await getObject('web/inspector/put.txt');
  assert.equal(got.status, 200);
  assert.equal(sha256(got.body), sha256(body));
  assert.equal(got.headers.get('x-amz-meta-author'), 'Ada');
  assert.equal(got.headers.get('content-type'), 'text/plain');
});

test('build a DELETE URL, which deletes', async () => {
  await build({ method: 'DELETE', key: 'web/inspector/put.txt' });
  assert.equal(await page.locator('#build-error').isHidden(), true, await page.textContent('#build-error'));
  assert.match(await builtField('operation').textContent(), /^DeleteObject DELETE/);
  const url = await page.textContent('#built-url');
  assert.equal(await page.textContent('#built-curl'), `curl -fS -X DELETE '${url}'`);
  const res = await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(WAIT) });
  assert.equal(res.status, 204);
  assert.equal((await getObject('web/inspector/put.txt')).status, 404);
});

test('a key outside the client\'s prefix is refused with the prefix', async () => {
  await build({ method: 'GET', key: 'other/secret.txt' });
  assert.equal(await page.textContent('#build-error'), 'Refused: other/secret.txt is outside this API key\'s prefix, web/. Use a key that starts with web/');
  assert.equal(await built().isHidden(), true);
});

test('a URL that expires while shown turns expired', async () => {
  await build({ method: 'GET', key: 'web/inspector/hello.bin', expiry: 'other', seconds: 2 });
  const countdown = builtField('countdown');
  assert.ok(await secondsLeft(countdown) <= 2);
  await page.waitForFunction(() => Number(document.querySelector('#built-inspection .countdown').dataset.secondsLeft) < 0, null, { timeout: 5000 });
  assert.match(await countdown.textContent(), /^Expired [12] s ago$/);
  assert.equal(await builtField('status').textContent(), 'Expired');
});

test('an expired URL: the parameters, "expired … ago" and an error', async () => {
  timings.inspectMs = Math.round(await inspect(AWS_EXAMPLE));
  assert.equal(await page.locator('#inspect-error').isHidden(), true, await page.textContent('#inspect-error'));
  assert.equal(await inspected('status').textContent(), 'Expired');
  assert.match(await inspected('countdown').textContent(), /^Expired \d+ years( \d+ d)? ago$/);
  assert.equal(await inspected('bucket').textContent(), 'examplebucket');
  assert.equal(await inspected('key').textContent(), 'test.txt');
  assert.equal(await inspected('addressing').textContent(), 'virtual-hosted');
  assert.match(await inspected('operation').textContent(), /^GetObject GET, assumed/);
  const expired = page.locator('#inspect-result .finding[data-code="expired"]');
  assert.equal(await expired.getAttribute('data-severity'), 'error');
  assert.match(await expired.textContent(), /^Errorexpired .* ago, at 2013-05-25 00:00:00 UTC/);
  // The parameter table: decoded values and their meaning.
  const rows = page.locator('#inspect-result table.params tbody tr');
  assert.equal(await rows.count(), 6);
  const credential = rows.filter({ hasText: 'X-Amz-Credential' });
  assert.match(await credential.locator('td').first().textContent(), /^AKIAIOSFODNN7EXAMPLE\/20130524\/us-east-1\/s3\/aws4_request$/);
  assert.match(await credential.locator('td').last().textContent(), /access key AKIAIOSFODNN7EXAMPLE/);
});

test('a URL is explained without an API key: parsing needs no secret', async () => {
  const context = await browser.newContext({ viewport: { width: 960, height: 1000 }, locale: 'en-GB', timezoneId: 'UTC' });
  const fresh = await context.newPage();
  try {
    await fresh.goto(`${stack.page}/inspect`);
    assert.equal(await fresh.inputValue('#api-key'), '', 'a fresh page has no key');
    await fresh.fill('#inspect-url', AWS_EXAMPLE);
    await fresh.click('#inspect-go');
    await fresh.locator('#inspect-result [data-field="bucket"]').waitFor({ timeout: WAIT });
    assert.equal(await fresh.locator('#inspect-result [data-field="bucket"]').textContent(), 'examplebucket');
    assert.equal(await fresh.locator('#api-key-error').isHidden(), true, 'no key was asked for');
  } finally {
    await context.close();
  }
});

test('a plain http URL gets a warning', async () => {
  await inspect(AWS_EXAMPLE.replace('https://', 'http://'), 'GET');
  const warning = page.locator('#inspect-result .finding[data-code="plain-http"]');
  assert.equal(await warning.getAttribute('data-severity'), 'warning');
  assert.match(await warning.locator('.severity').textContent(), /^Warning$/);
  assert.match(await inspected('operation').textContent(), /^GetObject GET, as chosen$/);
});

test('garbage gets the API\'s one-line message', async () => {
  const want = (await apiCall('/v1/inspect', { url: 'garbage' })).body.error.message;
  await inspect('garbage');
  assert.equal(await page.textContent('#inspect-error'), want);
  assert.ok(!want.includes('\n') && want.length > 10, want);
  assert.equal(await page.locator('#inspect-result').isHidden(), true);
  // A URL without its signature says which parameter is missing.
  await inspect(AWS_EXAMPLE.replace(/&X-Amz-Signature=[0-9a-f]+/, ''));
  assert.match(await page.textContent('#inspect-error'), /X-Amz-Signature/);
});

test('screenshots', async () => {
  // The state a person would see: an http URL's warnings, a URL built for
  // a week (over the guideline for downloads), its countdown running.
  await inspect(AWS_EXAMPLE.replace('https://', 'http://'));
  await build({ method: 'GET', key: 'web/inspector/hello.bin', filename: 'hello.bin', expiry: '604800' });
  assert.equal(await page.locator('#built-inspection .finding[data-code="lifetime-over-guideline"]').getAttribute('data-severity'), 'warning');
  await page.locator('#api-key').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, 'inspect-screenshot.png'), fullPage: true });
  if (process.env.UPDATE_SCREENSHOT === '1') await copyFile(join(out, 'inspect-screenshot.png'), join(here, 'inspect-screenshot.png'));
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(out, 'inspect-screenshot-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(out, 'inspect-screenshot-narrow.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 390 px screen`);
  await page.setViewportSize({ width: 960, height: 1000 });
});

test('no uncaught errors and no CSP violations', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspErrors, []);
});
