// Payouts: finance opens the demo's proposed batch, approves it and marks
// its PayPal lines paid from the exported file; the demo partner sees the
// payout in their history with its statement.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { demo, desktop, launch, newContext, ownerStorageState, screenshotDir, signIn, testTimeout } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('finance approves the proposed batch and pays it by file', { timeout: testTimeout }, async () => {
  const context = await newContext(browser, { storageState: await ownerStorageState(browser), viewport: desktop });
  try {
    const page = await context.newPage();
    assert.equal((await page.goto('/admin/payouts')).status(), 200);
    await page.getByRole('heading', { name: 'Payable balances' }).waitFor();
    await page.screenshot({ path: path.join(screenshotDir, 'admin-payouts.png'), fullPage: true });
    const proposed = page.locator('tr', { has: page.locator('.badge.proposed') }).first();
    await proposed.locator('a').first().click();
    await page.getByRole('heading', { name: /^Payout batch of / }).waitFor();
    await page.screenshot({ path: path.join(screenshotDir, 'admin-payout-batch.png'), fullPage: true });

    await page.getByRole('button', { name: /^Approve and send / }).click();
    await page.getByRole('status').waitFor();
    // Each line is sent by its own background job: PayPal lines are then
    // exported, waiting for finance to mark them paid.
    const markAll = page.getByRole('button', { name: /^Mark all \d+ exported lines paid$/ });
    for (let i = 0; i < 30 && !(await markAll.count()); i++) {
      await page.waitForTimeout(1000);
      await page.reload();
    }
    const reference = page.getByLabel(/reference/i);
    if (await reference.count()) {
      await reference.first().fill('PAYPAL-E2E-1');
    }
    await markAll.click();
    await page.getByRole('status').waitFor();
    assert.match(await page.locator('main').innerText(), /Paid/i);
  } finally {
    await context.close();
  }
});

test('the partner sees their payouts and a statement', { timeout: testTimeout }, async () => {
  const context = await newContext(browser, { viewport: desktop });
  try {
    const page = await context.newPage();
    await signIn(page, '/portal/login', demo.partner, '/portal');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Payouts' }).click();
    await page.getByRole('heading', { name: 'Payout history' }).waitFor();
    const history = page.locator('h2', { hasText: 'Payout history' }).locator('xpath=following-sibling::*[1]');
    assert.match(await history.innerText(), /USD/);
    assert.match(await page.locator('main').innerText(), /PayPal/);
    await page.screenshot({ path: path.join(screenshotDir, 'portal-payouts.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
