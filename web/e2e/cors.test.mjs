// A bucket's own CORS configuration in a real browser (Debian's Chromium,
// driven by playwright-core) against the real stack (web/e2e/server): a
// page on a second origin uploads straight to the embedded store with a
// presigned PUT only once the bucket's CORS rules, set with the real AWS
// CLI (aws s3api put-bucket-cors), allow that origin; a page on a third
// origin, which the rules do not name, is refused by the browser; and
// after delete-bucket-cors the second origin is refused again.
//
//   cd web/e2e && npm ci && node --test cors.test.mjs

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { launchBrowser, startServer } from './harness.mjs';

const WAIT = 30_000; // ms: the bound of every single wait

let tmp;
let server;
let stack;
let browser;
const origins = []; // {url, close}

/** pageServer serves a blank page on a fresh 127.0.0.1 port: an origin. */
function pageServer() {
  return new Promise((resolve) => {
    const srv = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>another origin</title><p>another origin</p>');
    });
    srv.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${srv.address().port}`, close: () => new Promise((r) => srv.close(r)) });
    });
  });
}

/** aws runs the AWS CLI against the embedded store, with its key pair. */
async function aws(...args) {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: stack.storeAccessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.storeSecretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: stack.storage,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  const { stdout } = await promisify(execFile)('aws', ['s3api', ...args], { env, timeout: 60_000 });
  return stdout;
}

/** presignedPut asks the API for a PUT URL of a small text file. */
async function presignedPut(name, size) {
  const res = await fetch(stack.page + '/v1/uploads', {
    method: 'POST',
    headers: { Authorization: `Bearer ${stack.keys.web}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ filename: name, contentType: 'text/plain', size }),
    signal: AbortSignal.timeout(WAIT),
  });
  assert.equal(res.status, 200);
  return res.json();
}

/** uploadFrom puts body through url from a page of origin; it resolves to
 * {status, etag} or {error} when the browser refuses the answer. */
async function uploadFrom(origin, up, body) {
  const page = await browser.newPage();
  try {
    await page.goto(origin + '/', { timeout: WAIT });
    return await page.evaluate(async ({ url, headers, body }) => {
      try {
        const r = await fetch(url, { method: 'PUT', headers, body });
        return { status: r.status, etag: r.headers.get('ETag') };
      } catch (e) {
        return { error: String(e) };
      }
    }, { url: up.url, headers: up.headers, body });
  } finally {
    await page.close();
  }
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'presign-cors-e2e-'));
  server = await startServer(tmp);
  stack = server.info;
  browser = await launchBrowser(WAIT);
  origins.push(await pageServer(), await pageServer());
});

after(async () => {
  await browser?.close();
  for (const o of origins) await o.close();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('a second origin uploads only while the bucket CORS rules allow it; a third never', async () => {
  const [second, third] = origins;
  const body = 'from another origin';

  // The store's own CORS allows the upload page's origin only.
  let up = await presignedPut('before.txt', body.length);
  let r = await uploadFrom(second.url, up, body);
  assert.ok(r.error, `the second origin uploaded before any bucket rule: ${JSON.stringify(r)}`);

  await aws('put-bucket-cors', '--bucket', stack.bucket, '--cors-configuration', JSON.stringify({
    CORSRules: [{ AllowedOrigins: [second.url], AllowedMethods: ['PUT'], AllowedHeaders: ['content-type'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 60 }],
  }));
  const got = JSON.parse(await aws('get-bucket-cors', '--bucket', stack.bucket));
  assert.deepEqual(got.CORSRules[0].AllowedOrigins, [second.url]);

  up = await presignedPut('allowed.txt', body.length);
  r = await uploadFrom(second.url, up, body);
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.match(r.etag ?? '', /^"[0-9a-f]{32}"$/, 'the rule exposes ETag');
  const stored = await fetch(stack.page + '/v1/downloads', {
    method: 'POST',
    headers: { Authorization: `Bearer ${stack.keys.web}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ key: up.key }),
  }).then((res) => res.json()).then((d) => fetch(d.url)).then((res) => res.text());
  assert.equal(stored, body);

  up = await presignedPut('refused.txt', body.length);
  r = await uploadFrom(third.url, up, body);
  assert.ok(r.error, `an origin the rules do not name uploaded: ${JSON.stringify(r)}`);

  await aws('delete-bucket-cors', '--bucket', stack.bucket);
  up = await presignedPut('after.txt', body.length);
  r = await uploadFrom(second.url, up, body);
  assert.ok(r.error, `the second origin uploaded after delete-bucket-cors: ${JSON.stringify(r)}`);
});
