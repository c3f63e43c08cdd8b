// Shared helpers of the browser tests: the browser, the server's address,
// signing in, and reading the emails that tandem writes into its mail folder.
//
// The tests are started by e2e_test.go (go test ./e2e/), which builds and
// starts the real binary and passes its address in the environment:
//
//	TANDEM_URL          where the server listens, e.g. http://127.0.0.1:41234
//	TANDEM_MAIL_DIR     the folder of .eml files that the server writes
//	TANDEM_SCREENSHOTS  where the screenshot test saves its PNGs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

function required(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run these tests through go test ./e2e/, which starts tandem and sets it`);
  }
  return v;
}

export const baseURL = required('TANDEM_URL').replace(/\/$/, '');
export const mailDir = required('TANDEM_MAIL_DIR');
export const screenshotDir = process.env.TANDEM_SCREENSHOTS || path.resolve('screenshots');

// The demo business that `tandem serve --demo` loads.
export const demo = {
  owner: { email: 'owner@fjordline.example', password: 'tandem-demo-owner', name: 'Frida Fjord' },
  partner: { email: 'ingrid@nordvik-consulting.example', password: 'tandem-demo-partner' },
  referralProgram: 'Fjordline Customer Referral Program',
};

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

// How long one browser action or navigation may take before it fails, and
// how long a test may take in all. Generous: CI runs the Go suite with -race
// beside these tests on two cores.
export const actionTimeout = 20_000;
export const testTimeout = 120_000;

const chromiumPath = '/usr/bin/chromium'; // Debian's package; e2e_test.go checks it is there

// launch starts headless Chromium. The machine has no internet: the flags keep
// Chromium from trying to reach Google's services.
export function launch() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless=new',
      '--no-sandbox', // we run as root
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// newContext opens a fresh browser context (its own cookies) on the server.
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ baseURL, viewport: desktop, ...options });
  context.setDefaultTimeout(actionTimeout);
  context.setDefaultNavigationTimeout(actionTimeout);
  return context;
}

// uniqueEmail returns an address no other test uses.
export function uniqueEmail(label) {
  return `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@e2e.example`;
}

// pathOf returns the path of the page's current URL.
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

// waitForPath waits until the page is on the given path (any query).
export async function waitForPath(page, pathname) {
  await page.waitForURL((u) => u.pathname === pathname);
}

// passwordForm is the sign-in form with the password, which the partner
// sign-in page shows below the emailed-link form (both have an Email field).
export function passwordForm(page) {
  return page.locator('form').filter({ has: page.getByRole('button', { name: 'Sign in', exact: true }) });
}

// signIn signs in through the password form of a sign-in page (/login or
// /portal/login) and waits to land on `landing`.
export async function signIn(page, loginPath, { email, password }, landing) {
  await page.goto(loginPath);
  const form = passwordForm(page);
  await form.getByLabel('Email', { exact: true }).fill(email);
  await form.getByLabel('Password', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'Sign in', exact: true }).click();
  await waitForPath(page, landing);
}

let ownerState;

// ownerStorageState signs the demo owner in once per test file and returns
// the signed-in cookies, so that tests open contexts with them instead of
// signing in again (the server rate-limits sign-ins).
export async function ownerStorageState(browser) {
  if (!ownerState) {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, '/login', demo.owner, '/admin');
    ownerState = await context.storageState();
    await context.close();
  }
  return ownerState;
}

// sidebar is the signed-in shell's side bar (navigation and who is signed in).
export function sidebar(page) {
  return page.locator('aside.sidebar');
}

// --- Email ---------------------------------------------------------------

// mailFiles lists the .eml files in the mail folder, oldest first (tandem
// names them <unix-millis>-<id>.eml). A missing folder has none yet.
export async function mailFiles() {
  let names;
  try {
    names = await readdir(mailDir);
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((n) => n.endsWith('.eml')).sort();
}

// waitForEmail waits for an email to `to` among the files not in `seen` (the
// mailFiles from before the action that sends it) and returns the newest
// such message, parsed. The server sends email from a background job, so it
// arrives a moment after the page answers.
export async function waitForEmail(to, seen = [], timeoutMs = 30_000) {
  const old = new Set(seen);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fresh = (await mailFiles()).filter((n) => !old.has(n)).reverse();
    for (const name of fresh) {
      const msg = parseEmail(await readFile(path.join(mailDir, name)));
      if (addresses(msg.headers.to).includes(to.toLowerCase())) return { file: name, ...msg };
    }
    if (Date.now() > deadline) {
      throw new Error(`no email to ${to} in ${mailDir} within ${timeoutMs / 1000}s (new files: ${fresh.join(', ') || 'none'})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// addresses returns the lower-cased addresses of an address-list header.
function addresses(header = '') {
  return [...header.matchAll(/<([^<>\s]+)>|([^\s<>",;:]+@[^\s<>",;]+)/g)].map((m) => (m[1] || m[2]).toLowerCase());
}

// parseEmail reads an RFC 5322 message: its headers (lower-cased names,
// unfolded) and its text and HTML bodies, decoded. It handles what tandem
// writes (multipart/alternative, quoted-printable or base64 parts), not every
// message there is.
export function parseEmail(raw) {
  const text = raw.toString('latin1'); // bytes as-is; parts are decoded to UTF-8 below
  const { headers, body } = splitEntity(text);
  const out = { headers, text: '', html: '' };
  collectParts(headers, body, out);
  return out;
}

function splitEntity(text) {
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const body = m ? text.slice(m.index + m[0].length) : '';
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body };
}

function collectParts(headers, body, out) {
  const type = (headers['content-type'] || 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'])?.[1];
    assert.ok(boundary, `multipart without boundary: ${headers['content-type']}`);
    const parts = body.split(new RegExp(`\\r?\\n?--${escapeRegExp(boundary)}(?:--)?[ \\t]*\\r?\\n?`));
    for (const part of parts.slice(1)) {
      if (part.trim() === '') continue;
      const entity = splitEntity(part);
      collectParts(entity.headers, entity.body, out);
    }
    return;
  }
  const decoded = decodeBody(body, headers['content-transfer-encoding']);
  if (type.startsWith('text/plain') && !out.text) out.text = decoded;
  if (type.startsWith('text/html') && !out.html) out.html = decoded;
}

function decodeBody(body, encoding = '7bit') {
  let bytes;
  switch (encoding.toLowerCase()) {
    case 'quoted-printable':
      bytes = decodeQuotedPrintable(body);
      break;
    case 'base64':
      bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
      break;
    default:
      bytes = Buffer.from(body, 'latin1');
  }
  return bytes.toString('utf8');
}

// decodeQuotedPrintable undoes RFC 2045 quoted-printable: soft line breaks
// ("=" at the end of a line) join lines, and =XX is the byte XX.
export function decodeQuotedPrintable(s) {
  const joined = s.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(joined.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// linkPath finds the link whose path matches `pattern` (e.g.
// /\/invite\/[A-Za-z0-9_-]+/) on a line of its own in the plain-text body
// and returns that path. Only the path is used: the emailed host is the
// server's configured base URL, which for a server on port 0 is not where it
// listens.
export function linkPath(email, pattern) {
  const line = email.text.split(/\r?\n/).map((l) => l.trim()).find((l) => /^https?:\/\/\S+$/.test(l) && pattern.test(new URL(l).pathname));
  assert.ok(line, `no link matching ${pattern} on a line of its own in:\n${email.text}`);
  const p = new URL(line).pathname;
  assert.match(p, new RegExp(`^${pattern.source}$`), `the link ${line} has more than the expected path`);
  return p;
}
