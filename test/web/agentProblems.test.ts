/**
 * What a new user meets in Chromium with the smart card provider when something is off,
 * and how the page words each cause — against real `tessera card-agent` processes over
 * SoftHSM2 and real closed ports:
 *  - the form starts from the site's configured agent address (web.cardAgentUrl), then
 *    from the address this browser last used;
 *  - Submit with no card says which it is: no agent at <url>, the agent refused this
 *    site, no card inserted — and names the button the page has, "Find cards".
 * (The locked card, which SoftHSM2 cannot produce, is src/client/web/cardChoice.test.ts.)
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveConfig } from '../../src/config/loadConfig.js';
import { Tessera } from '../../src/Tessera.js';
import { chromiumAvailable, launchChromium, type TestBrowser } from '../support/browser.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { freePort } from '../support/ports.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { newSoftHsm, type SoftHsm } from '../support/softhsm.js';
import type { TestCa } from '../support/tessera.js';
import { startCardAgent, type AgentProcess } from './cardAgentProcess.js';
import {
  buildClientBundle,
  docScreenshot,
  fieldErrorText,
  PASSWORD,
  scriptReady,
  signIn,
  statusText,
} from './support.js';

let ca: TestCa;
let t: Tessera;
let server: TestServer;
let hsm: SoftHsm;
let agent: AgentProcess;
let foreignAgent: AgentProcess;
let agentUrl = '';
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  await buildClientBundle();
  ca = await newCertsrvCa();
  // The site's default agent address is this agent's, not the agent's default port 8399.
  const agentPort = await freePort();
  agentUrl = `http://127.0.0.1:${agentPort}`;
  await saveConfig(ca.t.paths.config, { ...ca.t.config, web: { cardAgentUrl: agentUrl } });
  t = await Tessera.open(ca.dir, { caches: { ttlMs: 0 } });
  server = await startTestServer({ ...ca, t });
  hsm = newSoftHsm('web-agent-problems-');
  agent = await startCardAgent(hsm, [server.url], agentPort);
  expect(agent.url).toBe(agentUrl);
  // An agent started for another site only.
  foreignAgent = await startCardAgent(hsm, ['https://other-ca.example.test']);
  browser = await launchChromium();
  page = await browser.newPage();
  await signIn(page, server.url, 'alice', PASSWORD);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await agent?.stop();
  await foreignAgent?.stop();
  await server?.close();
  await t?.close();
  await ca?.close();
  hsm?.remove();
});

async function openForm(): Promise<void> {
  await page.goto(`${server.url}/certsrv/certrqma.asp`);
  await scriptReady(page);
}

/** Type an agent address and leave the field, as a user does. */
async function useAgentAddress(url: string): Promise<void> {
  await page.fill('#tbAgentUrl', url);
  await page.press('#tbAgentUrl', 'Tab');
}

const noAgentText = (url: string) =>
  `No card agent answered at ${url}. Start the Tessera card agent: tessera card-agent --allow-origin ${server.url} (if it runs on another port, enter its address under "Card agent" and choose "Find cards").`;

describe.skipIf(!chromiumAvailable())('the card provider when something is off, in Chromium', () => {
  it('starts from the site\'s configured card agent address; the button is "Find cards"', async () => {
    await openForm();
    expect(await page.inputValue('#tbAgentUrl')).toBe(agentUrl);
    await page.selectOption('#lbCSP', 'card');
    expect(await page.locator('#btnRefreshCards').innerText()).toBe('Find cards');
    await expect.poll(() => statusText(page), { timeout: 20_000 }).toContain('no smart card is present');
    expect(await fieldErrorText(page, 'lbCard')).toBe('Insert the smart card, then choose "Find cards".');
  });

  it('Submit with the agent running and no card: no card inserted, and which button to press', async () => {
    await page.fill('#tbPin', '12345678');
    await page.click('#btnSubmit');
    const text = `The card agent at ${agentUrl} is running, but no smart card is present. Insert the smart card, then choose "Find cards".`;
    await expect.poll(() => statusText(page), { timeout: 20_000 }).toBe(text);
    expect(await fieldErrorText(page, 'lbCard')).toBe(text);
    expect(await page.locator('main').innerText()).not.toContain('Refresh cards');
  });

  let closedUrl = '';
  it('Submit with no agent at the address: says no agent answered there, next to the address — not "insert the card"', async () => {
    closedUrl = `http://127.0.0.1:${await freePort()}`;
    await useAgentAddress(closedUrl);
    expect(await fieldErrorText(page, 'tbAgentUrl')).toBe(noAgentText(closedUrl));
    await page.click('#btnSubmit');
    await expect.poll(() => statusText(page), { timeout: 20_000 }).toBe(noAgentText(closedUrl));
    expect(await fieldErrorText(page, 'tbAgentUrl')).toBe(noAgentText(closedUrl));
    expect(await page.locator('#lbCard-error').count()).toBe(0);
    await docScreenshot(page, 'agent-01-no-agent');
  });

  it('the next form starts from the address this browser last used', async () => {
    await openForm();
    expect(await page.inputValue('#tbAgentUrl')).toBe(closedUrl);
    await page.goto(`${server.url}/certsrv/certrqma.asp?template=SmartcardUser`);
    await scriptReady(page);
    expect(await page.inputValue('#tbAgentUrl')).toBe(closedUrl);
  });

  it('Submit with an agent that refuses this site: says the agent answered but refused it, and how to admit the site', async () => {
    await page.selectOption('#lbCSP', 'card');
    await useAgentAddress(foreignAgent.url);
    const text = `The card agent at ${foreignAgent.url} answered but refused this site (${server.url}): it was started for other sites only. Start it again with this site among its origins: tessera card-agent --allow-origin ${server.url}`;
    expect(await fieldErrorText(page, 'tbAgentUrl')).toBe(text);
    await page.fill('#tbPin', '12345678');
    await page.click('#btnSubmit');
    await expect.poll(() => statusText(page), { timeout: 20_000 }).toBe(text);
    expect(await fieldErrorText(page, 'tbAgentUrl')).toBe(text);
    await docScreenshot(page, 'agent-02-origin-refused');
    // The refusal is the agent's: it saw the page's request and said no (it logs no PIN).
    expect(foreignAgent.log()).toContain('CARD_AGENT_ORIGIN_REFUSED');
    expect(foreignAgent.log()).not.toContain('12345678');
  });
});
