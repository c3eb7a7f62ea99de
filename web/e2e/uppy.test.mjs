// Uppy in a real browser (Debian's Chromium, driven by playwright-core)
// against presign serve's stack (web/e2e/server: the issuer, s3server and
// objstore/disk on 127.0.0.1). The page (uppy/index.html) loads the real
// @uppy/core, @uppy/dashboard, @uppy/aws-s3 and @uppy/golden-retriever from
// npm, pinned in package-lock.json and bundled here by esbuild, and uploads
// through the Dashboard in both of the plugin's modes presign serves:
// companionEndpoint (the /s3 routes, authenticated by the session cookie)
// and signRequest (POST /v1/uppy/sign). Nothing is mocked.
//
//   cd web/e2e && npm ci && node --test uppy.test.mjs
//
// Environment:
//   PRESIGN_CHROMIUM          the browser (default /usr/bin/chromium)
//   UPDATE_SCREENSHOT=1       also write web/e2e/uppy-screenshot.png (the
//                             committed one); out/uppy-screenshot.png always
//   PRESIGN_E2E_MINIO=BIN     store on a MinIO server run from BIN instead
//                             of the embedded store

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { here, launchBrowser, out, startServer } from './harness.mjs';

const MiB = 1 << 20;
// Uppy uploads files over 100 MiB in parts (its shouldUseMultipart default).
const BIG = 101 * MiB;
const WAIT = 30_000; // ms: the bound of every single wait but the big uploads
const BIG_WAIT = 180_000;

let tmp;
let server;
let stack; // {page, storage, bucket, keys}
let browser;
const files = {}; // name -> {path, sha}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

// writeRandomFile writes size random bytes to path and returns their SHA-256.
async function writeRandomFile(path, size) {
  const h = createHash('sha256');
  const w = createWriteStream(path);
  for (let left = size; left > 0; left -= MiB) {
    const b = randomBytes(Math.min(MiB, left));
    h.update(b);
    if (!w.write(b)) await new Promise((r) => w.once('drain', r));
  }
  await new Promise((resolve, reject) => w.end((err) => (err ? reject(err) : resolve())));
  return h.digest('hex');
}

async function makeFile(name, size) {
  const path = join(tmp, name);
  files[name] = { path, sha: await writeRandomFile(path, size) };
  return path;
}

// storedSHA256 downloads key through a presigned GET from the API and
// returns the SHA-256 of the bytes storage holds.
async function storedSHA256(key, apiKey) {
  const res = await fetch(`${stack.page}/v1/downloads`, {
    method: 'POST', body: JSON.stringify({ key }),
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
  });
  assert.equal(res.status, 200, `POST /v1/downloads ${key}: ${await res.clone().text()}`);
  const { url } = await res.json();
  const obj = await fetch(url, { signal: AbortSignal.timeout(BIG_WAIT) });
  assert.equal(obj.status, 200, `GET ${key}: ${obj.status}`);
  const h = createHash('sha256');
  for await (const chunk of obj.body) h.update(chunk);
  return h.digest('hex');
}

// openUppy opens the page in a fresh browser context (so that Golden
// Retriever's storage starts empty) and records the requests the browser
// sends to storage: method, part number and status.
async function openUppy(mode, apiKey) {
  const context = await browser.newContext({ viewport: { width: 900, height: 620 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const storage = [];
  page.on('requestfinished', async (req) => {
    if (!req.url().startsWith(stack.storage)) return;
    const u = new URL(req.url());
    const res = await req.response();
    storage.push({ method: req.method(), part: u.searchParams.get('partNumber'), uploads: u.searchParams.has('uploads'),
      uploadId: u.searchParams.has('uploadId'), status: res?.status() });
  });
  const api = [];
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (req.url().startsWith(stack.page) && (u.pathname.startsWith('/s3/') || u.pathname.startsWith('/v1/'))) api.push(`${req.method()} ${u.pathname}`);
  });
  const url = `${stack.page}/uppy/index.html?mode=${mode}&key=${encodeURIComponent(apiKey)}`;
  await page.goto(url);
  await page.waitForFunction(() => window.ready === true, null, { timeout: WAIT });
  return { context, page, storage, api, errors, url };
}

// addAndUpload adds files through the Dashboard's file input and presses
// its upload button.
async function addAndUpload(page, paths) {
  await page.locator('input.uppy-Dashboard-input').first().setInputFiles(paths);
  await page.locator('.uppy-StatusBar-actionBtn--upload').click({ timeout: WAIT });
}

// settled waits until Uppy has reported every one of names, as done or
// failed, and returns both lists.
async function settled(page, names, timeout = WAIT) {
  await page.waitForFunction((names) => names.every((n) => window.done.some((d) => d.name === n) || window.failed.some((f) => f.name === n)),
    names, { timeout, polling: 200 });
  return page.evaluate(() => ({ done: window.done, failed: window.failed }));
}

// dashboardError returns the error the Dashboard shows on a file's item.
async function dashboardError(page, name) {
  const item = page.locator('.uppy-Dashboard-Item.is-error').filter({ hasText: name });
  await item.waitFor({ timeout: WAIT });
  return page.evaluate((name) => window.uppy.getFiles().find((f) => f.name === name)?.error, name);
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'presign-uppy-'));
  await mkdir(out, { recursive: true });
  const staticDir = join(tmp, 'static');
  await build({
    entryPoints: [join(here, 'uppy', 'entry.js')], bundle: true, format: 'esm', target: 'es2022',
    minify: true, outdir: staticDir, logLevel: 'warning',
  });
  await copyFile(join(here, 'uppy', 'index.html'), join(staticDir, 'index.html'));
  // PRESIGN_E2E_MINIO names a minio binary: the same run on a real MinIO.
  const minio = process.env.PRESIGN_E2E_MINIO ? ['-minio', process.env.PRESIGN_E2E_MINIO] : [];
  server = await startServer(tmp, ['-static', staticDir, ...minio]);
  stack = server.info;
  browser = await launchBrowser(WAIT);
  await makeFile('small.txt', 1024);
  await makeFile('big.bin', BIG);
  await makeFile('resume.bin', BIG);
  await writeFile(join(tmp, 'page.html'), '<!doctype html><p>not allowed');
  await makeFile('ok.txt', 512);
  await makeFile('over.txt', 4096);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

for (const mode of ['companion', 'sign']) {
  test(`${mode}: a small file and a ${BIG / MiB} MiB one through the Dashboard`, { timeout: 2 * BIG_WAIT }, async () => {
    const { context, page, storage, api, errors } = await openUppy(mode, stack.keys.uppy);
    try {
      await addAndUpload(page, [files['small.txt'].path, files['big.bin'].path]);
      const { done, failed } = await settled(page, ['small.txt', 'big.bin'], BIG_WAIT);
      assert.deepEqual(failed, [], 'no upload failed');
      for (const name of ['small.txt', 'big.bin']) {
        const d = done.find((x) => x.name === name);
        assert.match(d.key, new RegExp(`^uppy/[0-9a-f-]{36}/${name.replace('.', '\\.')}$`), `${name}'s key is made by presign serve`);
        assert.equal(await storedSHA256(d.key, stack.keys.uppy), files[name].sha, `${name} is stored whole`);
      }
      // How the bytes went: the small file in one request (a POST form
      // from /s3/params in companion mode, a PUT for a client with no
      // size limit of its own in signRequest mode), the big one in parts.
      const single = storage.filter((r) => !r.part && !r.uploads && !r.uploadId);
      assert.deepEqual(single.map((r) => `${r.method} ${r.status}`), [mode === 'companion' ? 'POST 204' : 'PUT 200'],
        `single requests to storage: ${JSON.stringify(storage)}`);
      const parts = storage.filter((r) => r.part && r.method === 'PUT' && r.status === 200).map((r) => Number(r.part));
      assert.deepEqual(parts, Array.from({ length: Math.ceil(BIG / (5 * MiB)) }, (_, i) => i + 1), 'each part once, in order');
      if (mode === 'companion') {
        for (const route of ['POST /v1/session', 'GET /s3/params', 'POST /s3/multipart', 'POST /s3/multipart/']) {
          assert.ok(api.some((r) => r.startsWith(route)), `the page called ${route}: ${api.join(', ')}`);
        }
      } else {
        // Every request signed by POST /v1/uppy/sign, and the completion
        // posted to the service itself, which checks the parts first.
        const other = api.filter((r) => r !== 'POST /v1/uppy/sign');
        assert.equal(other.length, 1, `signRequest mode's calls: ${api.join(', ')}`);
        assert.match(other[0], /^POST \/v1\/uppy\/complete\/[\w.-]+$/);
      }

      await page.screenshot({ path: join(out, `uppy-${mode}.png`) });
      if (mode === 'companion') {
        await copyFile(join(out, `uppy-${mode}.png`), join(out, 'uppy-screenshot.png'));
        if (process.env.UPDATE_SCREENSHOT === '1') await copyFile(join(out, 'uppy-screenshot.png'), join(here, 'uppy-screenshot.png'));
      }
      assert.deepEqual(errors, [], 'no page errors');
    } finally {
      await context.close();
    }
  });

  test(`${mode}: a type the API key may not upload is refused, and the Dashboard says so`, { timeout: BIG_WAIT }, async () => {
    const { context, page, storage, errors } = await openUppy(mode, stack.keys.uppy);
    try {
      await addAndUpload(page, [files['small.txt'].path, join(tmp, 'page.html')]);
      const { done, failed } = await settled(page, ['small.txt', 'page.html']);
      assert.ok(done.some((d) => d.name === 'small.txt'), 'the allowed file beside it went');
      assert.ok(failed.some((f) => f.name === 'page.html'), 'page.html failed');
      const shown = await dashboardError(page, 'page.html');
      if (mode === 'companion') {
        // The plugin shows only the status text of Companion's routes.
        assert.equal(shown, 'Companion request failed: Unsupported Media Type');
      } else {
        assert.match(shown, /content type "text\/html" is not allowed for this API key/);
      }
      assert.equal(storage.length, 1, `only small.txt reached storage: ${JSON.stringify(storage)}`);
      await page.screenshot({ path: join(out, `uppy-${mode}-refused.png`) });
      assert.deepEqual(errors, [], 'no page errors');
    } finally {
      await context.close();
    }
  });

  test(`${mode}: a POST form within the key's size limit, and a file over it refused`, { timeout: BIG_WAIT }, async () => {
    const { context, page, storage, errors } = await openUppy(mode, stack.keys.tiny);
    try {
      await addAndUpload(page, [files['ok.txt'].path, files['over.txt'].path]);
      const { done, failed } = await settled(page, ['ok.txt', 'over.txt']);
      const ok = done.find((d) => d.name === 'ok.txt');
      assert.ok(ok, `ok.txt uploaded: ${JSON.stringify(failed)}`);
      assert.equal(await storedSHA256(ok.key, stack.keys.tiny), files['ok.txt'].sha);
      assert.ok(failed.some((f) => f.name === 'over.txt'), 'over.txt was refused');
      assert.ok(await dashboardError(page, 'over.txt'), 'the Dashboard shows the refusal');
      // Both went as POST forms; storage refused the one over the policy's
      // content-length-range.
      const posts = storage.filter((r) => r.method === 'POST').map((r) => r.status).sort();
      assert.deepEqual(posts, [204, 400], `requests to storage: ${JSON.stringify(storage)}`);
      assert.deepEqual(errors, [], 'no page errors');
    } finally {
      await context.close();
    }
  });
}

test(`companion: a ${BIG / MiB} MiB upload interrupted by a reload resumes, no part sent twice`, { timeout: 2 * BIG_WAIT }, async () => {
  const { context, page, storage, api, errors, url } = await openUppy('companion', stack.keys.uppy);
  try {
    // Hold part 4 so that the reload comes with parts 1 to 3 stored.
    const isPart = (u) => u.href.startsWith(stack.storage) && u.searchParams.has('partNumber');
    let held = false;
    await page.route(isPart, (route) => {
      if (Number(new URL(route.request().url()).searchParams.get('partNumber')) >= 4) {
        held = true; // never answered: the reload cancels it
        return;
      }
      route.continue();
    });
    await addAndUpload(page, [files['resume.bin'].path]);
    const deadline = Date.now() + BIG_WAIT;
    while (!held || storage.filter((r) => r.part && r.status === 200).length < 3) {
      assert.ok(Date.now() < deadline, `parts 1 to 3 were not sent: ${JSON.stringify(storage)}`);
      await page.waitForTimeout(100);
    }
    await page.waitForTimeout(1500); // Golden Retriever saves its state
    await page.unroute(isPart);
    await page.goto(url);
    await page.waitForFunction(() => window.ready === true, null, { timeout: WAIT });
    // The Dashboard offers to resume the restored upload.
    await page.locator('.uppy-StatusBar-actionBtn--upload').click({ timeout: WAIT });
    const { done, failed } = await settled(page, ['resume.bin'], BIG_WAIT);
    assert.deepEqual(failed, [], 'the resumed upload did not fail');
    const d = done.find((x) => x.name === 'resume.bin');
    assert.equal(await storedSHA256(d.key, stack.keys.uppy), files['resume.bin'].sha, 'resume.bin is stored whole');
    const sent = storage.filter((r) => r.part && r.method === 'PUT' && r.status === 200).map((r) => Number(r.part));
    const count = {};
    for (const n of sent) count[n] = (count[n] || 0) + 1;
    assert.deepEqual(Object.entries(count).filter(([, c]) => c > 1), [], `no part was stored twice: ${sent}`);
    assert.equal(Object.keys(count).length, Math.ceil(BIG / (5 * MiB)), 'every part was stored');
    assert.ok(api.some((r) => /^GET \/s3\/multipart\/[^/]+$/.test(r)), `the resumed upload listed the stored parts: ${api.join(', ')}`);
    assert.equal(api.filter((r) => r === 'POST /s3/multipart').length, 1, 'the upload was not started again');
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await context.close();
  }
});
