// app.js: the upload page. The flow itself is in upload.js and the API key
// field in apikey.js; this file is the page: the drop zone, the method
// selector and the list of uploads. It builds the DOM with textContent
// only, never HTML.

import {
  API, DEFAULT_MULTIPART_THRESHOLD, UploadError, downloadURL, formatSize, isAbort, uploadFile,
} from './upload.js';
import { keyField } from './apikey.js';

/** Files uploaded at once; each multipart file sends four parts at once. */
const FILES_AT_ONCE = 2;

const $ = (id) => document.getElementById(id);
const list = $('uploads');
const template = $('upload-item');

let threshold = DEFAULT_MULTIPART_THRESHOLD;
const queue = [];
let running = 0;

// ---- settings -----------------------------------------------------------

fetch('/config.json', { cache: 'no-cache' })
  .then((r) => (r.ok ? r.json() : null))
  .then((cfg) => {
    if (cfg?.multipartThreshold > 0) {
      threshold = cfg.multipartThreshold;
      $('threshold-hint').textContent = `Files of ${formatSize(threshold)} or more are sent in parts, four at a time.`;
    }
  })
  .catch(() => { /* keep the default */ });

// ---- API key ------------------------------------------------------------

const apiKey = keyField();
const setKeyError = apiKey.setError;

// ---- choosing files -----------------------------------------------------

const zone = $('drop-zone');
const picker = $('file-input');

picker.addEventListener('change', () => {
  addFiles(picker.files);
  picker.value = '';
});
for (const type of ['dragenter', 'dragover']) {
  zone.addEventListener(type, (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('over');
  });
}
zone.addEventListener('dragleave', (e) => {
  if (!zone.contains(e.relatedTarget)) zone.classList.remove('over');
});
zone.addEventListener('drop', (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  addFiles(e.dataTransfer?.files ?? []);
});
// A file dropped beside the zone must not replace the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

$('clear-done').addEventListener('click', () => {
  for (const li of [...list.children]) if (li.dataset.state !== 'active') li.remove();
  refreshList();
});

function selectedMethod() {
  return document.querySelector('input[name="method"]:checked')?.value ?? 'auto';
}

function addFiles(files) {
  const key = apiKey.require();
  if (!key) return;
  let first;
  for (const file of files) {
    const item = newItem(file, key, selectedMethod());
    first ??= item;
    queue.push(item);
  }
  refreshList();
  pump();
  // On a small screen the list is below the fold: bring the new uploads
  // into view (a no-op where they are already visible).
  first?.li.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

// ---- the list -----------------------------------------------------------

function refreshList() {
  $('empty').hidden = list.children.length > 0;
  $('clear-done').hidden = ![...list.children].some((li) => li.dataset.state !== 'active');
}

function newItem(file, key, method) {
  const li = template.content.firstElementChild.cloneNode(true);
  const q = (sel) => li.querySelector(sel);
  const item = {
    file, key, method, li, controller: new AbortController(),
    bar: q('progress'), pct: q('.pct'), status: q('.status'), cancel: q('.cancel'),
  };
  li.dataset.state = 'active';
  q('.name').textContent = file.name;
  q('.name').title = file.name;
  q('.size').textContent = formatSize(file.size);
  item.bar.setAttribute('aria-label', `Upload of ${file.name}`);
  item.status.textContent = 'Waiting…';
  item.cancel.setAttribute('aria-label', `Cancel upload of ${file.name}`);
  item.cancel.addEventListener('click', () => {
    item.controller.abort();
    const i = queue.indexOf(item);
    if (i >= 0) {
      queue.splice(i, 1);
      finish(item, 'cancelled', 'Cancelled.');
    }
  });
  list.append(li);
  return item;
}

function setProgress(item, loaded, total) {
  const pct = total > 0 ? Math.floor((loaded / total) * 100) : 100;
  item.bar.value = pct;
  item.pct.textContent = `${pct}%`;
}

function finish(item, state, text) {
  item.li.dataset.state = state;
  item.status.textContent = text;
  item.cancel.hidden = true;
  refreshList();
}

function pump() {
  while (running < FILES_AT_ONCE && queue.length > 0) {
    const item = queue.shift();
    running++;
    run(item).finally(() => {
      running--;
      pump();
    });
  }
}

async function run(item) {
  const { file, controller } = item;
  const signal = controller.signal;
  const api = new API({
    key: item.key,
    onWait: (s) => { item.status.textContent = `Too many requests; trying again in ${s} s…`; },
  });
  const started = performance.now();
  let lastText = '';
  const status = (text) => {
    lastText = text;
    item.status.textContent = text;
  };
  try {
    const res = await uploadFile({
      api, file, method: item.method, threshold, signal,
      onStatus: status,
      onNotice: (text) => {
        const n = item.li.querySelector('.notice');
        n.textContent = text;
        n.hidden = false;
      },
      onProgress: (loaded, total) => {
        setProgress(item, loaded, total);
        const secs = (performance.now() - started) / 1000;
        if (lastText === 'Uploading…' && secs > 0.5) {
          item.status.textContent = `Uploading… ${formatSize(loaded)} of ${formatSize(total)}, ${formatSize(loaded / secs)}/s`;
        }
      },
    });
    setProgress(item, file.size, file.size);
    // From the first API request to storage's last answer.
    const secs = (performance.now() - started) / 1000;
    const how = res.method === 'multipart' ? 'in parts' : `with ${res.method}`;
    const speed = secs >= 0.2 ? `, ${formatSize(file.size / secs)}/s` : '';
    status('Getting a download link…');
    const result = item.li.querySelector('.result');
    item.li.querySelector('.key').textContent = res.key;
    try {
      const d = await downloadURL(api, res.key, file.name, signal);
      const a = item.li.querySelector('.download');
      a.href = d.url;
      a.setAttribute('aria-label', `Download ${file.name}`);
      item.li.querySelector('.copy').addEventListener('click', (e) => copy(e.currentTarget, d.url));
      item.li.querySelector('.expiry').textContent = `Link valid until ${new Date(d.expiresAt).toLocaleString()}`;
    } catch (err) {
      if (isAbort(err)) throw err;
      item.li.querySelector('.links').hidden = true;
      item.li.querySelector('.expiry').textContent = `No download link: ${err.message}`;
    }
    result.hidden = false;
    item.li.dataset.seconds = secs.toFixed(3);
    finish(item, 'done', `Uploaded ${how} in ${formatSeconds(secs)}${speed}.`);
  } catch (err) {
    if (isAbort(err) || signal.aborted) {
      finish(item, 'cancelled', 'Cancelled.');
      return;
    }
    const msg = err instanceof UploadError ? err.message : `Unexpected error: ${err}`;
    if (err instanceof UploadError && err.status === 401) setKeyError('This key was not accepted.');
    item.li.dataset.code = err.code ?? '';
    finish(item, 'failed', msg);
  }
}

function formatSeconds(s) {
  return s < 1 ? `${Math.max(1, Math.round(s * 1000))} ms` : `${s.toFixed(1)} s`;
}

async function copy(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed';
  }
  setTimeout(() => { button.textContent = 'Copy link'; }, 2000);
}

refreshList();
