// Recruiting: someone applies on a program's public page, the program
// manager approves them from the applications page, and the new partner
// accepts the partner agreement in the portal.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  launch, linkPath, mailFiles, newContext, ownerStorageState, pathOf, testTimeout, uniqueEmail, waitForEmail, waitForPath,
} from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('an applicant applies, is approved, signs in by link and accepts the terms', { timeout: testTimeout }, async () => {
  const email = uniqueEmail('applicant');
  const visitor = await newContext(browser);
  const admin = await newContext(browser, { storageState: await ownerStorageState(browser) });
  try {
    // Apply on the public page; the browser itself holds back a missing required answer.
    const page = await visitor.newPage();
    assert.equal((await page.goto('/p/customer-referrals')).status(), 200);
    const form = page.locator('form[action="/p/customer-referrals/apply"]');
    await form.getByLabel('Your name').fill('Astrid Applicant');
    await form.getByLabel('Email', { exact: true }).fill(email);
    await form.getByLabel('Website (optional)').fill('https://astrid.example');
    let seen = await mailFiles();
    await form.getByRole('button', { name: 'Send application' }).click();
    const question = page.getByLabel('How do you know our ideal customers?');
    assert.equal(await question.evaluate((el) => el.validity.valueMissing), true, 'the unanswered question is flagged');
    assert.equal(pathOf(page), '/p/customer-referrals', 'nothing was sent');
    await question.fill('I run a meetup for B2B product managers in Oslo.');
    await page.getByRole('button', { name: 'Send application' }).click();
    await page.getByRole('heading', { name: 'Thank you for applying' }).waitFor();
    const received = await waitForEmail(email, seen);
    assert.match(received.headers.subject, /received your application/i);

    // The program manager approves the application into the Gold group.
    const adminPage = await admin.newPage();
    assert.equal((await adminPage.goto('/admin/applications')).status(), 200);
    const card = adminPage.locator('.card').filter({ hasText: 'Astrid Applicant' });
    assert.match(await card.innerText(), /I run a meetup for B2B product managers in Oslo\./, 'the answer is shown');
    await card.locator('select[name=group_id]').selectOption({ label: 'Gold' });
    seen = await mailFiles();
    await card.getByRole('button', { name: 'Approve' }).click();
    await adminPage.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
    const approved = await waitForEmail(email, seen);
    assert.match(approved.headers.subject, /Welcome to Fjordline Customer Referral Program/);

    // The partner signs in with an emailed link and sees the terms to accept.
    await page.goto('/portal/login');
    await page.locator('form[action="/portal/login/link"]').getByLabel('Email').fill(email);
    seen = await mailFiles();
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const link = linkPath(await waitForEmail(email, seen), /\/signin\/[A-Za-z0-9_-]+/);
    await page.goto(link);
    await page.getByRole('button', { name: 'Continue' }).click();
    await waitForPath(page, '/portal');
    const banner = page.getByRole('status').filter({ hasText: 'has new terms' });
    await banner.getByRole('link', { name: 'Review the terms' }).click();
    assert.match(pathOf(page), /^\/portal\/programs\/prg_[a-z2-7]+\/agreement$/);
    await page.getByLabel(/I have read and accept/).check();
    await page.getByLabel(/full name/i).fill('Astrid Applicant');
    await page.getByRole('button', { name: /accept/i }).click();
    await page.getByText(/accepted/i).first().waitFor();
    await page.goto('/portal');
    assert.equal(await page.getByRole('status').filter({ hasText: 'has new terms' }).count(), 0, 'the banner is gone after accepting');
  } finally {
    await visitor.close();
    await admin.close();
  }
});
