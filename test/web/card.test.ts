/**
 * The seed with the smart card provider, end to end: Chromium → the advanced request
 * page → a real `tessera card-agent` process started by the test with --allow-origin
 * set to the test site → a SoftHSM2 virtual smart card created by the test. The key is
 * generated on the card and the request signed there; the issued certificate is written
 * onto the card with the friendly name "Smartcard Certificate". Judged by pkcs11-tool.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/runCli.js';
import { chromiumAvailable, launchChromium, screenshot, type TestBrowser } from '../support/browser.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { certText } from '../support/openssl.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { newSoftHsm, SOFTHSM2_MODULE, type SoftHsm } from '../support/softhsm.js';
import type { TestCa } from '../support/tessera.js';
import {
  buildClientBundle,
  docScreenshot,
  fieldErrorText,
  heading,
  PASSWORD,
  scriptReady,
  signIn,
  statusText,
  storedKeys,
  submitAndWait,
} from './support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PIN = '12345678';
let ca: TestCa;
let server: TestServer;
let hsm: SoftHsm;
let agent: ChildProcess;
let agentUrl = '';
let agentLog = '';
let browser: TestBrowser;
let page: Page;
let serial = '';

async function startAgent(): Promise<void> {
  // The real command, from the sources (as test/card/agent.test.ts runs it).
  agent = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'test', 'card', 'helpers', 'tessera-cli.ts'),
      '--json',
      'card-agent',
      '--port',
      '0',
      '--allow-origin',
      server.url,
      '--module',
      SOFTHSM2_MODULE,
    ],
    { env: hsm.env, cwd: root },
  );
  let out = '';
  agent.stdout!.on('data', (c) => (out += c));
  agent.stderr!.on('data', (c) => (agentLog += c));
  for (let i = 0; i < 300 && !out.includes('}'); i++) await new Promise((r) => setTimeout(r, 100));
  const info = JSON.parse(out) as { url: string; origins: string[] };
  expect(info.origins).toEqual([server.url]);
  agentUrl = info.url;
}

beforeAll(async () => {
  await buildClientBundle();
  ca = await newCertsrvCa();
  server = await startTestServer(ca);
  hsm = newSoftHsm('web-card-');
  await startAgent();
  browser = await launchChromium();
  page = await browser.newPage();
  await signIn(page, server.url, 'alice', PASSWORD);
  // The page remembers the agent address it last reached; start from this agent's.
  await page.evaluate((u) => localStorage.setItem('tessera.cardAgentUrl', u), agentUrl);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
  }
  await server?.close();
  await ca?.close();
  hsm?.remove();
});

function cardObjects(): { kind: string; label: string; id: string; text: string }[] {
  const out = hsm.pkcs11Tool(['--token-label', 'Alice VSC', '--login', '--pin', PIN, '-O']).stdout;
  return out
    .split(/\n(?=\S)/)
    .filter((b) => / Object;/.test(b))
    .map((b) => ({
      kind: b.split(' Object')[0].trim(),
      label: /label:\s+(.*)/.exec(b)?.[1].trim() ?? '',
      id: /ID:\s+([0-9a-f]+)/.exec(b)?.[1] ?? '',
      text: b,
    }));
}

describe.skipIf(!chromiumAvailable())('the seed on a smart card: Chromium → card agent → SoftHSM2', () => {
  it('step 8: with no card present the page says "Insert the smart card"', async () => {
    await page.goto(`${server.url}/certsrv/certrqma.asp`);
    await scriptReady(page);
    expect(await page.inputValue('#tbAgentUrl')).toBe(agentUrl);
    await page.selectOption('#lbCSP', 'card');
    expect(await fieldErrorText(page, 'lbCard')).toMatch(/^Insert the smart card/);
    expect(await statusText(page)).toContain('no smart card is present');
    await screenshot(page, 'card-01-insert-the-card');
  });

  it("step 7: the card appears after it is inserted; the seed's options with the smart card provider", async () => {
    serial = hsm.initToken('Alice VSC', PIN, '87654321');
    await page.click('#btnRefreshCards');
    await expect
      .poll(() => page.locator('#lbCard option').allInnerTexts(), { timeout: 20_000 })
      .toEqual([`Alice VSC (serial ${serial}) — virtual card`]);
    expect(await page.locator('#lbCard-error').count()).toBe(0);
    await page.selectOption('#lbCertTemplate', { label: 'Smartcard User' });
    await page.check('#rbKeyGen0');
    expect(await page.isChecked('#rbKeyUsage0')).toBe(true);
    await page.fill('#tbKeySize', '2048');
    await page.check('#rbRequestFormat0');
    await page.selectOption('#lbHashAlgorithm', 'sha1');
    await page.fill('#tbFriendlyName', 'Smartcard Certificate');
    expect(await page.isDisabled('#cbMarkKeyExportable')).toBe(true);
  });

  it('step 10, wrong PIN: said next to the PIN field, naming the card; nothing reaches the CA', async () => {
    const before = (await ca.t.store.requests.list({ limit: 100 })).length;
    await page.fill('#tbPin', '0000');
    await page.click('#btnSubmit');
    const msg = await fieldErrorText(page, 'tbPin');
    expect(msg).toContain('The smart card PIN is incorrect.');
    expect(msg).toContain(`"Alice VSC" (serial ${serial})`);
    expect(msg).not.toContain('0000');
    await screenshot(page, 'card-02-wrong-pin');
    expect((await ca.t.store.requests.list({ limit: 100 })).length).toBe(before);
    expect(cardObjects().filter((o) => o.kind === 'Private Key')).toHaveLength(0);
    await page.fill('#tbPin', '');
    await page.click('#btnSubmit');
    expect(await fieldErrorText(page, 'tbPin')).toBe('Enter the smart card PIN.');
  });

  let keyId = '';
  it('steps 9–11: Submit with the PIN → key made on the card, request signed there → Certificate Issued → Install onto the card', async () => {
    await page.fill('#tbPin', PIN);
    await docScreenshot(page, 'card-03-form');
    expect(await submitAndWait(page)).toBe('result-issued');
    expect(await heading(page)).toBe('Certificate Issued');
    const thumbprint = (await page.getAttribute('#result', 'data-thumbprint'))!;
    const m = /^card:([0-9a-f]+):([0-9a-f]+)$/.exec(thumbprint);
    expect(m?.[1]).toBe(serial);
    keyId = m![2];
    // Nothing secret is kept for a card key: the card, the key ID, the public key, the agent's address.
    const kept = (await storedKeys(page)).find((k) => k.handle === thumbprint);
    expect(kept?.fields).toEqual([
      'agentUrl',
      'alg',
      'card',
      'container',
      'created',
      'friendlyName',
      'handle',
      'keyId',
      'provider',
      'spki',
      'templateDisplay',
      'templateName',
    ]);
    await scriptReady(page);
    expect(await page.isVisible('#installCard')).toBe(true);
    expect(await page.isVisible('#tbPfxPassword')).toBe(false);
    await expect.poll(() => statusText(page), { timeout: 20_000 }).toContain('The key for request');
    await screenshot(page, 'card-04-issued');
    await page.fill('#installCard #tbPin', PIN);
    await page.click('#btnInstall');
    await expect.poll(() => statusText(page), { timeout: 30_000 }).toMatch(/^Installed on the smart card "Alice VSC"/);
    expect(await statusText(page)).toContain('as "Smartcard Certificate"');
    expect(await page.isDisabled('#btnInstall')).toBe(true);
    await docScreenshot(page, 'card-05-installed');
  });

  it('pkcs11-tool: the certificate is on the card as "Smartcard Certificate", next to the key generated there; the CA issued it for that key', async () => {
    const objs = cardObjects();
    const cert = objs.find((o) => o.kind === 'Certificate');
    expect(cert?.label).toBe('Smartcard Certificate');
    expect(cert?.id).toBe(keyId);
    const priv = objs.find((o) => o.kind === 'Private Key' && o.id === keyId);
    expect(priv?.text).toMatch(/never extractable, local/);
    expect(priv?.text).toMatch(/sensitive/);
    const certFile = join(hsm.dir, 'on-card.der');
    const read = hsm.pkcs11Tool([
      '--token-label',
      'Alice VSC',
      '--read-object',
      '--type',
      'cert',
      '--id',
      keyId,
      '--output-file',
      certFile,
    ]);
    expect(read.status, read.stderr).toBe(0);
    const der = readFileSync(certFile);
    const row = (await ca.t.store.requests.list({ limit: 100 })).find(
      (r) => r.template === 'SmartcardUser' && r.requester === 'alice' && r.disposition === 'issued',
    );
    const issued = (await ca.t.store.certificates.byRequest(row!.id))!;
    expect(der.equals(Buffer.from(issued.der!))).toBe(true);
    expect(row?.format).toBe('cmc');
    const text = certText(der);
    expect(text).toContain('othername: UPN::alice@tessera.local');
    expect(text).toContain('Microsoft Smartcard Login');
    expect(text.replace(/[\s:]/g, '').toLowerCase()).toContain(keyId);
    // The agent never saw the CA, and the CA never saw the PIN: the agent's log names no PIN.
    expect(agentLog).toContain('POST /v1/certificates 201');
    expect(agentLog).not.toContain(PIN);
  });

  it('pending with a card key: approved from the CLI, then installed onto the card from the status page', async () => {
    await page.goto(`${server.url}/certsrv/certrqma.asp`);
    await scriptReady(page);
    await page.selectOption('#lbCertTemplate', { label: 'Smartcard User (approval)' });
    await page.selectOption('#lbCSP', 'card');
    await expect
      .poll(() => page.locator('#lbCard option').allInnerTexts(), { timeout: 20_000 })
      .toEqual([`Alice VSC (serial ${serial}) — virtual card`]);
    await page.selectOption('#lbKeyAlg', 'P-256');
    await page.fill('#tbPin', PIN);
    await page.fill('#tbFriendlyName', 'Approved Card Certificate');
    expect(await submitAndWait(page)).toBe('result-pending');
    const id = Number(await page.getAttribute('#result', 'data-req-id'));
    await expect
      .poll(() => statusText(page), { timeout: 20_000 })
      .toContain(`The key for request ${id} is on the smart card "Alice VSC"`);
    const approved = await cli(ca.dir, ['request', 'approve', String(id), '--as', 'manager']);
    expect(approved.status, approved.stderr).toBe(0);
    await page.goto(`${server.url}/certsrv/certckpn.asp`);
    await Promise.all([page.waitForURL(/certfnsh\.asp/), page.click(`#chk${id}`)]);
    expect(await heading(page)).toBe('Certificate Issued');
    await scriptReady(page);
    // The status page does not know where the key is; this browser does: the card part only.
    expect(await page.isVisible('#installCard')).toBe(true);
    expect(await page.isVisible('#installBrowser')).toBe(false);
    await page.fill('#installCard #tbPin', PIN);
    await page.click('#btnInstall');
    await expect.poll(() => statusText(page), { timeout: 30_000 }).toMatch(/^Installed on the smart card "Alice VSC"/);
    expect(
      cardObjects()
        .filter((o) => o.kind === 'Certificate')
        .map((o) => o.label)
        .sort(),
    ).toEqual(['Approved Card Certificate', 'Smartcard Certificate']);
  });

  it('"Install this certificate" never clicked: Pending / issued requests finds the key on the card and installs the certificate later', async () => {
    await page.goto(`${server.url}/certsrv/certrqma.asp`);
    await scriptReady(page);
    await page.selectOption('#lbCertTemplate', { label: 'Smartcard User' });
    await page.selectOption('#lbCSP', 'card');
    await expect
      .poll(() => page.locator('#lbCard option').allInnerTexts(), { timeout: 20_000 })
      .toEqual([`Alice VSC (serial ${serial}) — virtual card`]);
    await page.fill('#tbKeySize', '2048');
    await page.fill('#tbPin', PIN);
    await page.fill('#tbFriendlyName', 'Finished Later');
    expect(await submitAndWait(page)).toBe('result-issued');
    const id = Number(await page.getAttribute('#result', 'data-req-id'));
    const laterKeyId = /^card:[0-9a-f]+:([0-9a-f]+)$/.exec(
      (await page.getAttribute('#result', 'data-thumbprint'))!,
    )![1];
    // The user leaves without installing: the key is on the card, its certificate is not.
    expect(
      cardObjects()
        .filter((o) => o.id === laterKeyId)
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['Private Key', 'Public Key']);

    await page.goto(`${server.url}/certsrv/certckpn.asp`);
    await scriptReady(page);
    await expect
      .poll(() => page.locator(`#cardState${id}`).innerText(), { timeout: 20_000 })
      .toMatch(/^Key on "Alice VSC", certificate not installed/);
    expect(await page.isVisible(`#btnInstall${id}`)).toBe(true);
    expect(await page.isVisible('#installLater')).toBe(true);
    expect(await statusText(page)).toContain('issued for a key on your smart card but never installed');
    // The certificates installed earlier are recognised on the card and get no button.
    const installedRows = await page.locator('td.card-state', { hasText: 'Installed on "Alice VSC"' }).count();
    expect(installedRows).toBe(2);
    expect(await page.locator('button[id^="btnInstall"]').count()).toBe(1);
    await docScreenshot(page, 'card-06-install-later');
    await page.click(`#btnInstall${id}`);
    expect(await fieldErrorText(page, 'tbPin')).toBe('Enter the smart card PIN.');
    await page.fill('#tbPin', PIN);
    await page.click(`#btnInstall${id}`);
    await expect
      .poll(() => statusText(page), { timeout: 30_000 })
      .toMatch(
        new RegExp(
          `^Installed the certificate of request ${id} on the smart card "Alice VSC" \\(serial ${serial}\\) as "Finished Later", next to its key \\(ID ${laterKeyId}\\)`,
        ),
      );
    await screenshot(page, 'card-07-installed-later');

    // pkcs11-tool: the issued certificate is now on the card, next to its key, under the friendly name.
    const cert = cardObjects().find((o) => o.kind === 'Certificate' && o.id === laterKeyId);
    expect(cert?.label).toBe('Finished Later');
    const certFile = join(hsm.dir, 'later.der');
    expect(
      hsm.pkcs11Tool([
        '--token-label',
        'Alice VSC',
        '--read-object',
        '--type',
        'cert',
        '--id',
        laterKeyId,
        '--output-file',
        certFile,
      ]).status,
    ).toBe(0);
    const issued = (await ca.t.store.certificates.byRequest(id))!;
    expect(readFileSync(certFile).equals(Buffer.from(issued.der!))).toBe(true);
    // Seen again, nothing is left to install.
    await page.reload();
    await scriptReady(page);
    await expect
      .poll(() => page.locator(`#cardState${id}`).innerText(), { timeout: 20_000 })
      .toBe('Installed on "Alice VSC"');
    expect(await page.locator('button[id^="btnInstall"]').count()).toBe(0);
  });
});
