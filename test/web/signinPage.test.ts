/**
 * "Test my smart card" (/signin on the sign-in listener) in Chromium with no card and no
 * certificate: the browser sends no Certificate message in the TLS handshake, so there is
 * no CertificateVerify and nothing was proven. The page must say the proof of possession
 * was not performed — never "✔ passed" — and ask for the card.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSigninServer, type SigninServer } from '../../src/entry/http/signin/signinServer.js';
import { chromiumAvailable, launchChromium, type TestBrowser } from '../support/browser.js';
import { newTestCa, type TestCa } from '../support/tessera.js';
import { docScreenshot } from './support.js';

let ca: TestCa;
let signin: SigninServer;
let browser: TestBrowser;

describe('"Test my smart card" in Chromium without a certificate', () => {
  beforeAll(async () => {
    if (!chromiumAvailable()) throw new Error('the web suites need Chromium: apt-get install -y chromium');
    ca = await newTestCa();
    const sessionKey = randomBytes(32);
    signin = await startSigninServer({
      tessera: ca.t,
      sessionKey,
      host: '127.0.0.1',
      port: 0,
      limits: { perAddress: 0, perCertificate: 0 },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await signin?.close();
    await ca?.close();
  });

  it('shows proof of possession as failed, not performed, and asks for the card', async () => {
    const page = await browser.newPage();
    const r = await page.goto(`${signin.url.replace('127.0.0.1', 'localhost')}/signin`);
    expect(r?.status()).toBe(401);
    const row = page.locator('tr[data-check="possession"]');
    await expect.poll(() => row.getAttribute('data-status')).toBe('failed');
    expect(await row.innerText()).toMatch(/✘ failed\s+Not performed: No client certificate was presented/);
    expect(await page.locator('tr[data-status="passed"]').count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toContain('✔ passed');
    expect(await page.locator('body').innerText()).toContain('Insert your smart card');
    await docScreenshot(page, 'signin-01-no-certificate');
  });
});
