// The upload page in a real browser (Debian's Chromium, driven by
// playwright-core) against the real stack: web/e2e/server runs the issuer,
// s3server and objstore/disk on 127.0.0.1. Nothing is mocked.
//
//   cd web/e2e && npm ci && npm test
//
// Environment:
//   PRESIGN_CHROMIUM          the browser (default /usr/bin/chromium)
//   PRESIGN_E2E_BIG_MIB       size of the large file (default 100)
//   UPDATE_SCREENSHOT=1       also write web/e2e/screenshot.png (the
//                             committed one); out/screenshot.png always
//
// It writes out/screenshot.png and out/timings.json.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { here, launchBrowser, out, startServer } from './harness.mjs';

const BIG_MIB = Number(process.env.PRESIGN_E2E_BIG_MIB || 100);
const WAIT = 30_000; // ms: the bound of every single wait but the big upload
const BIG_WAIT = 180_000;

let tmp;
let server;
let stack; // {page, storage, bucket, keys}
let browser;
let page;
const pageErrors = [];
const cspErrors = [];
const timings = {};

// ---- helpers --------------------------------------------------------------

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

async function sha256File(path) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk);
  return h.digest('hex');
}

// writeRandomFile writes size random bytes to path and returns their SHA-256.
async function writeRandomFile(path, size) {
  const h = createHash('sha256');
  const w = createWriteStream(path);
  const chunk = 1 << 20;
  for (let left = size; left > 0; left -= chunk) {
    const b = randomBytes(Math.min(chunk, left));
    h.update(b);
    if (!w.write(b)) await new Promise((r) => w.once('drain', r));
  }
  await new Promise((resolve, reject) => w.end((err) => (err ? reject(err) : resolve())));
  return h.digest('hex');
}

// fetchSHA256 downloads url (a presigned GET from the page's link) and
// returns the SHA-256 of the body and its Content-Disposition.
async function fetchSHA256(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(BIG_WAIT) });
  assert.equal(res.status, 200, `GET ${url}: ${res.status} ${await res.clone().text()}`);
  const h = createHash('sha256');
  for await (const chunk of res.body) h.update(chunk);
  return { sha: h.digest('hex'), disposition: res.headers.get('content-disposition') };
}

const items = () => page.locator('#uploads > li');
const itemNamed = (name) => items().filter({ has: page.locator('.name', { hasText: name }) });

async function setKey(key) {
  await page.fill('#api-key', key);
}

async function chooseMethod(value) {
  await page.check(`input[name="method"][value="${value}"]`);
}

// waitFinished waits until the upload item of name is done, failed or
// cancelled, and returns its state.
async function waitFinished(name, timeout = WAIT) {
  const li = itemNamed(name);
  await li.and(page.locator('[data-state="done"], [data-state="failed"], [data-state="cancelled"]')).waitFor({ timeout });
  return li.getAttribute('data-state');
}

async function expectDone(name, timeout = WAIT) {
  const state = await waitFinished(name, timeout);
  const li = itemNamed(name);
  assert.equal(state, 'done', `${name}: ${await li.locator('.status').textContent()}`);
  assert.equal(await li.locator('progress').evaluate((p) => p.value), 100, `${name}: the progress bar`);
  assert.equal(await li.locator('.pct').textContent(), '100%');
  return li;
}

// ---- setup ----------------------------------------------------------------

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'presign-web-e2e-'));
  await mkdir(out, { recursive: true });
  server = await startServer(tmp);
  stack = server.info;
  browser = await launchBrowser(WAIT);
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 960, height: 1000 }, colorScheme: 'light' });
  page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
}, { timeout: 360_000 });

after(async () => {
  await writeFile(join(out, 'timings.json'), JSON.stringify(timings, null, 2) + '\n').catch(() => {});
  await browser?.close();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

// ---- tests ----------------------------------------------------------------

test('the page loads with its security headers', async () => {
  const res = await page.goto(stack.page + '/');
  assert.equal(res.status(), 200);
  const h = res.headers();
  assert.match(h['content-security-policy'], new RegExp(`connect-src 'self' ${stack.storage}`));
  assert.match(h['content-security-policy'], /script-src 'self';/);
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(h['referrer-policy'], 'no-referrer');
  assert.equal(await page.title(), 'Upload · presign');
  // Labels: every control has an accessible name.
  await page.getByLabel('Key', { exact: true }).waitFor();
  await page.getByRole('radio', { name: /Automatic/ }).waitFor();
  await page.getByRole('button', { name: 'Choose files' }).or(page.getByText('Choose files')).first().waitFor();
  assert.equal(await page.locator('#empty').isVisible(), true);
});

test('the API key stays in sessionStorage, never in the address', async () => {
  await setKey(stack.keys.web);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('presign.apiKey')), stack.keys.web);
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  await page.reload();
  assert.equal(await page.inputValue('#api-key'), stack.keys.web);
  assert.ok(!page.url().includes(stack.keys.web));
  await page.press('#api-key', 'Enter'); // no form to submit into the URL
  assert.equal(page.url(), stack.page + '/');
});

test('a small file: PUT with a checksum, progress to 100%, download through the link', async () => {
  const body = randomBytes(300 * 1024);
  await chooseMethod('auto');
  const t0 = performance.now();
  await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: body });
  const li = await expectDone('notes.txt');
  timings.smallUploadMs = Math.round(performance.now() - t0);
  assert.match(await li.locator('.status').textContent(), /Uploaded with PUT/);
  assert.match(await li.locator('.key').textContent(), /^web\/[0-9a-f-]{36}\/notes\.txt$/);

  const [download] = await Promise.all([page.waitForEvent('download'), li.locator('a.download').click()]);
  assert.equal(download.suggestedFilename(), 'notes.txt');
  assert.equal(await sha256File(await download.path()), sha256(body));
});

test('a POST form upload', async () => {
  const body = randomBytes(200 * 1024);
  await chooseMethod('POST');
  await page.setInputFiles('#file-input', { name: 'photo.png', mimeType: 'image/png', buffer: body });
  const li = await expectDone('photo.png');
  assert.match(await li.locator('.status').textContent(), /Uploaded with POST/);
  const got = await fetchSHA256(await li.locator('a.download').getAttribute('href'));
  assert.equal(got.sha, sha256(body));
  assert.match(got.disposition, /attachment; filename="?photo\.png"?/);
  await chooseMethod('auto');
});

test(`a ${BIG_MIB} MiB file: multipart, parts in parallel, progress to 100%`, { timeout: 600_000 }, async (t) => {
  const path = join(tmp, 'big.bin');
  const want = await writeRandomFile(path, BIG_MIB << 20);
  const seen = new Set();
  const parts = [];
  const onRequest = (r) => {
    if (r.method() === 'PUT' && r.url().startsWith(stack.storage) && r.url().includes('partNumber=')) parts.push(r.url());
  };
  page.on('request', onRequest);
  const t0 = performance.now();
  await page.setInputFiles('#file-input', path);
  const li = itemNamed('big.bin');
  // Sample the bar while it moves: it must pass through values between 0 and 100.
  while ((await li.getAttribute('data-state')) === 'active' && performance.now() - t0 < BIG_WAIT) {
    seen.add(await li.locator('progress').evaluate((p) => p.value));
    await new Promise((r) => setTimeout(r, 50));
  }
  await expectDone('big.bin', BIG_WAIT);
  const ms = performance.now() - t0;
  page.off('request', onRequest);
  timings.bigUploadMiB = BIG_MIB;
  timings.bigUploadMs = Math.round(ms);
  timings.bigUploadMiBps = Math.round((BIG_MIB / (ms / 1000)) * 10) / 10;
  timings.bigUploadPageSeconds = Number(await li.getAttribute('data-seconds'));
  t.diagnostic(`${BIG_MIB} MiB upload in the browser: ${(ms / 1000).toFixed(2)} s (${timings.bigUploadMiBps} MiB/s)`);
  assert.match(await li.locator('.status').textContent(), /Uploaded in parts/);
  assert.equal(new Set(parts.map((u) => new URL(u).searchParams.get('partNumber'))).size, Math.ceil(BIG_MIB / 16));
  assert.ok([...seen].some((v) => v > 0 && v < 100), `the bar showed no value between 0 and 100: ${[...seen]}`);

  const t1 = performance.now();
  const got = await fetchSHA256(await li.locator('a.download').getAttribute('href'));
  timings.bigDownloadMs = Math.round(performance.now() - t1);
  assert.equal(got.sha, want, 'the downloaded bytes differ from the file');
});

test('a refused content type gets a clear message', async () => {
  await page.setInputFiles('#file-input', { name: 'page.html', mimeType: 'text/html', buffer: Buffer.from('<p>hi</p>') });
  assert.equal(await waitFinished('page.html'), 'failed');
  const status = await itemNamed('page.html').locator('.status').textContent();
  assert.equal(status, 'Refused: files of type text/html may not be uploaded with this API key. Allowed types: image/*, text/plain, application/octet-stream.');
  await page.locator('#api-key').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, 'screenshot.png'), fullPage: true });
  if (process.env.UPDATE_SCREENSHOT === '1') await copyFile(join(out, 'screenshot.png'), join(here, 'screenshot.png'));
});

test('a size over the key\'s limit gets a clear message', async () => {
  await setKey(stack.keys.tiny);
  await page.setInputFiles('#file-input', { name: 'two-k.txt', mimeType: 'text/plain', buffer: randomBytes(2048) });
  assert.equal(await waitFinished('two-k.txt'), 'failed');
  assert.equal(await itemNamed('two-k.txt').locator('.status').textContent(), 'Too large: 2 KiB is over this API key\'s limit of 1 KiB.');
});

test('a wrong API key gets a clear message', async () => {
  await setKey('psk_not_a_key');
  await page.setInputFiles('#file-input', { name: 'wrong-key.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
  assert.equal(await waitFinished('wrong-key.txt'), 'failed');
  assert.match(await itemNamed('wrong-key.txt').locator('.status').textContent(), /^The API key was not accepted\./);
  assert.equal(await page.locator('#api-key-error').textContent(), 'This key was not accepted.');
  assert.equal(await page.getAttribute('#api-key', 'aria-invalid'), 'true');
});

test('rate limits (429) are waited out and retried', async () => {
  await setKey(stack.keys.slow);
  const files = ['a', 'b', 'c'].map((n) => ({ name: `slow-${n}.txt`, mimeType: 'text/plain', buffer: randomBytes(100) }));
  await page.setInputFiles('#file-input', files);
  for (const f of files) await expectDone(f.name, 60_000);
  const metrics = await (await fetch(stack.page + '/metrics')).text();
  assert.match(metrics, /presign_http_requests_total\{code="429",route="POST \/v1\/[a-z/]+"\} [1-9]/);
});

test('PUT switches to multipart on use_multipart; cancelling aborts the upload', async () => {
  await setKey(stack.keys.web);
  await chooseMethod('PUT');
  const path = join(tmp, 'cancel.bin');
  await writeRandomFile(path, 80 << 20);
  const refused = page.waitForResponse((r) => r.url() === `${stack.page}/v1/uploads`);
  const started = page.waitForResponse((r) => r.url() === `${stack.page}/v1/uploads/multipart`);
  const aborted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/v1/uploads/multipart/'));
  // Slow the uploads down, so that the cancel comes while parts are moving.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 << 20 });
  await page.setInputFiles('#file-input', path);
  const r = await refused;
  assert.equal(r.status(), 400);
  assert.equal((await r.json()).error.code, 'use_multipart');
  assert.equal((await started).status(), 200);
  const li = itemNamed('cancel.bin');
  // Chosen PUT, sent in parts: the page says so.
  assert.match(await li.locator('.notice').textContent(), /^80 MiB is over the service's limit for one PUT: sent in parts instead\.$/);
  await page.waitForFunction((el) => el.querySelector('progress').value >= 2 || el.dataset.state !== 'active', await li.elementHandle());
  const pct = await li.locator('progress').evaluate((p) => p.value);
  await li.getByRole('button', { name: 'Cancel upload of cancel.bin' }).click();
  assert.equal(await waitFinished('cancel.bin'), 'cancelled');
  assert.ok(pct >= 2 && pct < 100, `cancelled at ${pct}%`);
  assert.equal(await li.locator('.status').textContent(), 'Cancelled.');
  assert.equal((await aborted).status(), 204);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.detach();
  await chooseMethod('auto');
});

test('on a phone the new uploads are scrolled into view; the bar is the percentage; screenshots at 1280 and 390 px', async () => {
  for (const [width, height] of [[390, 844], [1280, 900]]) {
    const context = await browser.newContext({ viewport: { width, height }, colorScheme: 'light', isMobile: width < 600, hasTouch: width < 600 });
    const p = await context.newPage();
    try {
      await p.goto(stack.page + '/');
      await p.fill('#api-key', stack.keys.web);
      const path = join(tmp, `phone-${width}.txt`);
      await writeFile(path, 'hello from a phone\n');
      await p.setInputFiles('#file-input', path);
      const li = p.locator('#uploads > li').filter({ has: p.locator('.name', { hasText: `phone-${width}.txt` }) });
      await li.and(p.locator('[data-state="done"]')).waitFor({ timeout: WAIT });
      // The item is on screen, where the chooser left the user.
      await p.waitForFunction((el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight - 40; }, await li.elementHandle(), { timeout: WAIT });
      // No animation between the bar and the number beside it.
      const transition = await li.locator('progress').evaluate((el) => getComputedStyle(el, '::-webkit-progress-value').transitionDuration);
      assert.equal(transition, '0s');
      assert.equal(await li.locator('progress').evaluate((el) => el.value), 100);
      assert.equal(await li.locator('.pct').textContent(), '100%');
      await p.screenshot({ path: join(out, `upload-${width}.png`), fullPage: true });
      if (process.env.UPDATE_SCREENSHOT === '1') await copyFile(join(out, `upload-${width}.png`), join(here, `upload-${width}.png`));
    } finally {
      await context.close();
    }
  }
});

test('an expired URL: S3\'s XML error becomes a clear message', async () => {
  // A real expired URL from the API and a real error from the store.
  const api = await fetch(stack.page + '/v1/uploads', {
    method: 'POST', headers: { Authorization: `Bearer ${stack.keys.web}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ filename: 'late.txt', contentType: 'text/plain', size: 1, expiresIn: 1 }),
  });
  const u = await api.json();
  await new Promise((r) => setTimeout(r, 2100));
  const res = await fetch(u.url, { method: 'PUT', headers: u.headers, body: 'x' });
  const xml = await res.text();
  assert.equal(res.status, 403, xml);
  const msg = await page.evaluate(async ([status, body]) => {
    const m = await import('/upload.js');
    return m.describeStorageError(status, body, { url: 'http://storage.example' }).message;
  }, [res.status, xml]);
  assert.match(msg, /^The upload URL expired at .+; storage's clock says .+\. Upload the file again/);
});

test('storage unreachable: a network error message', async () => {
  // deadStorage is allowed by the page's CSP, but nothing listens there.
  const msg = await page.evaluate(async (url) => {
    const m = await import('/upload.js');
    return m.send({ method: 'PUT', url, body: new Blob(['x']) }).then(() => 'sent', (e) => e.message);
  }, stack.deadStorage + '/uploads/x');
  assert.equal(msg, `Could not reach storage at ${stack.deadStorage}: the network failed, storage is down, or it does not allow uploads from this page's origin (CORS).`);
});

test('no uncaught errors and no CSP violations', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspErrors, []);
});
