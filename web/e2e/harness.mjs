// harness.mjs: what the browser tests share: the real stack
// (web/e2e/server, built and started here) and Debian's Chromium.

import { spawn, execFile } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

/** here is web/e2e. */
export const here = dirname(fileURLToPath(import.meta.url));
/** out is where the tests write screenshots and timings (not committed). */
export const out = join(here, 'out');
export const CHROMIUM = process.env.PRESIGN_CHROMIUM || '/usr/bin/chromium';

/**
 * startServer builds web/e2e/server into dir and runs it, with args; it resolves
 * with the stack's addresses and keys, read from its first line of output
 * ({page, storage, deadStorage, bucket, keys, dir}), and a stop function.
 * The server also stops by itself when this process goes, as its standard
 * input closes.
 */
export async function startServer(dir, args = []) {
  const bin = join(dir, 'e2e-server');
  await promisify(execFile)('go', ['build', '-o', bin, './server'], { cwd: here, timeout: 300_000 });
  const child = spawn(bin, ['-lifetime', '15m', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the e2e server printed nothing in 20 s')), 20_000);
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(buf.slice(0, nl)));
      }
    });
    child.on('exit', (code) => reject(new Error(`the e2e server exited with ${code}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin.end(); // the server stops when its standard input closes
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  return { info, stop };
}

/** launchBrowser starts headless Chromium; timeout bounds the start. */
export function launchBrowser(timeout) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout,
  });
}
