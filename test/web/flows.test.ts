/**
 * The other certsrv flows in Chromium, against the real pages:
 *  - pending: a template that needs a certificate manager → "Certificate Pending" → the
 *    manager approves from the CLI (`tessera request approve --as manager`) → alice
 *    checks "View the status of a pending certificate request" from the same browser and
 *    installs: the page finds the key it kept by request ID;
 *  - denied: carol loses the Enroll right while her form is open → "Certificate Request
 *    Denied" with the disposition message, and the page forgets the key;
 *  - paste: certrqxt.asp with an OpenSSL CSR, certificate downloaded from the result page;
 *  - CA downloads: certcarc.asp's CA certificate, chain and CRL, judged by OpenSSL.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setGroupMember } from '../../src/ra/admin/groups.js';
import { submit } from '../../src/ra/submit.js';
import { cli } from '../cli/runCli.js';
import { chromiumAvailable, launchChromium, screenshot, type TestBrowser } from '../support/browser.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { openssl, opensslCsr, tmpDir } from '../support/openssl.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { LOCAL, type TestCa } from '../support/tessera.js';
import {
  buildClientBundle,
  fieldErrorText,
  heading,
  installDownload,
  pageId,
  PASSWORD,
  scriptReady,
  signIn,
  statusText,
  submitAndWait,
} from './support.js';

let ca: TestCa;
let server: TestServer;
const work = tmpDir('web-flows-');

beforeAll(async () => {
  await buildClientBundle();
  ca = await newCertsrvCa();
  server = await startTestServer(ca);
}, 180_000);
afterAll(async () => {
  await server?.close();
  await ca?.close();
});

/** A fresh browser (its own profile, IndexedDB and cookies) signed in as `user`. */
async function session(user: string): Promise<{ browser: TestBrowser; page: Page }> {
  const browser = await launchChromium();
  const page = await browser.newPage();
  await signIn(page, server.url, user, PASSWORD);
  return { browser, page };
}

async function download(page: Page, selector: string, name: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = join(work, name);
  await d.saveAs(file);
  return file;
}

describe.skipIf(!chromiumAvailable())('web enrollment flows in Chromium', () => {
  it('pending → approved by a certificate manager from the CLI → alice checks the status and installs from the same browser', async () => {
    const { browser, page } = await session('alice');
    try {
      await page.goto(`${server.url}/certsrv/certrqma.asp`);
      await scriptReady(page);
      await page.selectOption('#lbCertTemplate', { label: 'Smartcard User (approval)' });
      await page.selectOption('#lbKeyAlg', 'P-256');
      await page.fill('#tbFriendlyName', 'Approved Smartcard');
      expect(await submitAndWait(page)).toBe('result-pending');
      expect(await heading(page)).toBe('Certificate Pending');
      const id = Number(await page.getAttribute('#result', 'data-req-id'));
      expect(await page.locator('#locInfoReqID').innerText()).toBe(`Your Request Id is ${id}.`);
      await expect
        .poll(() => statusText(page), { timeout: 20_000 })
        .toContain(`This browser keeps the key for request ${id}`);
      await screenshot(page, 'pending-01-certificate-pending');

      // Still pending when checked before approval.
      await page.goto(`${server.url}/certsrv/`);
      await page.getByRole('link', { name: 'View the status of a pending certificate request' }).click();
      expect(await pageId(page)).toBe('pending-list');
      await screenshot(page, 'pending-02-status-list');
      await Promise.all([page.waitForURL(/certfnsh\.asp/), page.click(`#chk${id}`)]);
      expect(await pageId(page)).toBe('result-pending');
      expect(await page.locator('#locInfoNewReq').innerText()).toMatch(/still pending/);

      const approved = await cli(ca.dir, ['request', 'approve', String(id), '--as', 'manager']);
      expect(approved.status, approved.stderr).toBe(0);

      await page.goto(`${server.url}/certsrv/certckpn.asp`);
      await Promise.all([page.waitForURL(/certfnsh\.asp/), page.click(`#chk${id}`)]);
      expect(await pageId(page)).toBe('result-issued');
      expect(await page.getAttribute('#result', 'data-thumbprint')).toBe('');
      await scriptReady(page);
      // The page knows the key is in this browser: the PKCS#12 part, not the card part.
      expect(await page.isVisible('#tbPfxPassword')).toBe(true);
      expect(await page.isVisible('#installCard')).toBe(false);
      await screenshot(page, 'pending-03-issued-after-approval');
      await page.fill('#tbPfxPassword', 'pending-install-1');
      await page.fill('#tbPfxPassword2', 'pending-install-1');
      const d = await installDownload(page, work);
      expect(d.name).toBe('Approved Smartcard.p12');
      const info = openssl(['pkcs12', '-info', '-nodes', '-in', d.file, '-passin', 'pass:pending-install-1']);
      expect(info.status, info.stderr).toBe(0);
      expect(info.stdout + info.stderr).toContain('friendlyName: Approved Smartcard');
      expect(info.stdout + info.stderr).toContain('BEGIN PRIVATE KEY');
      const leaf = join(work, 'pending-leaf.pem');
      writeFileSync(
        leaf,
        openssl(['pkcs12', '-in', d.file, '-passin', 'pass:pending-install-1', '-nokeys', '-clcerts']).stdout,
      );
      expect(openssl(['verify', '-CAfile', server.chainFile, leaf]).stdout).toContain(': OK');
      expect((await ca.t.store.requests.get(id))?.disposition).toBe('issued');
      // Installed: the page told the site (certrmpn.asp Action=inst), so the request left this browser's pending list.
      await expect
        .poll(
          async () => {
            await page.goto(`${server.url}/certsrv/certckpn.asp`);
            return page.locator(`#chk${id}`).count();
          },
          { timeout: 20_000 },
        )
        .toBe(0);
    } finally {
      await browser.close();
    }
  });

  it('a browser that does not hold the key says so instead of installing', async () => {
    // Another profile: alice's key for the approved request is not here.
    const { browser, page } = await session('alice');
    try {
      // A request alice made elsewhere (its key is in an OpenSSL file, not in this browser).
      const made = await submit(ca.t, {
        request: opensslCsr('P-256').csr,
        attributes: 'CertificateTemplate:SmartcardUser\r\n',
        requester: (await ca.t.directory.findUser('alice'))!,
        source: 'test',
      });
      expect(made.disposition).toBe('issued');
      const id = made.requestId;
      await page.goto(`${server.url}/certsrv/certckpn.asp`);
      // This browser has no Requests cookie; post chkpnd as the list would.
      await page.evaluate(
        ({ id }) => {
          const f = document.createElement('form');
          f.method = 'post';
          f.action = 'certfnsh.asp';
          const csrf = document.querySelector<HTMLMetaElement>('meta[name=csrf]')!.content;
          for (const [n, v] of [
            ['Mode', 'chkpnd'],
            ['ReqID', String(id)],
            ['SaveCert', 'no'],
            ['csrf', csrf],
          ]) {
            const i = document.createElement('input');
            i.type = 'hidden';
            i.name = n;
            i.value = v;
            f.append(i);
          }
          document.body.append(f);
          f.submit();
        },
        { id },
      );
      await page.waitForURL(/certfnsh\.asp/);
      expect(await pageId(page), await page.locator('main').innerText()).toBe('result-issued');
      await expect
        .poll(() => statusText(page), { timeout: 20_000 })
        .toContain(`This browser does not hold the private key for request ${id}`);
      expect(await page.isDisabled('#btnInstall')).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it('denied: carol loses the Enroll right while her form is open → "Certificate Request Denied" with the disposition message', async () => {
    await setGroupMember(ca.t, LOCAL, 'Smartcard Users', 'carol', true);
    const { browser, page } = await session('carol');
    try {
      await page.goto(`${server.url}/certsrv/certrqma.asp`);
      await scriptReady(page);
      await page.selectOption('#lbCertTemplate', { label: 'Smartcard User' });
      await page.selectOption('#lbKeyAlg', 'P-256');
      await setGroupMember(ca.t, LOCAL, 'Smartcard Users', 'carol', false);
      expect(await submitAndWait(page)).toBe('result-denied');
      expect(await heading(page)).toBe('Certificate Request Denied');
      const id = Number(await page.getAttribute('#result', 'data-req-id'));
      const reason = await page.locator('#locInfoReqIDandReason').innerText();
      expect(reason).toMatch(
        new RegExp(
          `^Your Request Id is ${id}\\. The disposition message is "Denied by Policy Module +0x80094012, The permissions on the certificate template do not allow the current user to enroll`,
        ),
      );
      // The HTML keeps the two spaces Certipy's regex needs.
      expect(await page.content()).toContain('Denied by Policy Module  0x80094012,');
      await screenshot(page, 'denied-01-certificate-request-denied');
      const row = await ca.t.store.requests.get(id);
      expect({ disposition: row?.disposition, code: row?.code, requester: row?.requester }).toEqual({
        disposition: 'denied',
        code: 'ENROLL_DENIED',
        requester: 'carol',
      });
    } finally {
      await browser.close();
    }
  });

  it('paste: an OpenSSL CSR submitted on certrqxt.asp is issued; the certificate downloaded from the result page is for that key', async () => {
    const { browser, page } = await session('alice');
    try {
      await page.goto(`${server.url}/certsrv/certrqad.asp`);
      await page
        .getByRole('link', { name: /Submit a certificate request by using a base-64-encoded CMC or PKCS #10 file/ })
        .click();
      expect(await pageId(page)).toBe('request-paste');
      const csr = opensslCsr('rsa:2048', { subject: '/CN=ignored by the CA' });
      await page.fill('#CertRequest', csr.csr);
      await page.selectOption('#lbCertTemplateID', { label: 'Smartcard User' });
      await screenshot(page, 'paste-01-form');
      await Promise.all([page.waitForURL(/certfnsh\.asp/), page.click('#btnSubmit')]);
      expect(await pageId(page)).toBe('result-issued');
      expect(await page.locator('#btnInstall').count()).toBe(0);
      await screenshot(page, 'paste-02-issued');
      await page.check('#rbB64Enc');
      const pem = await download(page, 'a[href*="certnew.cer?ReqID="][href$="Enc=b64"]', 'pasted.cer');
      expect(readFileSync(pem, 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
      expect(openssl(['verify', '-CAfile', server.chainFile, pem]).stdout).toContain(': OK');
      expect(openssl(['x509', '-in', pem, '-noout', '-pubkey']).stdout).toBe(
        openssl(['pkey', '-in', csr.keyFile, '-pubout']).stdout,
      );
      expect(openssl(['x509', '-in', pem, '-noout', '-subject']).stdout).not.toContain('ignored');
      const p7b = await download(page, 'a[href*="certnew.p7b?ReqID="][href$="Enc=bin"]', 'pasted.p7b');
      const certs = openssl(['pkcs7', '-inform', 'DER', '-in', p7b, '-print_certs', '-noout']).stdout;
      expect(certs.match(/^subject=/gm)).toHaveLength(3);
    } finally {
      await browser.close();
    }
  });

  it('CA downloads on certcarc.asp: the CA certificate, the chain and the CRL, judged by OpenSSL', async () => {
    const { browser, page } = await session('alice');
    try {
      await page.getByRole('link', { name: 'Download a CA certificate, certificate chain, or CRL' }).click();
      expect(await pageId(page)).toBe('ca-downloads');
      await screenshot(page, 'ca-downloads');
      const caDer = await download(page, '#lnkCaDer', 'ca.cer');
      const chain = ca.t.chain();
      expect(readFileSync(caDer).equals(chain[0])).toBe(true);
      const caPem = join(work, 'ca.pem');
      writeFileSync(caPem, openssl(['x509', '-inform', 'DER', '-in', caDer]).stdout);
      expect(openssl(['verify', '-CAfile', server.rootFile, caPem]).stdout).toContain(': OK');
      const p7b = await download(page, '#lnkChainB64', 'chain.p7b');
      // CryptoAPI's quirk, kept for clients: base64 PKCS#7 under a CERTIFICATE header (docs/certsrv.md §4).
      const b64 = readFileSync(p7b, 'utf8')
        .replace(/-----[^-]+-----/g, '')
        .replace(/\s+/g, '');
      const printed = openssl(['pkcs7', '-inform', 'DER', '-print_certs', '-noout'], Buffer.from(b64, 'base64')).stdout;
      expect(printed.match(/^subject=/gm)).toHaveLength(2);
      const crl = await download(page, '#lnkCrl', 'ca.crl');
      const v = openssl(['crl', '-inform', 'DER', '-in', crl, '-CAfile', server.chainFile, '-noout']);
      expect(v.stderr + v.stdout).toContain('verify OK');
    } finally {
      await browser.close();
    }
  });

  it('an enrollment agent template cannot be chosen on the self-service form, and says where to go', async () => {
    const { browser, page } = await session('alice');
    try {
      await page.goto(`${server.url}/certsrv/certrqma.asp`);
      await scriptReady(page);
      const opt = page.locator('#lbCertTemplate option', { hasText: 'Smartcard User (agent)' });
      expect(await opt.isDisabled()).toBe(true);
      expect(await page.locator('#agentNote').innerText()).toMatch(/enrollment station/);
      // Even when forced (an old page, a script), the page explains it next to the template list.
      await page.evaluate(() => {
        const sel = document.querySelector<HTMLSelectElement>('#lbCertTemplate')!;
        const o = Array.from(sel.options).find((x) => x.dataset.name === 'SmartcardByAgent')!;
        o.disabled = false;
        sel.value = o.value;
        sel.dispatchEvent(new Event('change'));
      });
      expect(await fieldErrorText(page, 'lbCertTemplate')).toMatch(/needs the signature of an enrollment agent/);
      expect(await page.isDisabled('#btnSubmit')).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
