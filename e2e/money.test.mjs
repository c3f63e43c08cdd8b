// Money: finance works the commissions queue (approve, reject with a
// reason), reads conversions and a partner's ledger; the demo partner reads
// their earnings with how each commission was computed.

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

test('finance approves and rejects pending commissions', { timeout: testTimeout }, async () => {
  const context = await newContext(browser, { storageState: await ownerStorageState(browser), viewport: desktop });
  try {
    const page = await context.newPage();
    assert.equal((await page.goto('/admin/commissions?status=pending')).status(), 200);
    const boxes = page.locator('input[name="ids"]');
    assert.ok(await boxes.count() >= 2, 'the demo has pending commissions');
    await page.screenshot({ path: path.join(screenshotDir, 'admin-commissions.png'), fullPage: true });

    const first = await boxes.nth(0).getAttribute('value');
    await boxes.nth(0).check();
    await page.getByRole('button', { name: 'Approve selected' }).click();
    await page.getByRole('status').filter({ hasText: '1 commission updated.' }).waitFor();
    assert.equal(await page.locator(`input[value="${first}"]`).count(), 0, 'the approved commission left the pending list');

    // Rejecting needs a reason: without one nothing changes and the page says why.
    const second = await boxes.nth(0).getAttribute('value');
    await boxes.nth(0).check();
    await page.getByRole('button', { name: 'Reject selected' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(await page.locator(`input[value="${second}"]`).count(), 1, 'nothing was rejected without a reason');
    await page.locator(`input[value="${second}"]`).check();
    await page.getByLabel(/Reason/).fill('Duplicate of an earlier order.');
    await page.getByRole('button', { name: 'Reject selected' }).click();
    await page.getByRole('status').filter({ hasText: '1 commission updated.' }).waitFor();

    // Select all ticks every pending commission of the page.
    await page.getByLabel('Select every pending commission').check();
    const left = await boxes.count();
    assert.equal(await page.locator('input[name="ids"]:checked').count(), left);

    await page.goto('/admin/commissions?status=rejected');
    assert.match(await page.locator('table').innerText(), /Rejected: Duplicate of an earlier order\./);

    assert.equal((await page.goto('/admin/conversions')).status(), 200);
    const conversions = await page.locator('table').innerText();
    assert.match(conversions, /Sale/);
    assert.match(conversions, /Refund/);
    await page.screenshot({ path: path.join(screenshotDir, 'admin-conversions.png'), fullPage: true });

    await page.goto('/admin/commissions');
    await page.locator('table a[href$="/ledger"]').first().click();
    await page.getByRole('heading', { name: /^Ledger of / }).waitFor();
    assert.match(await page.locator('table').innerText(), /Commission earned/);
  } finally {
    await context.close();
  }
});

test('a manager gives one partner a plan of their own', { timeout: testTimeout }, async () => {
  const context = await newContext(browser, { storageState: await ownerStorageState(browser), viewport: desktop });
  try {
    const page = await context.newPage();
    await page.goto('/admin/programs');
    await page.getByRole('link', { name: demo.referralProgram }).first().click();
    await page.getByRole('link', { name: 'Commission plans' }).click();
    await page.getByRole('heading', { name: 'Who earns under which plan' }).waitFor();

    const target = page.getByLabel('Group or partner');
    const partner = await target.locator('optgroup[label="Partners"] option').first();
    const name = (await partner.innerText()).trim();
    await target.selectOption(await partner.getAttribute('value'));
    const plan = page.getByLabel('Plan', { exact: true });
    const planName = (await plan.locator('option').nth(1).innerText()).trim();
    await plan.selectOption({ label: planName });
    await page.getByRole('button', { name: 'Assign' }).click();
    await page.getByRole('status').filter({ hasText: 'Plan assigned' }).waitFor();
    const rows = await page.locator('table').filter({ hasText: 'Group or partner' }).innerText();
    assert.ok(rows.split('\n').some((row) => row.startsWith(name) && row.includes(planName)), rows);
    await page.screenshot({ path: path.join(screenshotDir, 'admin-plan-assignments.png'), fullPage: true });

    // Back on the program's default: the partner leaves the list.
    await page.getByLabel('Group or partner').selectOption({ label: name });
    await page.getByLabel('Plan', { exact: true }).selectOption({ label: "The program's default" });
    await page.getByRole('button', { name: 'Assign' }).click();
    await page.getByRole('status').filter({ hasText: "Back on the program's default plan" }).waitFor();
    const left = page.locator('table').filter({ hasText: 'Group or partner' });
    assert.ok(await left.count() === 0 || !(await left.innerText()).split('\n').some((row) => row.startsWith(name)), 'the partner left the list');
  } finally {
    await context.close();
  }
});

test('the partner reads their earnings', { timeout: testTimeout }, async () => {
  const context = await newContext(browser, { viewport: desktop });
  try {
    const page = await context.newPage();
    await signIn(page, '/portal/login', demo.partner, '/portal');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Earnings' }).click();
    await page.getByRole('heading', { name: 'Earnings' }).waitFor();
    const table = await page.locator('table').innerText();
    assert.match(table, /% of \d+\.\d\d USD/, 'each commission says how it was computed');
    assert.match(await page.locator('.stats').innerText(), /USD/);
    await page.screenshot({ path: path.join(screenshotDir, 'portal-earnings.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
