// Tracking: a merchant's page on another origin includes /t.js; opened with
// ?ref=CODE it records the click and keeps its ID in a first-party cookie,
// opened through a short link it keeps the ID from the URL, and on a site
// the program does not allow it records nothing and never throws.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { baseURL, demo, launch, newContext, ownerStorageState, signIn, testTimeout } from './lib.mjs';

let browser;
let merchant; // the merchant's site: http://localhost:PORT
before(async () => {
  browser = await launch();
  merchant = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Shop</title>
<script src="${baseURL}/t.js" data-cookie-days="7" async></script></head><body><h1>Shop</h1></body></html>`);
  });
  await new Promise((resolve) => merchant.listen(0, resolve)); // every loopback address: localhost and 127.0.0.1
});
after(async () => {
  await browser?.close();
  merchant?.close();
});

// clickIdWhenReady waits for the snippet to finish and returns tandem.clickId().
function clickIdWhenReady(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const wait = () => (window.tandem && window.tandem.ready ? window.tandem.ready(resolve) : setTimeout(wait, 20));
    wait();
  }));
}

test('the snippet records a direct link and keeps the click ID', { timeout: testTimeout }, async () => {
  const shop = `http://localhost:${merchant.address().port}`;
  const admin = await newContext(browser, { storageState: await ownerStorageState(browser) });
  const partner = await newContext(browser);
  const visitor = await newContext(browser);
  try {
    // The program allows the merchant's site (localhost here).
    const adminPage = await admin.newPage();
    await adminPage.goto('/admin/programs');
    await adminPage.getByRole('link', { name: demo.referralProgram }).first().click();
    const programID = new URL(adminPage.url()).pathname.split('/').pop();
    const domains = adminPage.getByLabel('Other allowed domains');
    await domains.fill(`${await domains.inputValue()}\nlocalhost`);
    await adminPage.getByRole('button', { name: 'Save settings' }).click();
    await adminPage.getByText('Settings saved.').waitFor();
    assert.match(await adminPage.locator('pre').innerText(), /\/t\.js" data-click-param="tandem_click"/, 'the page shows the tag to paste');

    // The demo partner's default link code.
    const partnerPage = await partner.newPage();
    await signIn(partnerPage, '/portal/login', demo.partner, '/portal');
    await partnerPage.goto(`/portal/programs/${programID}/links`);
    const shortURL = await partnerPage.locator('input[id^="url-"]').first().inputValue();
    const code = shortURL.split('/r/')[1];
    assert.ok(code, `a short link in ${shortURL}`);

    // A direct link: recorded through the API, kept in the cookie for the
    // program's 90-day window, readable by the merchant's code.
    const errors = [];
    const page = await visitor.newPage();
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(`${shop}/pricing?ref=${code}`, { referer: 'https://blog.example/post' });
    const id = await clickIdWhenReady(page);
    assert.match(id ?? '', /^clk_[a-z2-7]{26}$/);
    const cookie = (await visitor.cookies(shop)).find((c) => c.name === 'tandem_click');
    assert.equal(cookie?.value, id);
    assert.equal(cookie.sameSite, 'Lax');
    const days = (cookie.expires - Date.now() / 1000) / 86400;
    assert.ok(days > 89 && days <= 90, `cookie lasts ${days} days; want the program's 90`);

    // Through a short link the ID comes in the URL: no call, the script's own window.
    const other = await newContext(browser);
    const viaShort = await other.newPage();
    const fromURL = 'clk_abcdefghijklmnopqrstuvwxyz';
    await viaShort.goto(`${shop}/?tandem_click=${fromURL}`);
    assert.equal(await clickIdWhenReady(viaShort), fromURL);
    const short = (await other.cookies(shop)).find((c) => c.name === 'tandem_click');
    assert.ok(short && Math.round((short.expires - Date.now() / 1000) / 86400) === 7, 'data-cookie-days is used');
    await other.close();

    // A site the program does not allow (127.0.0.1 is not localhost): nothing kept, no error.
    const stranger = await newContext(browser);
    const elsewhere = await stranger.newPage();
    elsewhere.on('pageerror', (e) => errors.push(e));
    await elsewhere.goto(`http://127.0.0.1:${merchant.address().port}/?ref=${code}`);
    assert.equal(await clickIdWhenReady(elsewhere), null);
    await stranger.close();
    assert.deepEqual(errors, [], 'the snippet never throws');
  } finally {
    await admin.close();
    await partner.close();
    await visitor.close();
  }
});
