// Signing in and out: business users with a password, partners with an
// emailed link.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  demo, launch, linkPath, mailFiles, newContext, passwordForm, pathOf, sidebar, signIn, testTimeout,
  waitForEmail, waitForPath,
} from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a business user signs in and out', { timeout: testTimeout }, async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await signIn(page, '/login', demo.owner, '/admin');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const who = sidebar(page);
    assert.match(await who.innerText(), /Frida Fjord/);
    assert.match(await who.innerText(), /owner@fjordline\.example · Owner/);

    await who.getByRole('button', { name: 'Sign out', exact: true }).click();
    await waitForPath(page, '/login');
    await page.getByRole('heading', { name: 'Sign in to Tandem' }).waitFor();

    const res = await page.goto('/admin');
    assert.equal(pathOf(page), '/login', 'a signed-out visit to /admin is sent to sign in');
    assert.equal(res.status(), 200);
    assert.equal(await sidebar(page).count(), 0, 'the sign-in page has no signed-in shell');
  } finally {
    await context.close();
  }
});

test('a wrong password is refused', { timeout: testTimeout }, async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto('/login');
    const form = passwordForm(page);
    await form.getByLabel('Email', { exact: true }).fill(demo.owner.email);
    await form.getByLabel('Password', { exact: true }).fill('not-the-password');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
      form.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    assert.ok(res.status() >= 400 && res.status() < 500, `status ${res.status()}, want 4xx`);
    await page.getByText('The email or password is incorrect.').waitFor();
    assert.equal(pathOf(page), '/login');
    await page.getByRole('heading', { name: 'Sign in to Tandem' }).waitFor();
    assert.equal(await passwordForm(page).getByLabel('Email', { exact: true }).inputValue(), demo.owner.email,
      'the form keeps the email');

    await page.goto('/admin');
    assert.equal(pathOf(page), '/login', 'a refused sign-in signs nobody in');
  } finally {
    await context.close();
  }
});

test('a partner signs in with an emailed link', { timeout: testTimeout }, async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto('/portal/login');
    const linkForm = page.locator('form').filter({ has: page.getByRole('button', { name: 'Email me a sign-in link' }) });
    await linkForm.getByLabel('Email', { exact: true }).fill(demo.partner.email);
    const seen = await mailFiles();
    await linkForm.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    assert.match(await page.locator('main').innerText(), new RegExp(demo.partner.email.replace(/\./g, '\\.')));

    const email = await waitForEmail(demo.partner.email, seen);
    assert.match(email.headers.subject, /sign-in link/i);
    const link = linkPath(email, /\/signin\/[A-Za-z0-9_-]+/);

    await page.goto(link);
    await page.getByRole('button', { name: 'Continue' }).click();
    await waitForPath(page, '/portal');
    await page.getByText(demo.referralProgram).first().waitFor();
    assert.match(await sidebar(page).innerText(), /ingrid@nordvik-consulting\.example/);

    // The link works once.
    const again = await page.goto(link);
    assert.ok(again.status() >= 400, `a used sign-in link answered ${again.status()}`);
    assert.equal(await page.getByRole('button', { name: 'Continue' }).count(), 0, 'a used sign-in link still offers to sign in');
  } finally {
    await context.close();
  }
});
