/**
 * The seed's other method, in Chromium: an enrollment agent (helpdesk) enrolls bob.
 *  1. helpdesk gets an Enrollment Agent certificate through the advanced form with a
 *     browser key, and installs it as a PKCS#12;
 *  2. at the enrollment station (certsces.asp) helpdesk loads that PKCS#12 in the page,
 *     names bob and Smartcard Logon, and submits: refused while no enrollment agent
 *     restriction allows it, issued after `tessera agent allow`;
 *  3. bob's certificate (installed as a PKCS#12 for bob) carries bob's UPN and SID, not
 *     helpdesk's, and chains to the CA.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup } from '../../src/ra/admin/groups.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { cli } from '../cli/runCli.js';
import { chromiumAvailable, launchChromium, screenshot, type TestBrowser } from '../support/browser.js';
import { certText, openssl, tmpDir } from '../support/openssl.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import {
  buildClientBundle,
  fieldErrorText,
  heading,
  installDownload,
  PASSWORD,
  scriptReady,
  signIn,
  statusText,
  submitAndWait,
} from './support.js';

const AGENT_P12_PASSWORD = 'agent-p12-password';
let ca: TestCa;
let server: TestServer;
let browser: TestBrowser;
let page: Page;
let domain = '';
let bobSid = '';
let agentP12 = '';
const work = tmpDir('web-station-');

beforeAll(async () => {
  await buildClientBundle();
  ca = await newTestCa();
  await createGroup(ca.t, LOCAL, 'Help Desk');
  await createGroup(ca.t, LOCAL, 'Smartcard Users');
  await ca.user('helpdesk', {
    password: PASSWORD,
    displayName: 'Help Desk',
    groups: ['Enrollment Agents', 'Help Desk'],
  });
  bobSid = (await ca.user('bob', { password: PASSWORD, displayName: 'Bob Jones', groups: ['Smartcard Users'] })).sid!;
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardLogon', 'Enrollment Agents', true);
  domain = ca.t.config.domain.name;
  server = await startTestServer(ca);
  browser = await launchChromium();
  page = await browser.newPage();
  await signIn(page, server.url, 'helpdesk', PASSWORD);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await ca?.close();
});

async function fillStation(o: { password: string }): Promise<void> {
  await page.goto(`${server.url}/certsrv/certsces.asp`);
  await scriptReady(page);
  await page.fill('#tbTarget', `${domain}\\bob`);
  await page.selectOption('#lbCertTemplate', { label: 'Smartcard Logon' });
  await page.selectOption('#lbCSP', 'browser');
  await page.selectOption('#lbKeyAlg', 'rsa');
  await page.fill('#tbKeySize', '2048');
  await page.setInputFiles('#fileAgentPfx', agentP12);
  await page.fill('#tbAgentPfxPassword', o.password);
  await page.selectOption('#lbHashAlgorithm', 'sha256');
  await page.fill('#tbFriendlyName', 'Bob Smartcard Logon');
}

describe.skipIf(!chromiumAvailable())('the enrollment station in Chromium', () => {
  it('helpdesk enrolls for an Enrollment Agent certificate in the browser and saves it as a PKCS#12', async () => {
    await page.goto(`${server.url}/certsrv/certrqma.asp`);
    await scriptReady(page);
    await page.selectOption('#lbCertTemplate', { label: 'Enrollment Agent' });
    // The Enrollment Agent template is a Signature key (AT_SIGNATURE).
    expect(await page.isChecked('#rbKeyUsage1')).toBe(true);
    expect(await page.isDisabled('#rbKeyUsage0')).toBe(true);
    await page.selectOption('#lbKeyAlg', 'P-256');
    await page.fill('#tbFriendlyName', 'Help Desk Enrollment Agent');
    expect(await submitAndWait(page)).toBe('result-issued');
    await scriptReady(page);
    await page.fill('#tbPfxPassword', AGENT_P12_PASSWORD);
    await page.fill('#tbPfxPassword2', AGENT_P12_PASSWORD);
    const d = await installDownload(page, work);
    expect(d.name).toBe('Help Desk Enrollment Agent.p12');
    agentP12 = d.file;
    const cert = join(work, 'agent.pem');
    writeFileSync(
      cert,
      openssl(['pkcs12', '-in', agentP12, '-passin', `pass:${AGENT_P12_PASSWORD}`, '-nokeys', '-clcerts']).stdout,
    );
    expect(openssl(['x509', '-in', cert, '-noout', '-ext', 'extendedKeyUsage']).stdout).toContain(
      '1.3.6.1.4.1.311.20.2.1',
    );
  });

  it('the station says what is wrong next to the field: no user, a wrong PKCS#12 password', async () => {
    await page.goto(`${server.url}/certsrv/certsces.asp`);
    await scriptReady(page);
    await page.click('#btnSubmit');
    expect(await fieldErrorText(page, 'tbTarget')).toBe(`Enter the user to enroll, as DOMAIN\\user or a user name.`);
    await fillStation({ password: 'not the password' });
    await page.click('#btnSubmit');
    expect(await fieldErrorText(page, 'tbAgentPfxPassword')).toBe('The password does not open this PKCS#12 file.');
    await screenshot(page, 'station-01-wrong-agent-password');
  });

  it('refused while no enrollment agent restriction allows helpdesk to enroll bob', async () => {
    await fillStation({ password: AGENT_P12_PASSWORD });
    expect(await submitAndWait(page)).toBe('result-denied');
    expect(await heading(page)).toBe('Certificate Request Denied');
    expect(await page.locator('#locInfoReqIDandReason').innerText()).toMatch(
      /Denied by Policy Module +0x80094011, The enrollment agent restrictions do not allow this agent to enroll this user/,
    );
    await screenshot(page, 'station-02-denied-no-restriction');
  });

  it("after `tessera agent allow`, helpdesk enrolls bob: bob's certificate carries bob's UPN and SID and is installed for bob", async () => {
    const rule = await cli(ca.dir, [
      'agent',
      'allow',
      '--agent',
      'Help Desk',
      '--for',
      'Smartcard Users',
      '--template',
      'SmartcardLogon',
    ]);
    expect(rule.status, rule.stderr).toBe(0);
    await fillStation({ password: AGENT_P12_PASSWORD });
    await screenshot(page, 'station-03-form');
    expect(await submitAndWait(page)).toBe('result-issued');
    expect(await heading(page)).toBe('Certificate Issued');
    await scriptReady(page);
    await screenshot(page, 'station-04-issued-for-bob');
    await page.fill('#tbPfxPassword', 'bob-p12-password');
    await page.fill('#tbPfxPassword2', 'bob-p12-password');
    const d = await installDownload(page, work);
    expect(d.name).toBe('Bob Smartcard Logon.p12');
    // The page announces the file after the browser has taken the download: wait for it.
    await expect.poll(() => statusText(page), { timeout: 20_000 }).toMatch(/Saved Bob Smartcard Logon\.p12/);

    const info = openssl(['pkcs12', '-info', '-nodes', '-in', d.file, '-passin', 'pass:bob-p12-password']);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout + info.stderr).toContain('friendlyName: Bob Smartcard Logon');
    const leaf = join(work, 'bob.pem');
    writeFileSync(
      leaf,
      openssl(['pkcs12', '-in', d.file, '-passin', 'pass:bob-p12-password', '-nokeys', '-clcerts']).stdout,
    );
    expect(openssl(['verify', '-CAfile', server.chainFile, leaf]).stdout).toContain(': OK');
    const der = Buffer.from(openssl(['x509', '-in', leaf, '-outform', 'DER']).stdout, 'latin1');
    const text = certText(der);
    expect(text).toContain('othername: UPN::bob@tessera.local');
    expect(text).toMatch(/Subject: .*CN ?= ?Bob Jones/);
    expect(text).not.toContain('helpdesk');
    expect(text).toContain('Microsoft Smartcard Login');
    // KB5014754: the SID extension (1.3.6.1.4.1.311.25.2) holds bob's SID.
    expect(openssl(['asn1parse', '-inform', 'DER'], der).stdout).toContain('1.3.6.1.4.1.311.25.2');
    expect(der.includes(Buffer.from(bobSid))).toBe(true);
    const key = join(work, 'bob.key');
    writeFileSync(
      key,
      openssl(['pkcs12', '-in', d.file, '-passin', 'pass:bob-p12-password', '-nocerts', '-nodes']).stdout,
    );
    expect(openssl(['pkey', '-in', key, '-pubout']).stdout).toBe(
      openssl(['x509', '-in', leaf, '-noout', '-pubkey']).stdout,
    );

    const row = (await ca.t.store.requests.list({ limit: 20 })).find(
      (r) => r.disposition === 'issued' && r.template === 'SmartcardLogon',
    );
    expect({
      requester: row?.requester,
      subjectUser: row?.subjectUser,
      agent: row?.agent,
      format: row?.format,
    }).toEqual({ requester: 'helpdesk', subjectUser: 'bob', agent: 'helpdesk', format: 'cmc' });
    expect(readFileSync(d.file).length).toBeGreaterThan(1000);
  });
});
