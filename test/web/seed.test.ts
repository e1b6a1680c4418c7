/**
 * The seed, played in Chromium as alice (PRODUCT.md steps 1–11): sign in at /certsrv/,
 * Request a certificate → Advanced certificate request → Create and submit a request to
 * this CA → Smartcard User, create new key set, browser key, Exchange (locked), 2048,
 * automatic container name, CMC, sha1, friendly name "Smartcard Certificate" → Submit →
 * "Certificate Issued" → Install with a password. The saved PKCS#12 is judged by OpenSSL:
 * it opens with the password and holds the key, the certificate with the friendly name
 * and the chain, and `openssl verify` passes. Then what goes wrong on that form is said
 * next to the field.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { chromiumAvailable, launchChromium, screenshot, type TestBrowser } from '../support/browser.js';
import { certText, openssl, tmpDir } from '../support/openssl.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import {
  buildClientBundle,
  docScreenshot,
  fieldErrorText,
  heading,
  installDownload,
  pageId,
  PASSWORD,
  scriptReady,
  signIn,
  statusText,
  storedKeys,
  submitAndWait,
} from './support.js';

const P12_PASSWORD = 'Install-Pa55word';
let ca: TestCa;
let server: TestServer;
let browser: TestBrowser;
let page: Page;
const work = tmpDir('web-seed-');

beforeAll(async () => {
  await buildClientBundle();
  ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  await ca.user('alice', { password: PASSWORD, displayName: 'Alice Example' });
  server = await startTestServer(ca);
  browser = await launchChromium();
  page = await browser.newPage();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await ca?.close();
});

/** Key screens of the seed flow go to docs/screenshots/ too (the README shows them). */
const docShot = (name: string) => docScreenshot(page, name);

async function openAdvancedForm(): Promise<void> {
  await page.goto(`${server.url}/certsrv/certrqma.asp`);
  await scriptReady(page);
}

describe.skipIf(!chromiumAvailable())(
  'the seed in Chromium: Smartcard User with a browser key, installed as a PKCS#12',
  () => {
    let p12File = '';

    it('steps 1–6: sign in, Request a certificate, Advanced certificate request, Create and submit a request to this CA', async () => {
      await signIn(page, server.url, 'alice', PASSWORD, 'seed-01-signin');
      await docShot('seed-02-welcome');
      await page.getByRole('link', { name: 'Request a certificate' }).first().click();
      expect(await pageId(page)).toBe('request-menu');
      await page.getByRole('link', { name: /advanced certificate request/i }).click();
      expect(await pageId(page)).toBe('request-advanced-menu');
      await screenshot(page, 'seed-03-advanced-menu');
      await page.getByRole('link', { name: 'Create and submit a request to this CA' }).click();
      expect(await pageId(page)).toBe('request-advanced');
      await scriptReady(page);
    });

    it("step 7: Smartcard User and the seed's options; the template locks Exchange and the page notes what SHA-1 is for", async () => {
      await page.selectOption('#lbCertTemplate', { label: 'Smartcard User' });
      await page.check('#rbKeyGen0');
      await page.selectOption('#lbCSP', 'browser');
      // Key usage: Exchange is the only option available (the seed says so, and the template fixes it).
      expect(await page.isChecked('#rbKeyUsage0')).toBe(true);
      expect(await page.isDisabled('#rbKeyUsage1')).toBe(true);
      expect(await page.isDisabled('#rbKeyUsage2')).toBe(true);
      await page.fill('#tbKeySize', '2048');
      await page.check('#rbGenContName0');
      expect(await page.isChecked('#cbMarkKeyExportable')).toBe(false);
      await page.check('#rbRequestFormat0'); // CMC
      await page.selectOption('#lbHashAlgorithm', 'sha1');
      // The page's hash note (SHA-1 only signs the request) is marked as applying.
      await expect.poll(() => page.getAttribute('#hashNote', 'data-sha1'), { timeout: 20_000 }).toBe('true');
      expect(await page.locator('#hashNote').innerText()).toMatch(/Only used to sign the request/);
      await page.fill('#tbFriendlyName', 'Smartcard Certificate');
      await docShot('seed-04-advanced-form');
    });

    it('steps 9–11: Submit → Certificate Issued → Install this certificate saves "Smartcard Certificate.p12"', async () => {
      const t0 = Date.now();
      expect(await submitAndWait(page)).toBe('result-issued');
      // Until Install, the browser keeps the key — sealed under a non-extractable key, never as readable PKCS#8.
      const kept = await storedKeys(page);
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatchObject({
        provider: 'browser',
        friendlyName: 'Smartcard Certificate',
        exportable: false,
        vaultExtractable: false,
      });
      expect(kept[0].fields).toEqual([
        'alg',
        'container',
        'created',
        'exportable',
        'friendlyName',
        'handle',
        'key',
        'key.iv',
        'key.sealed',
        'key.vault',
        'provider',
        'spki',
        'templateDisplay',
        'templateName',
      ]);
      expect(await page.getAttribute('#result', 'data-thumbprint')).toBe(kept[0].handle);
      console.log(`seed: submit to issued page ${Date.now() - t0} ms (RSA-2048 key generated in Chromium)`);
      expect(await heading(page)).toBe('Certificate Issued');
      await expect.poll(() => page.evaluate(() => document.body.dataset.ready), { timeout: 20_000 }).toBe('true');
      await docShot('seed-05-certificate-issued');
      await page.fill('#tbPfxPassword', P12_PASSWORD);
      await page.fill('#tbPfxPassword2', P12_PASSWORD);
      const d = await installDownload(page, work);
      expect(d.name).toBe('Smartcard Certificate.p12');
      p12File = d.file;
      await expect.poll(() => statusText(page), { timeout: 20_000 }).toMatch(/Saved Smartcard Certificate\.p12/);
      expect(await statusText(page)).toMatch(/no longer keeps it/);
      expect(await page.isDisabled('#btnInstall')).toBe(true);
      // Not exportable: gone from the browser once saved.
      expect(await storedKeys(page)).toEqual([]);
      await docShot('seed-06-installed');
      const row = (await ca.t.store.requests.list({ limit: 10 }))[0];
      expect({
        format: row.format,
        template: row.template,
        disposition: row.disposition,
        requester: row.requester,
      }).toEqual({ format: 'cmc', template: 'SmartcardUser', disposition: 'issued', requester: 'alice' });
    });

    it('OpenSSL opens the PKCS#12 with the password: the key, the certificate named "Smartcard Certificate", the chain; verify OK', async () => {
      const info = openssl(['pkcs12', '-info', '-nodes', '-in', p12File, '-passin', `pass:${P12_PASSWORD}`]);
      expect(info.status, info.stderr).toBe(0);
      const all = info.stdout + info.stderr;
      expect(all).toContain('-----BEGIN PRIVATE KEY-----');
      expect(all.match(/friendlyName: Smartcard Certificate/g)).toHaveLength(2);
      expect(all.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(3);
      expect(all).toMatch(/PBES2, PBKDF2, AES-256-CBC/);
      expect(
        openssl(['pkcs12', '-info', '-nodes', '-in', p12File, '-passin', 'pass:not the password']).status,
      ).not.toBe(0);

      const leaf = join(work, 'leaf.pem');
      writeFileSync(
        leaf,
        openssl(['pkcs12', '-in', p12File, '-passin', `pass:${P12_PASSWORD}`, '-nokeys', '-clcerts']).stdout,
      );
      const cas = join(work, 'cas.pem');
      writeFileSync(
        cas,
        openssl(['pkcs12', '-in', p12File, '-passin', `pass:${P12_PASSWORD}`, '-nokeys', '-cacerts']).stdout,
      );
      const v = openssl(['verify', '-CAfile', server.rootFile, '-untrusted', cas, leaf]);
      expect(v.stdout, v.stderr).toContain(': OK');
      const key = join(work, 'key.pem');
      writeFileSync(
        key,
        openssl(['pkcs12', '-in', p12File, '-passin', `pass:${P12_PASSWORD}`, '-nocerts', '-nodes']).stdout,
      );
      expect(openssl(['pkey', '-in', key, '-pubout']).stdout).toBe(
        openssl(['x509', '-in', leaf, '-noout', '-pubkey']).stdout,
      );
      expect(openssl(['pkey', '-in', key, '-noout', '-text']).stdout).toContain('Private-Key: (2048 bit');

      const text = certText(Buffer.from(openssl(['x509', '-in', leaf, '-outform', 'DER']).stdout, 'latin1'));
      expect(text).toContain('othername: UPN::alice@tessera.local');
      expect(text).toContain('Microsoft Smartcard Login');
      expect(text).toContain('TLS Web Client Authentication');
      // SHA-1 signed only the request; the CA signed with SHA-256.
      expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    });
  },
);

describe.skipIf(!chromiumAvailable())('the advanced form says what is wrong next to the field', () => {
  it('a browser without the Web Cryptography API: the seed\'s "does not support the generation of certificate requests", Submit disabled', async () => {
    const old = await browser.context.newPage();
    try {
      // What an old or locked-down browser offers: no crypto.subtle.
      await old.addInitScript(() => Object.defineProperty(window.crypto, 'subtle', { value: undefined }));
      await old.goto(`${server.url}/certsrv/certrqma.asp`);
      await expect
        .poll(() => old.locator('#status').innerText(), { timeout: 20_000 })
        .toMatch(/^This web browser does not support the generation of certificate requests/);
      expect(await old.isDisabled('#btnSubmit')).toBe(true);
      await screenshot(old, 'form-error-no-webcrypto');
    } finally {
      await old.close();
    }
  });

  it('a key size below the template minimum, before any key is made', async () => {
    await openAdvancedForm();
    await page.selectOption('#lbCertTemplate', { label: 'Smartcard User' });
    await page.fill('#tbKeySize', '1024');
    const before = (await ca.t.store.requests.list({ limit: 100 })).length;
    await page.click('#btnSubmit');
    expect(await fieldErrorText(page, 'tbKeySize')).toBe(
      'The Smartcard User template needs an RSA key of at least 2048 bits; 1024 is too small.',
    );
    expect(await page.getAttribute('#tbKeySize', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tbKeySize');
    await screenshot(page, 'form-error-key-size');
    expect((await ca.t.store.requests.list({ limit: 100 })).length).toBe(before);
    expect(await pageId(page)).toBe('request-advanced');
  });

  it('a typed attribute that is not Name:Value, and a user-specified container name left empty', async () => {
    await openAdvancedForm();
    await page.fill('#taAttrib', 'this is not an attribute');
    await page.click('#btnSubmit');
    expect(await fieldErrorText(page, 'taAttrib')).toMatch(/is not Name:Value/);
    await page.fill('#taAttrib', '');
    await page.check('#rbGenContName1');
    await page.click('#btnSubmit');
    expect(await fieldErrorText(page, 'tbContainerName')).toMatch(/Type a key container name/);
    // Fixing the field clears the old error on the next submit.
    expect(await page.locator('#taAttrib-error').count()).toBe(0);
  });

  it('the smart card provider without a running card agent: how to start it for this site', async () => {
    await openAdvancedForm();
    await page.selectOption('#lbCSP', 'card');
    expect(await page.isVisible('#cardOptions')).toBe(true);
    // Choosing the card provider probes the default address; then the user types another and looks again.
    await expect.poll(() => statusText(page), { timeout: 20_000 }).not.toMatch(/Looking for the card agent/);
    await page.fill('#tbAgentUrl', 'http://127.0.0.1:9');
    await page.click('#btnRefreshCards');
    await expect
      .poll(() => statusText(page), { timeout: 20_000 })
      .toContain('No card agent answered at http://127.0.0.1:9.');
    const msg = await fieldErrorText(page, 'tbAgentUrl');
    expect(msg).toContain(`Start the Tessera card agent: tessera card-agent --allow-origin ${server.url}`);
    expect(await page.isDisabled('#cbMarkKeyExportable')).toBe(true);
    await screenshot(page, 'form-error-no-card-agent');
  });

  it('a PKCS#12 password that is empty or does not match, next to the password fields', async () => {
    await openAdvancedForm();
    await page.selectOption('#lbCertTemplate', { label: 'Smartcard User' });
    await page.selectOption('#lbKeyAlg', 'P-256');
    expect(await page.isDisabled('#tbKeySize')).toBe(true);
    await page.fill('#tbFriendlyName', 'Second');
    await page.check('#cbMarkKeyExportable');
    expect(await submitAndWait(page)).toBe('result-issued');
    await scriptReady(page);
    await page.click('#btnInstall');
    expect(await fieldErrorText(page, 'tbPfxPassword')).toMatch(/Choose a password/);
    await page.fill('#tbPfxPassword', 'short');
    await page.click('#btnInstall');
    expect(await fieldErrorText(page, 'tbPfxPassword')).toMatch(/at least 8 characters/);
    await page.fill('#tbPfxPassword', 'long enough 1');
    await page.fill('#tbPfxPassword2', 'long enough 2');
    await page.click('#btnInstall');
    expect(await fieldErrorText(page, 'tbPfxPassword2')).toBe('The two passwords do not match.');
    await screenshot(page, 'install-error-password-mismatch');
    // Exportable: saved once, and the key stays for another copy.
    await page.fill('#tbPfxPassword', 'long enough 1');
    await page.fill('#tbPfxPassword2', 'long enough 1');
    const d = await installDownload(page, work);
    expect(d.name).toBe('Second.p12');
    expect(await statusText(page)).toMatch(/marked exportable/);
    expect(await page.isDisabled('#btnInstall')).toBe(false);
    expect((await storedKeys(page)).map((k) => [k.friendlyName, k.exportable])).toEqual([['Second', true]]);
    const info = openssl(['pkcs12', '-info', '-nodes', '-in', d.file, '-passin', 'pass:long enough 1']);
    expect(info.stdout + info.stderr).toContain('friendlyName: Second');
    expect(info.stdout + info.stderr).toContain('BEGIN PRIVATE KEY');
    expect(browser.console.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
  });
});
