// upload.js: the client side of presign's upload flow, with no DOM of its
// own, so that other pages (and the browser test) can use it.
//
//   1. ask the API (same origin, /v1/...) for a presigned PUT URL, a POST
//      form, or a multipart upload and its part URLs;
//   2. send the bytes straight to storage with XMLHttpRequest, whose upload
//      progress events fetch() lacks;
//   3. complete (or, on failure or cancel, abort) a multipart upload;
//   4. ask the API for a download URL.
//
// Every failure becomes an UploadError whose message is meant for people.

export const DEFAULT_MULTIPART_THRESHOLD = 64 * 1024 * 1024;
/** Parts sent at once by one multipart upload. */
export const PART_CONCURRENCY = 4;
/** Part URLs asked for in one request (the API takes at most 100). */
export const PART_BATCH = 16;
/** Tries for one part before the upload fails. */
export const PART_TRIES = 3;
/** Times a request answered 429 is sent again. */
export const RATE_LIMIT_RETRIES = 5;
/** Largest file whose SHA-256 is computed and sent with a PUT. */
export const CHECKSUM_MAX = 64 * 1024 * 1024;

/** UploadError is a failure with a message for people. */
export class UploadError extends Error {
  /**
   * @param {string} message what went wrong and what to do, for people
   * @param {{code?: string, status?: number, detail?: string}} [info]
   *   code: the API's error code, S3's, "network" or "aborted"
   */
  constructor(message, info = {}) {
    super(message);
    this.name = 'UploadError';
    this.code = info.code ?? '';
    this.status = info.status ?? 0;
    this.detail = info.detail ?? '';
  }
}

const aborted = () => new UploadError('Cancelled.', { code: 'aborted' });

/** isAbort reports whether err comes from cancelling. */
export const isAbort = (err) => err instanceof UploadError && err.code === 'aborted';

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

/** formatSize formats a byte count in binary units: "1.5 MiB". */
export function formatSize(n) {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return n === 1 ? '1 byte' : `${n} bytes`;
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  const digits = n >= 100 || Number.isInteger(n) ? 0 : 1;
  return `${n.toFixed(digits)} ${UNITS[i]}`;
}

/** sleep waits ms milliseconds, or rejects when signal aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', stop);
      resolve();
    }
    function stop() {
      clearTimeout(t);
      reject(aborted());
    }
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * describeAPIError turns an API error answer into an UploadError.
 * @param {number} status the HTTP status
 * @param {{code?: string, message?: string} | null} err the body's "error"
 * @param {{size?: number, contentType?: string}} [ctx] the file concerned
 */
export function describeAPIError(status, err, ctx = {}) {
  const code = err?.code ?? '';
  const msg = err?.message ?? '';
  const info = { code: code || `http_${status}`, status, detail: msg };
  let text;
  switch (code || status) {
    case 'unauthorized':
    case 401:
      text = 'The API key was not accepted. Check it and enter it again (in local mode, presign serve prints one when it starts).';
      break;
    case 'forbidden':
    case 403:
      text = `This API key may not do that. ${msg}`.trim();
      break;
    case 'content_type_not_allowed':
    case 415: {
      const allowed = msg.split('; allowed: ')[1];
      text = `Refused: files of type ${ctx.contentType || 'unknown'} may not be uploaded with this API key.` +
        (allowed ? ` Allowed types: ${allowed}.` : '');
      break;
    }
    case 'too_large':
    case 413: {
      const limit = Number(/at most (\d+)/.exec(msg)?.[1]);
      text = Number.isFinite(limit) && limit > 0
        ? `Too large: ${formatSize(ctx.size)} is over this API key's limit of ${formatSize(limit)}.`
        : `Too large for this API key. ${msg}`.trim();
      break;
    }
    case 'rate_limited':
    case 429:
      text = 'Too many requests for this API key, even after waiting. Try again in a minute.';
      break;
    case 'upload_expired':
      text = 'This multipart upload ran out of time. Upload the file again.';
      break;
    case 'no_such_upload':
      text = 'Storage no longer knows this multipart upload. Upload the file again.';
      break;
    case 'storage_error':
      text = 'The service could not reach storage, or storage refused it. Try again later.';
      break;
    case 'invalid_parts':
      text = `Storage refused the uploaded parts: ${msg}`;
      break;
    case 'use_multipart':
      text = msg;
      break;
    default:
      if (msg) text = status >= 500 ? `The service failed (HTTP ${status}): ${msg}` : `The API refused the request: ${msg}`;
      else text = `The API answered HTTP ${status} with no error message. Is this page served by presign serve?`;
  }
  return new UploadError(text, info);
}

/**
 * parseS3Error reads S3's XML error body:
 * <Error><Code>…</Code><Message>…</Message>…</Error>. It returns null when
 * text is not one.
 * @returns {{code: string, message: string, fields: Record<string, string>} | null}
 */
export function parseS3Error(text) {
  if (!text || !text.includes('<Error')) return null;
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const root = doc.documentElement;
  if (!root || root.nodeName !== 'Error' || doc.getElementsByTagName('parsererror').length > 0) return null;
  const fields = {};
  for (const el of root.children) fields[el.nodeName] = el.textContent ?? '';
  return { code: fields.Code ?? '', message: fields.Message ?? '', fields };
}

/**
 * describeStorageError turns storage's answer to an upload into an
 * UploadError. status 0 is a network failure.
 * @param {number} status
 * @param {string} body the response body (S3's XML error, if any)
 * @param {{url?: string, size?: number}} [ctx]
 */
export function describeStorageError(status, body, ctx = {}) {
  let origin = 'storage';
  try {
    if (ctx.url) origin = new URL(ctx.url).origin;
  } catch { /* keep "storage" */ }
  if (status === 0) {
    return new UploadError(
      `Could not reach storage at ${origin}: the network failed, storage is down, or it does not allow uploads from this page's origin (CORS).`,
      { code: 'network' });
  }
  const e = parseS3Error(body);
  const code = e?.code ?? '';
  const msg = e?.message ?? '';
  const info = { code: code || `http_${status}`, status, detail: msg };
  if (code === 'AccessDenied' && /request has expired/i.test(msg)) {
    const at = e.fields.Expires ? ` at ${e.fields.Expires}` : '';
    const now = e.fields.ServerTime ? `; storage's clock says ${e.fields.ServerTime}` : '';
    return new UploadError(
      `The upload URL expired${at}${now}. Upload the file again; if this keeps happening, check this computer's clock and the server's.`,
      { ...info, code: 'expired' });
  }
  switch (code) {
    case 'SignatureDoesNotMatch':
      return new UploadError('Storage refused the URL\'s signature: the URL or a header differs from what was signed.', info);
    case 'RequestTimeTooSkewed':
      return new UploadError('Storage refused the URL: the server\'s clock and storage\'s differ too much.', info);
    case 'EntityTooLarge':
    case 'EntityTooSmall':
      return new UploadError(`Storage refused the size of the file (${formatSize(ctx.size)}): ${msg}`, info);
    case 'BadDigest':
    case 'XAmzContentSHA256Mismatch':
    case 'InvalidDigest':
      return new UploadError('The bytes storage received do not match the file\'s checksum: the file changed while it was read, or the network corrupted it. Upload it again.', info);
    case 'NoSuchBucket':
      return new UploadError(`Storage has no such bucket: ${msg || 'check the service\'s bucket setting'}.`, info);
    case 'NoSuchUpload':
      return new UploadError('Storage no longer knows this multipart upload. Upload the file again.', info);
    case 'AccessDenied':
      return new UploadError(`Storage refused the upload: ${msg || 'access denied'}.`, info);
  }
  if (code) return new UploadError(`Storage refused the upload (${code}): ${msg}`, info);
  return new UploadError(`Storage answered HTTP ${status} without an S3 error.`, info);
}

/** API is a client of the URL-issuing API (issuer/openapi.json). */
export class API {
  /**
   * @param {{key: string, base?: string, onWait?: (seconds: number) => void}} o
   *   key: the API key; base: the API's URL prefix ("" for the page's
   *   origin); onWait: told when a 429 makes it wait before trying again
   */
  constructor({ key, base = '', onWait }) {
    this.key = key;
    this.base = base;
    this.onWait = onWait;
  }

  /**
   * call sends one JSON request and returns the JSON answer (null for 204),
   * waiting and sending again on 429 as Retry-After says.
   * @param {string} method
   * @param {string} path such as "/v1/uploads"
   * @param {object | undefined} body
   * @param {{signal?: AbortSignal, ctx?: object, onWait?: (s: number) => void}} [o]
   */
  async call(method, path, body, o = {}) {
    const headers = this.key ? { Authorization: `Bearer ${this.key}` } : {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await fetch(this.base + path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          signal: o.signal, cache: 'no-store', credentials: 'same-origin', referrerPolicy: 'no-referrer',
        });
      } catch (err) {
        if (o.signal?.aborted) throw aborted();
        throw new UploadError('Could not reach the API: the network failed or the service is down.', { code: 'network', detail: String(err) });
      }
      if (res.status === 429 && attempt < RATE_LIMIT_RETRIES) {
        const after = Number(res.headers.get('Retry-After'));
        const seconds = Math.min(Number.isFinite(after) && after > 0 ? after : 2 ** attempt, 30);
        (o.onWait ?? this.onWait)?.(seconds);
        await sleep(seconds * 1000, o.signal);
        continue;
      }
      const text = await res.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch { /* not JSON: described below */ }
      if (!res.ok) throw describeAPIError(res.status, data?.error ?? null, o.ctx);
      return data;
    }
  }
}

// Headers a page may not set: the browser sends them itself.
const FORBIDDEN = new Set(['content-length', 'host', 'connection', 'expect', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * send sends one request to storage with XMLHttpRequest and resolves with
 * the response for any status; it rejects with an UploadError on a network
 * failure or when signal aborts.
 * @param {{method: string, url: string, headers?: Record<string, string>,
 *   body: Blob | FormData, signal?: AbortSignal,
 *   onProgress?: (loaded: number) => void}} o
 * @returns {Promise<XMLHttpRequest>}
 */
export function send(o) {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(aborted());
    const xhr = new XMLHttpRequest();
    xhr.open(o.method, o.url);
    for (const [name, value] of Object.entries(o.headers ?? {})) {
      if (!FORBIDDEN.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    const stop = () => xhr.abort();
    o.signal?.addEventListener('abort', stop, { once: true });
    const done = () => o.signal?.removeEventListener('abort', stop);
    if (o.onProgress) xhr.upload.addEventListener('progress', (e) => o.onProgress(e.loaded));
    xhr.addEventListener('load', () => { done(); resolve(xhr); });
    xhr.addEventListener('error', () => { done(); reject(describeStorageError(0, '', o)); });
    xhr.addEventListener('timeout', () => { done(); reject(describeStorageError(0, '', o)); });
    xhr.addEventListener('abort', () => { done(); reject(aborted()); });
    xhr.send(o.body);
  });
}

/** checkLength fails when the signed Content-Length is not the blob's size. */
function checkLength(headers, blob) {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === 'content-length' && Number(value) !== blob.size) {
      throw new UploadError(`The URL was signed for ${value} bytes but the data is ${blob.size}; the file may have changed. Upload it again.`, { code: 'size_mismatch' });
    }
  }
}

async function sha256Base64(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  let s = '';
  for (const b of new Uint8Array(digest)) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * uploadFile uploads one file and resolves with {key, method} once storage
 * has it. method is "auto" (a PUT, or multipart from the threshold on),
 * "PUT" or "POST"; any of them switches to multipart when the API answers
 * use_multipart.
 * @param {{api: API, file: File, method?: string, threshold?: number,
 *   signal?: AbortSignal, onProgress?: (loaded: number, total: number) => void,
 *   onStatus?: (text: string) => void}} o
 * @returns {Promise<{key: string, method: string}>}
 */
export async function uploadFile(o) {
  const { file } = o;
  const method = (o.method ?? 'auto').toUpperCase();
  const threshold = o.threshold > 0 ? o.threshold : DEFAULT_MULTIPART_THRESHOLD;
  if (method === 'AUTO' && file.size >= threshold) return uploadMultipart(o);
  const single = method === 'POST' ? 'POST' : 'PUT';
  try {
    return await uploadSingle(o, single);
  } catch (err) {
    if (!(err instanceof UploadError) || err.code !== 'use_multipart') throw err;
    // Too large for one request: said, not done silently.
    if (method !== 'AUTO') {
      o.onNotice?.(`${formatSize(file.size)} is over the service's limit for one ${single}: sent in parts instead.`);
    }
    return { ...(await uploadMultipart(o)), switched: method !== 'AUTO' };
  }
}

/** contentTypeOf is the file's media type, or application/octet-stream. */
export const contentTypeOf = (file) => file.type || 'application/octet-stream';

async function uploadSingle(o, method) {
  const { api, file, signal } = o;
  const contentType = contentTypeOf(file);
  const req = { filename: file.name, contentType, size: file.size, method };
  if (method === 'PUT' && file.size <= CHECKSUM_MAX && globalThis.crypto?.subtle) {
    o.onStatus?.('Computing checksum…');
    req.checksumSHA256 = await sha256Base64(file);
  }
  o.onStatus?.('Asking for an upload URL…');
  const ctx = { size: file.size, contentType };
  const u = await api.call('POST', '/v1/uploads', req, { signal, ctx });
  o.onStatus?.('Uploading…');
  const progress = (n) => o.onProgress?.(n, file.size);
  let xhr;
  if (u.method === 'POST') {
    const form = new FormData();
    for (const [name, value] of Object.entries(u.fields ?? {})) form.append(name, value);
    form.append('file', file);
    xhr = await send({ method: 'POST', url: u.url, body: form, signal, onProgress: (n) => progress(Math.min(n, file.size)) });
  } else {
    checkLength(u.headers, file);
    xhr = await send({ method: u.method, url: u.url, headers: u.headers, body: file, signal, onProgress: progress });
  }
  if (xhr.status < 200 || xhr.status > 299) throw describeStorageError(xhr.status, xhr.responseText, { url: u.url, size: file.size });
  o.onProgress?.(file.size, file.size);
  return { key: u.key, method: u.method };
}

async function uploadMultipart(o) {
  const { api, file, signal } = o;
  const contentType = contentTypeOf(file);
  const ctx = { size: file.size, contentType };
  o.onStatus?.('Starting a multipart upload…');
  const mp = await api.call('POST', '/v1/uploads/multipart', { filename: file.name, contentType, size: file.size }, { signal, ctx });
  const base = `/v1/uploads/multipart/${encodeURIComponent(mp.id)}`;
  // inner stops the other parts when one fails for good.
  const inner = new AbortController();
  const stopInner = () => inner.abort();
  signal?.addEventListener('abort', stopInner, { once: true });
  try {
    const etags = await uploadParts(o, mp, base, inner.signal);
    o.onStatus?.('Completing…');
    const parts = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
    const done = await api.call('POST', `${base}/complete`, { parts }, { signal, ctx });
    o.onProgress?.(file.size, file.size);
    return { key: done.key, method: 'multipart' };
  } catch (err) {
    inner.abort();
    // Free the parts storage holds; the answer does not change the outcome.
    api.call('DELETE', base, undefined).catch(() => {});
    throw (signal?.aborted ? aborted() : err);
  } finally {
    signal?.removeEventListener('abort', stopInner);
  }
}

async function uploadParts(o, mp, base, signal) {
  const { api, file } = o;
  const count = mp.partCount;
  const loaded = new Array(count).fill(0);
  const etags = new Array(count);
  const urls = new Map(); // part number → Promise of {url, headers}
  let next = 1;
  let sum = 0;
  const report = () => o.onProgress?.(Math.min(sum, file.size), file.size);
  const setLoaded = (i, n) => {
    sum += n - loaded[i];
    loaded[i] = n;
    report();
  };

  // partURL returns part n's URL, asking for it and the next PART_BATCH-1
  // parts not yet asked for in one request.
  const partURL = (n) => {
    if (!urls.has(n)) {
      const batch = [];
      for (let k = n; k <= count && batch.length < PART_BATCH; k++) if (!urls.has(k)) batch.push(k);
      const answer = api.call('POST', `${base}/parts`, { partNumbers: batch }, { signal });
      for (const k of batch) {
        const p = answer.then((r) => {
          const part = r.parts.find((x) => x.partNumber === k);
          if (!part) throw new UploadError(`The API sent no URL for part ${k}.`, { code: 'invalid_answer' });
          return part;
        });
        p.catch(() => {}); // awaited by the part's worker, if any
        urls.set(k, p);
      }
    }
    return urls.get(n);
  };

  const sendPart = async (n) => {
    const start = (n - 1) * mp.partSize;
    const blob = file.slice(start, Math.min(file.size, start + mp.partSize));
    for (let attempt = 1; ; attempt++) {
      const part = await partURL(n);
      checkLength(part.headers, blob);
      let err;
      try {
        const xhr = await send({ method: 'PUT', url: part.url, headers: part.headers, body: blob, signal, onProgress: (l) => setLoaded(n - 1, l) });
        if (xhr.status >= 200 && xhr.status <= 299) {
          const etag = xhr.getResponseHeader('ETag');
          if (!etag) throw new UploadError('Storage sent no ETag for a part: it must expose the ETag header to this page (CORS).', { code: 'no_etag' });
          setLoaded(n - 1, blob.size);
          return etag;
        }
        err = describeStorageError(xhr.status, xhr.responseText, { url: part.url, size: blob.size });
      } catch (e) {
        err = e;
      }
      setLoaded(n - 1, 0);
      const retry = err.code === 'network' || err.code === 'expired' || err.status >= 500;
      if (!retry || attempt >= PART_TRIES || signal.aborted) throw err;
      if (err.code === 'expired') urls.delete(n);
      o.onStatus?.(`Part ${n} failed; trying again…`);
      await sleep(500 * attempt, signal);
      o.onStatus?.('Uploading…');
    }
  };

  const worker = async () => {
    while (next <= count) {
      const n = next++;
      etags[n - 1] = await sendPart(n);
    }
  };
  o.onStatus?.('Uploading…');
  report();
  await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, count) }, worker));
  return etags;
}

/**
 * downloadURL asks the API for a GET URL of key that saves the object as
 * filename.
 * @returns {Promise<{url: string, expiresAt: string}>}
 */
export async function downloadURL(api, key, filename, signal) {
  const d = await api.call('POST', '/v1/downloads', { key, filename }, { signal });
  return { url: d.url, expiresAt: d.expiresAt };
}
