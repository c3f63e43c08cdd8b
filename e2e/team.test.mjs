// The team: the owner invites teammates by email, they join through the
// emailed link, and each role sees only what it may use.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  launch, linkPath, mailFiles, newContext, ownerStorageState, pathOf, sidebar, testTimeout, uniqueEmail,
  waitForEmail, waitForPath,
} from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// invite has the demo owner invite `email` with `role` on /admin/team and
// returns the path of the invitation link from the email it sends.
async function invite(email, role) {
  const context = await newContext(browser, { storageState: await ownerStorageState(browser) });
  try {
    const page = await context.newPage();
    const res = await page.goto('/admin/team');
    assert.equal(res.status(), 200);
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Send invitation' }) });
    await form.getByLabel('Email', { exact: true }).fill(email);
    await form.getByLabel('Role', { exact: true }).selectOption(role);
    const seen = await mailFiles();
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('status').filter({ hasText: `Invitation sent to ${email}` }).waitFor();
    assert.equal(pathOf(page), '/admin/team');
    assert.match(await page.locator('table').innerText(), new RegExp(email.replace(/[.+]/g, '\\$&')),
      'the team list shows the invited user');

    const message = await waitForEmail(email, seen);
    assert.match(message.headers.subject, /invit/i);
    return linkPath(message, /\/invite\/[A-Za-z0-9_-]+/);
  } finally {
    await context.close();
  }
}

// join opens an invitation link in a fresh context, sets the name and
// password and returns the signed-in page on /admin.
async function join(link, name) {
  const context = await newContext(browser);
  const page = await context.newPage();
  const res = await page.goto(link);
  assert.equal(res.status(), 200);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('New password').fill('a long enough password');
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await waitForPath(page, '/admin');
  return { context, page };
}

test('the owner invites a teammate, who joins through the emailed link', { timeout: testTimeout }, async () => {
  const email = uniqueEmail('finance');
  const link = await invite(email, 'finance');

  const { context, page } = await join(link, 'Fiona Finance');
  try {
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const who = await sidebar(page).innerText();
    assert.match(who, /Fiona Finance/);
    assert.ok(who.includes(`${email} · Finance`), `the sidebar says who is signed in: ${who}`);

    // The invitation works once.
    const anon = await newContext(browser);
    try {
      const again = await (await anon.newPage()).goto(link);
      assert.ok(again.status() >= 400, `a used invitation answered ${again.status()}`);
    } finally {
      await anon.close();
    }
  } finally {
    await context.close();
  }
});

test('roles without the permission are refused', { timeout: testTimeout }, async () => {
  const finance = uniqueEmail('finance');
  const readOnly = uniqueEmail('readonly');
  const financeLink = await invite(finance, 'finance');
  const readOnlyLink = await invite(readOnly, 'read_only');

  for (const [link, name, role] of [[financeLink, 'Finn Ance', 'finance'], [readOnlyLink, 'Rita Reader', 'read_only']]) {
    const { context, page } = await join(link, name);
    try {
      for (const denied of ['/admin/audit', '/admin/api-keys']) {
        const res = await page.goto(denied);
        assert.equal(res.status(), 403, `${role} on ${denied}`);
        assert.equal(pathOf(page), denied);
        const main = await page.locator('main').innerText();
        assert.match(main, /does not allow/, `${role} on ${denied}: ${main}`);
        assert.match(main, new RegExp(`\\(${role}\\)`));
      }

      const res = await page.goto('/admin/team');
      assert.equal(res.status(), 200);
      const nav = sidebar(page).getByRole('navigation');
      await nav.getByRole('link', { name: 'Team' }).waitFor();
      assert.equal(await nav.getByRole('link', { name: 'Audit log' }).count(), 0, `${role} sees no Audit log link`);
      assert.equal(await nav.getByRole('link', { name: 'API keys' }).count(), 0, `${role} sees no API keys link`);
      assert.equal(await page.getByRole('button', { name: 'Send invitation' }).count(), 0, `${role} sees no invite form`);
      assert.equal(await page.locator('form[action="/admin/team/invite"]').count(), 0);
      assert.equal(await page.locator('select[name="role"]').count(), 0, `${role} cannot change roles`);
    } finally {
      await context.close();
    }
  }
});
