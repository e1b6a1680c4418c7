/**
 * The `npm start` demo organisation (setup/createDemo.ts) in Chromium, as a new user tries
 * both of the seed's methods without running any command first:
 *  - alice's "Create and submit a request" starts on Smartcard User, the seed's template;
 *  - `agent` gets an Enrollment Agent certificate, and at the enrollment station is offered
 *    Smartcard User and Smartcard Logon and enrolls bob (a member of Smartcard Users);
 *  - with the card provider, the station selects no card by itself: the agent's own card
 *    (holding its Enrollment Agent certificate) is marked, and the agent picks bob's card.
 * Real card agent process over SoftHSM2; the certificates judged by OpenSSL and pkcs11-tool.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, type DemoAccount } from '../../src/setup/createDemo.js';
import { Tessera } from '../../src/Tessera.js';
import { chromiumAvailable, launchChromium, type TestBrowser } from '../support/browser.js';
import { certText, openssl, tmpDir } from '../support/openssl.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { newSoftHsm, type SoftHsm } from '../support/softhsm.js';
import type { TestCa } from '../support/tessera.js';
import { startCardAgent, type AgentProcess } from './cardAgentProcess.js';
import {
  buildClientBundle,
  docScreenshot,
  fieldErrorText,
  heading,
  installDownload,
  scriptReady,
  signIn,
  statusText,
  submitAndWait,
} from './support.js';

const PIN = '12345678';
const AGENT_P12_PASSWORD = 'agent-p12-password';
const work = tmpDir('web-demo-');
let t: Tessera;
let accounts: DemoAccount[];
let server: TestServer;
let hsm: SoftHsm;
let agent: AgentProcess;
let browser: TestBrowser;
let page: Page;
let helpdeskSerial = '';
let bobSerial = '';
let agentP12 = '';

const password = (user: string) => accounts.find((a) => a.username === user)!.password;
const selectedTemplate = () =>
  page.$eval('#lbCertTemplate', (s: HTMLSelectElement) => s.selectedOptions[0]?.textContent ?? '');
const templateLabels = () => page.locator('#lbCertTemplate option').allInnerTexts();

/** The agent's own card: an Enrollment Agent certificate (Certificate Request Agent EKU) on it. */
function agentCardWithItsCertificate(): void {
  helpdeskSerial = hsm.initToken('Helpdesk VSC', PIN, '87654321');
  const key = join(work, 'ea.key');
  const cert = join(work, 'ea.der');
  const r = openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-subj',
    '/CN=Help Desk Agent',
    '-addext',
    'extendedKeyUsage=1.3.6.1.4.1.311.20.2.1',
    '-days',
    '30',
    '-outform',
    'DER',
    '-out',
    cert,
  ]);
  expect(r.status, r.stderr).toBe(0);
  const w = hsm.pkcs11Tool([
    '--token-label',
    'Helpdesk VSC',
    '--login',
    '--pin',
    PIN,
    '--write-object',
    cert,
    '--type',
    'cert',
    '--id',
    '01',
    '--label',
    'Enrollment Agent',
  ]);
  expect(w.status, w.stderr).toBe(0);
}

beforeAll(async () => {
  await buildClientBundle();
  const dir = join(tmpDir('web-demo-data-'), 'data');
  // The demo exactly as `npm start` makes it, with quick CA keys.
  accounts = await createDemo(dir, { keyAlgorithm: 'P-256', rootKeyAlgorithm: 'P-256', hostnames: ['localhost'] });
  t = await Tessera.open(dir, { caches: { ttlMs: 0 } });
  server = await startTestServer({ t } as unknown as TestCa);
  hsm = newSoftHsm('web-demo-');
  agentCardWithItsCertificate();
  bobSerial = hsm.initToken('Bob VSC', PIN, '87654321');
  agent = await startCardAgent(hsm, [server.url]);
  browser = await launchChromium();
  page = await browser.newPage();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await agent?.stop();
  await server?.close();
  await t?.close();
  hsm?.remove();
});

describe.skipIf(!chromiumAvailable())(
  "the npm start demo in Chromium: both of the seed's methods out of the box",
  () => {
    it('alice: "Create and submit a request" starts on Smartcard User, the first template she may request in the catalog\'s order', async () => {
      await signIn(page, server.url, 'alice', password('alice'));
      await page.goto(`${server.url}/certsrv/certrqma.asp`);
      await scriptReady(page);
      expect(await selectedTemplate()).toBe('Smartcard User');
      expect((await templateLabels()).slice(0, 2)).toEqual(['Smartcard User', 'Smartcard Logon']);
      await docScreenshot(page, 'demo-01-smartcard-user-preselected');
    });

    it('agent: an Enrollment Agent certificate from the advanced form, saved as a PKCS#12', async () => {
      await browser.context.clearCookies();
      await signIn(page, server.url, 'agent', password('agent'));
      await page.goto(`${server.url}/certsrv/certrqma.asp`);
      await scriptReady(page);
      await page.selectOption('#lbCertTemplate', { label: 'Enrollment Agent' });
      await page.selectOption('#lbCSP', 'browser');
      await page.selectOption('#lbKeyAlg', 'P-256');
      await page.fill('#tbFriendlyName', 'Help Desk Enrollment Agent');
      expect(await submitAndWait(page)).toBe('result-issued');
      await scriptReady(page);
      await page.fill('#tbPfxPassword', AGENT_P12_PASSWORD);
      await page.fill('#tbPfxPassword2', AGENT_P12_PASSWORD);
      agentP12 = (await installDownload(page, work)).file;
    });

    async function station(): Promise<void> {
      await page.goto(`${server.url}/certsrv/certsces.asp`);
      await scriptReady(page);
      await page.fill('#tbTarget', `${t.config.domain.name}\\bob`);
      await page.setInputFiles('#fileAgentPfx', agentP12);
      await page.fill('#tbAgentPfxPassword', AGENT_P12_PASSWORD);
    }

    it('agent at the station: offered Smartcard User and Smartcard Logon, and enrolls bob for Smartcard User with no command run first', async () => {
      await station();
      const labels = await templateLabels();
      expect(labels).toEqual(expect.arrayContaining(['Smartcard User', 'Smartcard Logon']));
      expect(await selectedTemplate()).toBe('Smartcard User');
      await page.selectOption('#lbCSP', 'browser');
      await page.selectOption('#lbKeyAlg', 'P-256');
      await page.fill('#tbFriendlyName', 'Bob Smartcard User');
      expect(await submitAndWait(page)).toBe('result-issued');
      expect(await heading(page)).toBe('Certificate Issued');
      const row = (await t.store.requests.list({ limit: 20 })).find(
        (r) => r.disposition === 'issued' && r.template === 'SmartcardUser',
      );
      expect({ requester: row?.requester, subjectUser: row?.subjectUser, agent: row?.agent }).toEqual({
        requester: 'agent',
        subjectUser: 'bob',
        agent: 'agent',
      });
    });

    it("with the card provider the station selects no card: the agent's own card is marked, the agent picks bob's", async () => {
      await station();
      await page.selectOption('#lbCertTemplate', { label: 'Smartcard Logon' });
      await page.selectOption('#lbCSP', 'card');
      // Choosing the provider looked at the default address (nothing there); the agent types its agent's.
      await page.fill('#tbAgentUrl', agent.url);
      await page.press('#tbAgentUrl', 'Tab');
      await expect
        .poll(() => page.locator('#lbCard option').allInnerTexts(), { timeout: 20_000 })
        .toEqual(
          expect.arrayContaining([
            `Helpdesk VSC (serial ${helpdeskSerial}) — virtual card, holds an Enrollment Agent certificate`,
            `Bob VSC (serial ${bobSerial}) — virtual card`,
          ]),
        );
      expect(await page.locator('#lbCard option').first().innerText()).toBe("(choose the user's card)");
      expect(await page.inputValue('#lbCard')).toBe('');
      await expect.poll(() => statusText(page), { timeout: 20_000 }).toContain("Choose the user's card.");
      // The first look's answer (no agent at the default address), arriving late, does not linger.
      await page.waitForTimeout(500);
      expect(await page.locator('#tbAgentUrl-error').count()).toBe(0);
      await docScreenshot(page, 'station-05-no-card-preselected');

      await page.fill('#tbPin', PIN);
      await page.click('#btnSubmit');
      expect(await fieldErrorText(page, 'lbCard')).toMatch(/^Choose the user's smart card in the list\./);
      expect((await t.store.requests.list({ limit: 50 })).filter((r) => r.template === 'SmartcardLogon')).toHaveLength(
        0,
      );

      await page.selectOption('#lbCard', bobSerial);
      await page.selectOption('#lbKeyAlg', 'P-256');
      await page.fill('#tbFriendlyName', 'Smartcard Certificate');
      expect(await submitAndWait(page)).toBe('result-issued');
      await scriptReady(page);
      await page.fill('#installCard #tbPin', PIN);
      await page.click('#btnInstall');
      await expect.poll(() => statusText(page), { timeout: 30_000 }).toMatch(/^Installed on the smart card "Bob VSC"/);
      const certFile = join(work, 'bob-card.der');
      const read = hsm.pkcs11Tool([
        '--token-label',
        'Bob VSC',
        '--read-object',
        '--type',
        'cert',
        '--label',
        'Smartcard Certificate',
        '--output-file',
        certFile,
      ]);
      expect(read.status, read.stderr).toBe(0);
      const text = certText(readFileSync(certFile));
      expect(text).toContain(`othername: UPN::bob@${t.config.domain.dnsName}`);
      expect(text).toContain('Microsoft Smartcard Login');
      // Nothing went onto the agent's own card.
      const onAgentCard = hsm.pkcs11Tool(['--token-label', 'Helpdesk VSC', '--login', '--pin', PIN, '-O']).stdout;
      expect(onAgentCard).not.toContain('Private Key Object');
    });
  },
);
