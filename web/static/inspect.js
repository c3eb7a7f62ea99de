// inspect.js: the inspector page. It explains a presigned URL with the
// service's POST /v1/inspect, and has the service sign one with POST
// /v1/presign (the URL builder): the storage secret never reaches the
// browser, only the API key the user types. It builds the DOM with
// textContent only, never HTML.

import { API, UploadError, formatSize, isAbort } from './upload.js';
import { keyField } from './apikey.js';

const $ = (id) => document.getElementById(id);

// ---- small helpers ------------------------------------------------------

/**
 * el makes an element with attributes and children (nodes or text).
 * @param {string} tag
 * @param {Record<string, string | boolean | number | undefined | null>} [attrs]
 */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') e.className = String(value);
    else e.setAttribute(name, value === true ? '' : String(value));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

const UNITS = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
const YEAR = 365 * 86400;

/** formatSpan formats a lifetime in its two largest units: "1 h 30 min". */
function formatSpan(s) {
  if (!Number.isFinite(s)) return '';
  if (s >= YEAR) {
    const y = Math.floor(s / YEAR);
    const d = Math.floor((s % YEAR) / 86400);
    return `${y} ${y === 1 ? 'year' : 'years'}${d ? ` ${d} d` : ''}`;
  }
  const parts = [];
  let left = Math.floor(s);
  for (const [n, unit] of UNITS) {
    const q = Math.floor(left / n);
    if (q > 0) {
      parts.push(`${q} ${unit}`);
      left -= q * n;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ') || '0 s';
}

/**
 * formatLeft formats a countdown down to the second ("59 min 58 s",
 * "1 h 0 min 5 s"); a year or more drops the seconds, which no one reads.
 */
function formatLeft(s) {
  if (s >= YEAR) return formatSpan(s);
  const parts = [];
  let left = Math.floor(s);
  for (const [n, unit] of UNITS) {
    const q = Math.floor(left / n);
    left -= q * n;
    if (q > 0 || parts.length > 0 || n === 1) parts.push(`${q} ${unit}`);
  }
  return parts.join(' ');
}

/** formatLocal is an instant in this browser's time zone. */
function formatLocal(t) {
  return t.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** formatUTC is "2026-01-15 12:00:00 UTC". */
function formatUTC(t) {
  return t.toISOString().replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
}

/** timeNodes are a <time> with the local time, then a line with the UTC one. */
function timeNodes(iso) {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return [iso ?? ''];
  return [el('time', { datetime: t.toISOString() }, formatLocal(t)), el('span', { class: 'muted block' }, formatUTC(t))];
}

/** sentence ends text with a full stop unless it has one. */
const sentence = (text) => (/[.!?]$/.test(text) ? text : `${text}.`);

/** shellQuote quotes s for a POSIX shell. */
const shellQuote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

function showAlert(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

async function copy(button, text) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed: select the text';
  }
  setTimeout(() => { button.textContent = label; }, 2000);
}

// ---- countdowns ---------------------------------------------------------

/**
 * clocks are the live countdowns: each counts to its URL's expiry by the
 * service's clock (the browser's, corrected by the offset seen when the
 * inspection came), so that a wrong clock here does not lie.
 * @type {Set<{el: HTMLElement, expires: number, offset: number, last?: number, onExpire?: () => void, expired?: boolean}>}
 */
const clocks = new Set();

function tick() {
  for (const c of clocks) {
    if (!c.el.isConnected) {
      clocks.delete(c);
      continue;
    }
    const left = Math.floor((c.expires - (Date.now() + c.offset)) / 1000);
    if (left === c.last) continue;
    c.last = left;
    c.el.dataset.secondsLeft = String(left);
    c.el.textContent = left >= 0 ? `Expires in ${formatLeft(left)}` : `Expired ${formatLeft(-left)} ago`;
    if (left < 0 && !c.expired) {
      c.expired = true;
      c.onExpire?.();
    }
  }
}
// Four times a second, so that the text changes within 250 ms of the
// second it shows; it is written only when it changes.
setInterval(tick, 250);

// ---- rendering an inspection -------------------------------------------

const STATUS_TEXT = {
  ok: 'Valid',
  expired: 'Expired',
  'not-yet-valid': 'Not yet valid',
  'will-fail': 'Will fail',
};

const STATUS_HINT = {
  ok: 'Nothing found stops this URL from working. Only storage can check the signature itself.',
  expired: 'Storage refuses it: its lifetime is over. Make a new URL.',
  'not-yet-valid': 'Storage refuses it until its signing time comes: the signer\'s clock is ahead.',
  'will-fail': 'Storage will refuse it: see the findings.',
};

const SEVERITY_TEXT = { error: 'Error', warning: 'Warning', info: 'Note' };
const SEVERITY_RANK = { error: 0, warning: 1, info: 2 };

const METHOD_SOURCE = {
  given: 'as chosen',
  'x-id': 'named by the URL (x-id)',
  'sub-resource': 'from the URL\'s sub-resources',
  assumed: 'assumed: the URL does not say',
  unknown: 'the URL fits several operations: choose the method',
};

const ENDPOINT_KIND = {
  'aws-regional': 'AWS, regional endpoint',
  'aws-global': 'AWS, global endpoint',
  'aws-legacy': 'AWS, legacy endpoint',
  'aws-dualstack': 'AWS, dual-stack endpoint',
  'aws-fips': 'AWS, FIPS endpoint',
  'aws-accelerate': 'AWS, Transfer Acceleration',
  'aws-access-point': 'AWS, access point',
  'aws-website': 'AWS, website endpoint',
  'aws-other': 'AWS',
  custom: 'S3-compatible server',
};

/**
 * renderInspection shows ins (the JSON of POST /v1/inspect) in container,
 * replacing what it held, with a live countdown to its expiry.
 * @param {HTMLElement} container
 * @param {any} ins
 * @param {{paramsOpen?: boolean}} [o] paramsOpen: the parameter table
 *   starts unfolded
 */
function renderInspection(container, ins, o = {}) {
  const status = el('span', { class: 'badge', 'data-status': ins.status, 'data-field': 'status' }, STATUS_TEXT[ins.status] ?? ins.status);
  const countdown = el('span', { class: 'countdown', role: 'timer', 'data-field': 'countdown' });
  const statusHint = el('p', { class: 'hint verdict-hint' }, STATUS_HINT[ins.status] ?? '');
  const verdict = el('div', { class: 'verdict', 'data-status': ins.status }, status, countdown);

  const serverNow = Date.parse(ins.now);
  const expires = Date.parse(ins.expiresAt);
  if (Number.isFinite(expires)) {
    const clock = {
      el: countdown,
      expires,
      offset: Number.isFinite(serverNow) ? serverNow - Date.now() : 0,
      onExpire: () => {
        if (verdict.dataset.status !== 'ok') return;
        verdict.dataset.status = 'expired';
        status.dataset.status = 'expired';
        status.textContent = STATUS_TEXT.expired;
        statusHint.textContent = STATUS_HINT.expired;
      },
    };
    // An URL that is expired on arrival is already said so.
    if (ins.status !== 'ok') clock.expired = true;
    clocks.add(clock);
  } else {
    countdown.hidden = true;
  }

  const fact = (label, field, ...value) => el('div', {}, el('dt', {}, label), el('dd', { 'data-field': field }, ...value));
  const muted = (text) => (text ? [' ', el('span', { class: 'muted' }, text)] : []);
  const scope = ins.scope ?? {};
  const facts = el('dl', { class: 'facts' },
    fact('Operation', 'operation', ins.operation || 'unknown', muted(`${ins.method || '?'}, ${METHOD_SOURCE[ins.methodSource] ?? ins.methodSource ?? ''}`)),
    fact('Bucket', 'bucket', ins.bucket ? el('code', {}, ins.bucket) : 'none'),
    fact('Key', 'key', ins.key ? el('code', {}, ins.key) : 'none (the bucket itself)'),
    fact('Addressing', 'addressing', ins.addressing || '?', muted(ins.addressingAssumed ? 'assumed' : '')),
    fact('Endpoint', 'endpoint', el('code', {}, ins.endpoint ?? ''), muted(ENDPOINT_KIND[ins.endpointKind] ?? ins.endpointKind)),
    fact('Region', 'region', scope.region ?? '', muted(scope.date ? `scope ${scope.date}/${scope.region}/${scope.service}/${scope.terminal}` : '')),
    fact('Access key', 'accessKeyId', el('code', {}, ins.accessKeyId ?? ''), muted(ins.keyKind && ins.keyKind !== 'unknown' ? ins.keyKind : '')),
    fact('Signed at', 'signedAt', timeNodes(ins.signedAt)),
    fact('Lifetime', 'lifetime', formatSpan(ins.lifetimeSeconds), muted(`${ins.lifetimeSeconds} s`)),
    fact('Expires at', 'expiresAt', timeNodes(ins.expiresAt)),
    fact('Signed headers', 'signedHeaders', (ins.signedHeaders ?? []).join(', ') || 'none'),
    fact('Session token', 'sessionToken', ins.sessionToken ? 'yes: temporary credentials' : 'none'),
  );

  const findings = [...(ins.findings ?? [])].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3));
  const findingsNode = findings.length === 0
    ? el('p', { class: 'hint no-findings' }, 'No warnings.')
    : el('ul', { class: 'findings' }, findings.map((f) => el('li', { class: 'finding', 'data-severity': f.severity, 'data-code': f.code },
      el('span', { class: 'severity' }, SEVERITY_TEXT[f.severity] ?? f.severity),
      el('span', { class: 'finding-text' }, sentence(f.message), ' ', el('code', { class: 'muted' }, f.code)))));

  const params = ins.parameters ?? [];
  const table = el('div', { class: 'table-scroll' },
    el('table', { class: 'params' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Name'), el('th', { scope: 'col' }, 'Value'), el('th', { scope: 'col' }, 'Meaning'))),
      el('tbody', {}, params.map((p) => el('tr', {},
        el('th', { scope: 'row' }, el('code', {}, p.name)),
        el('td', {}, el('code', {}, p.value)),
        el('td', {}, p.meaning))))));
  const details = el('details', { class: 'params-details', open: o.paramsOpen ?? false },
    el('summary', {}, `Query parameters (${params.length})`), table);

  container.replaceChildren(el('div', { class: 'inspection' },
    verdict, statusHint,
    el('h4', {}, `Findings (${findings.length})`), findingsNode,
    el('h4', {}, 'Breakdown'), facts,
    details));
  tick();
}

// ---- the API key and the client's prefix --------------------------------

const apiKey = keyField({ onChange: (key) => keyChanged(key) });

/**
 * api is a client of the API with key; onWait is told when a 429 makes it
 * wait before asking again.
 */
const api = (key, onWait) => new API({ key, onWait });

/** waiting is an onWait that says so in node. */
const waiting = (node) => (s) => showAlert(node, `Too many requests for this API key; asking again in ${s} s…`);

/** A key with no '/' lies under no prefix: the API's refusal names it. */
const PROBE_KEY = 'presign-inspector-probe';
const OUTSIDE = /outside your prefix "([^"]*)"/;

let prefix = ''; // "web/", once known
let autoKey = ''; // the value the key field was filled with
let probe; // AbortController of the prefix probe
let probeTimer;

function learnPrefix(p) {
  prefix = p;
  $('build-key-hint').textContent = `The object's key. This API key signs keys that start with ${p}`;
  $('build-key').placeholder = `${p}folder/file.txt`;
  const keyInput = $('build-key');
  if (keyInput.value === '' || keyInput.value === autoKey) {
    keyInput.value = p;
    autoKey = p;
  }
}

function forgetPrefix() {
  prefix = '';
  $('build-key-hint').textContent = 'The object\'s key. It must start with this API key\'s prefix.';
  $('build-key').placeholder = 'prefix/folder/file.txt';
  if ($('build-key').value === autoKey) $('build-key').value = '';
  autoKey = '';
}

/**
 * probePrefix learns the client's prefix from the API: asked to sign a key
 * that lies under no prefix, it refuses and says which prefix is the
 * key's. Nothing is signed. A key without download rights is asked for an
 * upload instead.
 */
async function probePrefix(key) {
  probe?.abort();
  probe = new AbortController();
  const { signal } = probe;
  for (const method of ['GET', 'PUT']) {
    try {
      await api(key).call('POST', '/v1/presign', { method, key: PROBE_KEY }, { signal });
      return;
    } catch (err) {
      if (signal.aborted) return;
      if (err.status === 401) {
        apiKey.setError('This key was not accepted.');
        return;
      }
      const m = OUTSIDE.exec(err.detail ?? '');
      if (m) {
        learnPrefix(m[1]);
        return;
      }
      if (err.code !== 'forbidden') return;
    }
  }
}

function keyChanged(key) {
  clearTimeout(probeTimer);
  probe?.abort();
  forgetPrefix();
  if (key) probeTimer = setTimeout(() => probePrefix(key), 500);
}

// ---- settings ----------------------------------------------------------

function setBucket(name) {
  if (name && !$('build-bucket').value) $('build-bucket').value = name;
}

fetch('/config.json', { cache: 'no-cache' })
  .then((r) => (r.ok ? r.json() : null))
  .then((cfg) => setBucket(cfg?.bucket))
  .catch(() => { /* known from the first URL built */ });

// ---- inspect ------------------------------------------------------------

const urlInput = $('inspect-url');
const inspectButton = $('inspect-go');
const inspectError = $('inspect-error');
const inspectResult = $('inspect-result');
let inspecting; // AbortController of the inspection under way

/** messageOf is what to show for a failed API call. */
function messageOf(err) {
  if (err instanceof UploadError) {
    if (err.status === 401) apiKey.setError('This key was not accepted.');
    return err.message;
  }
  return `Unexpected error: ${err}`;
}

async function runInspect() {
  const url = urlInput.value.trim();
  if (!url) {
    showAlert(inspectError, 'Paste a presigned URL first.');
    urlInput.focus();
    return;
  }
  // Inspecting needs no key; one given is sent (its own rate limit).
  const key = apiKey.value();
  inspecting?.abort();
  const ctl = new AbortController();
  inspecting = ctl;
  inspectButton.setAttribute('aria-busy', 'true');
  try {
    const ins = await api(key, waiting(inspectError)).call('POST', '/v1/inspect', { url, method: $('inspect-method').value || undefined }, { signal: ctl.signal });
    showAlert(inspectError, '');
    renderInspection(inspectResult, ins, { paramsOpen: true });
    inspectResult.hidden = false;
  } catch (err) {
    if (isAbort(err) || ctl.signal.aborted) return;
    inspectResult.hidden = true;
    inspectResult.replaceChildren();
    // A URL the service cannot read: its one-line reason, as it is.
    showAlert(inspectError, err.code === 'not_presigned' && err.detail ? err.detail : messageOf(err));
  } finally {
    if (inspecting === ctl) inspectButton.removeAttribute('aria-busy');
  }
}

inspectButton.addEventListener('click', runInspect);
urlInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    runInspect();
  }
});
urlInput.addEventListener('paste', () => {
  // After the paste lands in the field.
  setTimeout(runInspect, 0);
});
urlInput.addEventListener('input', () => showAlert(inspectError, ''));

// ---- build --------------------------------------------------------------

const methodSelect = $('build-method');
const expirySelect = $('build-expiry');
const buildButton = $('build-go');
const buildError = $('build-error');
const buildResult = $('build-result');
const metaRows = $('meta-rows');
let chosenFile = ''; // the name of the file the type and size came from
let building;

const EXPIRY_HINT = {
  GET: 'Guidelines: a direct download link 1 to 24 hours, a link sent by e-mail 1 to 7 days. The service\'s default for downloads is usually 1 hour.',
  HEAD: 'Guideline for API access: 15 minutes. HEAD has the download default, usually 1 hour.',
  PUT: 'Guideline for an upload from a browser: 5 to 15 minutes, which is also the usual default and limit of an API key.',
  DELETE: 'Guideline for API access: 15 minutes. DELETE has the upload default and limit, usually 15 minutes.',
};

function methodChanged() {
  const m = methodSelect.value;
  for (const node of document.querySelectorAll('[data-for]')) node.hidden = node.dataset.for !== m;
  $('build-expiry-hint').textContent = EXPIRY_HINT[m] ?? '';
}
methodSelect.addEventListener('change', methodChanged);
expirySelect.addEventListener('change', () => {
  $('build-seconds-field').hidden = expirySelect.value !== 'other';
  if (expirySelect.value === 'other') $('build-seconds').focus();
});

function renumberMeta() {
  [...metaRows.children].forEach((li, i) => {
    li.querySelector('.meta-name').setAttribute('aria-label', `Metadata header ${i + 1}: name after x-amz-meta-`);
    li.querySelector('.meta-value').setAttribute('aria-label', `Metadata header ${i + 1}: value`);
    li.querySelector('.meta-remove').setAttribute('aria-label', `Remove metadata header ${i + 1}`);
  });
}

$('meta-add').addEventListener('click', () => {
  const li = $('meta-row').content.firstElementChild.cloneNode(true);
  li.querySelector('.meta-remove').addEventListener('click', () => {
    li.remove();
    renumberMeta();
    $('meta-add').focus();
  });
  metaRows.append(li);
  renumberMeta();
  li.querySelector('.meta-name').focus();
});

$('build-file').addEventListener('change', (e) => {
  const file = e.currentTarget.files?.[0];
  if (!file) return;
  chosenFile = file.name;
  $('build-content-type').value = file.type || 'application/octet-stream';
  $('build-size').value = String(file.size);
  $('build-file-name').textContent = `${file.name}: ${file.type || 'application/octet-stream'}, ${formatSize(file.size)}. The file stays here.`;
  e.currentTarget.value = '';
});

/** HEADER_NAME is an HTTP token: what a header name may be. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** buildRequest reads the form into a POST /v1/presign body, or throws a message. */
function buildRequest() {
  const method = methodSelect.value;
  const key = $('build-key').value.trim();
  if (!key || key === prefix) throw new Error(prefix ? `Enter the object's key after ${prefix}` : 'Enter the object\'s key.');
  const req = { method, key };
  if (method === 'PUT') {
    req.contentType = $('build-content-type').value.trim();
    if (!req.contentType) throw new Error('Enter the content type the upload will send, such as text/plain.');
    const size = Number($('build-size').value);
    if ($('build-size').value.trim() === '' || !Number.isSafeInteger(size) || size < 0) throw new Error('Enter the upload\'s exact size in bytes: a whole number.');
    req.size = size;
    const headers = {};
    for (const li of metaRows.children) {
      const name = li.querySelector('.meta-name').value.trim().replace(/^x-amz-meta-/i, '');
      const value = li.querySelector('.meta-value').value;
      if (!name && !value) continue;
      if (!name) throw new Error('Give every metadata header a name, or remove it.');
      if (!HEADER_NAME.test(name)) throw new Error(`x-amz-meta-${name} is not a header name: use letters, digits and - only.`);
      headers[`x-amz-meta-${name.toLowerCase()}`] = value;
    }
    if (Object.keys(headers).length > 0) req.headers = headers;
  }
  if (method === 'GET') {
    const filename = $('build-filename').value.trim();
    if (filename) req.filename = filename;
  }
  if (expirySelect.value === 'other') {
    const s = Number($('build-seconds').value);
    if (!Number.isSafeInteger(s) || s < 1 || s > 604800) throw new Error('The lifetime is a whole number of seconds from 1 to 604800 (7 days).');
    req.expiresIn = s;
  } else if (expirySelect.value) {
    req.expiresIn = Number(expirySelect.value);
  }
  return req;
}

/** describeBuildError is what to show when the API refuses to sign. */
function describeBuildError(err, req) {
  if (!(err instanceof UploadError)) return messageOf(err);
  const m = OUTSIDE.exec(err.detail);
  if (err.code === 'invalid_key' && m) {
    learnPrefix(m[1]);
    return `Refused: ${req.key} is outside this API key's prefix, ${m[1]}. Use a key that starts with ${m[1]}`;
  }
  if (['invalid_key', 'invalid_field', 'forbidden'].includes(err.code) && err.detail) return `Refused: ${sentence(err.detail)}`;
  return messageOf(err);
}

/** curlCommand is a shell command that uses the URL. */
function curlCommand(res, o = {}) {
  const base = (k) => k.split('/').pop() || 'file';
  const args = ['curl', '-fS'];
  switch (res.method) {
    case 'GET': args.push('-o', shellQuote(o.filename || base(res.key))); break;
    case 'HEAD': args.push('-I'); break;
    case 'PUT': args.push('-T', shellQuote(o.file || base(res.key))); break;
    default: args.push('-X', res.method);
  }
  // curl sends Host itself, and Content-Length from the file.
  for (const [name, value] of Object.entries(res.headers ?? {})) {
    if (!['host', 'content-length'].includes(name.toLowerCase())) args.push('-H', shellQuote(`${name}: ${value}`));
  }
  args.push(shellQuote(res.url));
  return args.join(' ');
}

async function runBuild() {
  let req;
  try {
    req = buildRequest();
  } catch (err) {
    showAlert(buildError, err.message);
    return;
  }
  const key = apiKey.require();
  if (!key) return;
  building?.abort();
  const ctl = new AbortController();
  building = ctl;
  const { signal } = ctl;
  buildButton.setAttribute('aria-busy', 'true');
  try {
    let res;
    try {
      res = await api(key, waiting(buildError)).call('POST', '/v1/presign', req, { signal, ctx: { contentType: req.contentType, size: req.size } });
    } catch (err) {
      if (isAbort(err) || signal.aborted) return;
      buildResult.hidden = true;
      $('built-inspection').replaceChildren();
      showAlert(buildError, describeBuildError(err, req));
      return;
    }
    showAlert(buildError, '');
    showBuilt(res, req);
    try {
      const ins = await api(key).call('POST', '/v1/inspect', { url: res.url, method: res.method }, { signal });
      renderInspection($('built-inspection'), ins);
      setBucket(ins.bucket);
    } catch (err) {
      if (isAbort(err) || signal.aborted) return;
      $('built-inspection').replaceChildren(el('p', { class: 'alert' }, `The URL was signed but could not be inspected: ${messageOf(err)}`));
    }
  } finally {
    if (building === ctl) buildButton.removeAttribute('aria-busy');
  }
}

function showBuilt(res, req) {
  $('built-url').textContent = res.url;
  const open = $('open-url');
  open.hidden = res.method !== 'GET';
  if (res.method === 'GET') open.href = res.url;
  else open.removeAttribute('href');
  const headers = Object.entries(res.headers ?? {});
  $('built-headers').replaceChildren(...headers.map(([n, v]) => el('div', {}, el('dt', {}, n), el('dd', {}, el('code', {}, v)))));
  $('built-headers').hidden = headers.length === 0;
  $('built-no-headers').hidden = headers.length > 0;
  $('built-curl').textContent = curlCommand(res, { filename: req.filename, file: chosenFile });
  $('built-inspection').replaceChildren(el('p', { class: 'hint' }, 'Inspecting…'));
  buildResult.dataset.method = res.method;
  buildResult.hidden = false;
}

buildButton.addEventListener('click', runBuild);
for (const id of ['build-key', 'build-content-type', 'build-size', 'build-filename', 'build-seconds']) {
  $(id).addEventListener('keydown', (e) => {
    if (e.key === 'Enter') runBuild();
  });
}
$('copy-url').addEventListener('click', (e) => copy(e.currentTarget, $('built-url').textContent));
$('copy-curl').addEventListener('click', (e) => copy(e.currentTarget, $('built-curl').textContent));

// ---- start --------------------------------------------------------------

methodChanged();
if (apiKey.value()) probePrefix(apiKey.value());
