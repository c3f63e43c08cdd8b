// Screenshots of every page, signed out, as the demo owner and as the demo
// partner, on a desktop and a phone, saved to TANDEM_SCREENSHOTS for people
// to look at. Each page must answer as expected and run without script
// errors.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  demo, desktop, launch, newContext, ownerStorageState, pathOf, phone, screenshotDir, signIn, testTimeout,
} from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
  await mkdir(screenshotDir, { recursive: true });
});
after(async () => {
  await browser?.close();
});

// Problems that are reported but do not fail the test (see shoot).
const known = new Set();

// shoot visits each page in `context` and saves a full-page screenshot named
// <prefix>-<page>.png. It returns the files written.
async function shoot(context, prefix, pages) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`${pathOf(page)}: script error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const from = msg.location().url ? new URL(msg.location().url).pathname : '';
    // Chromium logs the 404 page's own status, and asks for /favicon.ico,
    // which Tandem does not have (yet), as failed loads.
    if (/Failed to load resource/.test(msg.text()) && (from === '/favicon.ico' || (from === '/no-such-page' && from === pathOf(page)))) return;
    // Known: the templates' style="…" attributes are blocked by the
    // Content-Security-Policy (default-src 'self'), so those styles are
    // dropped. Reported, not failed, until the templates or the policy
    // change; a blocked script or any other error still fails.
    if (/^Applying inline style violates/.test(msg.text())) {
      known.add(`${pathOf(page)}: an inline style="…" is blocked by the Content-Security-Policy`);
      return;
    }
    problems.push(`${pathOf(page)}: console error from ${msg.location().url || 'the page'}: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => problems.push(`${pathOf(page)}: ${req.url()} failed: ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.request().resourceType() !== 'document' && res.status() >= 400) {
      problems.push(`${pathOf(page)}: ${res.url()} answered ${res.status()}`);
    }
  });

  const files = [];
  for (const [urlPath, want = 200] of pages) {
    const res = await page.goto(urlPath, { waitUntil: 'load' });
    assert.equal(res.status(), want, `${prefix} ${urlPath}`);
    assert.equal(pathOf(page), urlPath, `${prefix} ${urlPath} was redirected`);
    // Known, reported and not failed: on a phone, wide tables stretch the
    // whole page instead of scrolling inside their .table-wrap.
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    const screen = page.viewportSize().width;
    if (width > screen) known.add(`${prefix} ${urlPath}: the page is ${width}px wide on a ${screen}px screen, so it scrolls sideways`);
    const name = urlPath === '/no-such-page' ? 'not-found' : urlPath.slice(1).replace(/\//g, '-');
    const file = path.join(screenshotDir, `${prefix}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
  }
  assert.deepEqual(problems, []);
  return files;
}

test('screenshots of every page', { timeout: testTimeout }, async (t) => {
  const written = [];

  const anon = await newContext(browser);
  try {
    written.push(...await shoot(anon, 'desktop', [
      ['/login'], ['/portal/login'], ['/p/customer-referrals'], ['/no-such-page', 404],
    ]));
  } finally {
    await anon.close();
  }

  const ownerState = await ownerStorageState(browser);
  const owner = await newContext(browser, { storageState: ownerState });
  try {
    written.push(...await shoot(owner, 'desktop', [
      ['/admin'], ['/admin/programs'], ['/admin/partners'], ['/admin/team'], ['/admin/api-keys'],
      ['/admin/audit'], ['/admin/account'],
    ]));
  } finally {
    await owner.close();
  }
  const ownerPhone = await newContext(browser, { storageState: ownerState, viewport: phone, isMobile: true, hasTouch: true });
  try {
    written.push(...await shoot(ownerPhone, 'phone', [['/admin']]));
  } finally {
    await ownerPhone.close();
  }

  const partner = await newContext(browser, { viewport: desktop });
  try {
    const page = await partner.newPage();
    await signIn(page, '/portal/login', demo.partner, '/portal');
    await page.close();
    written.push(...await shoot(partner, 'desktop', [['/portal'], ['/portal/account']]));
    const partnerState = await partner.storageState();
    const partnerPhone = await newContext(browser, { storageState: partnerState, viewport: phone, isMobile: true, hasTouch: true });
    try {
      written.push(...await shoot(partnerPhone, 'phone', [['/portal']]));
    } finally {
      await partnerPhone.close();
    }
  } finally {
    await partner.close();
  }

  t.diagnostic(`saved ${written.length} screenshots in ${screenshotDir}`);
  for (const k of known) t.diagnostic(`known problem: ${k}`);
});
