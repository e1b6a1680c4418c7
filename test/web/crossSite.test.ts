/**
 * Cross-site request forgery in a real Chromium: the browser holds Basic credentials for
 * the CA (it answered a 401 challenge once), then opens another site's page whose form
 * posts to the REST API and to the sign-in form. The headers are the browser's own, not
 * the test's: what must hold is that Chromium marks those posts cross-site and the server
 * refuses them, while the site's own pages keep working with the same cached credentials.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, type TestBrowser } from '../support/browser.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { startTestServer, type TestServer } from '../support/server.js';
import type { TestCa } from '../support/tessera.js';
import { PASSWORD } from './support.js';

let ca: TestCa;
let server: TestServer;
let browser: TestBrowser;
let evil: Server;
let evilUrl: string;
/** The attacker's page: its query says where the form posts and what it carries. */
const attackerPage = (action: string, fields: Record<string, string>) =>
  `<!DOCTYPE html><title>Win a prize</title><form method="POST" action="${action}">${Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
    .join('')}</form><script>document.forms[0].submit()</script>`;
const pages = new Map<string, string>();

const members = async (group: string) =>
  (await ca.t.store.groups.members((await ca.t.store.groups.byName(group))!.id)).map((m) => m.username.toLowerCase());

beforeAll(async () => {
  if (!chromiumAvailable()) return;
  ca = await newCertsrvCa();
  server = await startTestServer(ca);
  browser = await launchChromium();
  // Another site: 127.0.0.1 is not the same site as localhost.
  evil = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(pages.get(req.url ?? '/') ?? '');
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (evil ? evil.close(r) : r(undefined)));
  await server?.close();
  await ca?.close();
});

describe.skipIf(!chromiumAvailable())('cross-site forms in Chromium', () => {
  it('a form on another site cannot use the cached Basic credentials of a CA administrator', async () => {
    const page = await browser.newPage();
    // The administrator once opened the API in this browser: Chromium answered the Basic
    // challenge and keeps the credentials for /api/v1/.
    const me = await page.goto(
      `${server.url.replace('https://', `https://admin:${encodeURIComponent(PASSWORD)}@`)}/api/v1/me`,
    );
    expect(me?.status()).toBe(200);
    const again = await page.goto(`${server.url}/api/v1/me`);
    expect(await again?.json()).toMatchObject({ username: 'admin', authenticatedBy: 'basic' });

    pages.set(
      '/groups',
      attackerPage(`${server.url}/api/v1/groups/CA%20Administrators/members`, { username: 'carol' }),
    );
    const answer = page.waitForResponse((r) => r.url().includes('/api/v1/groups/'));
    await page.goto(`${evilUrl}/groups`);
    const res = await answer;
    expect(res.status()).toBe(403);
    expect((await res.json()).code).toBe('CROSS_SITE_REFUSED');
    expect(await members('CA Administrators')).not.toContain('carol');
    const [audit] = await ca.t.store.audit.list({ action: 'request.cross_site_refused', limit: 1 });
    expect(audit.details).toMatchObject({
      reason: 'Sec-Fetch-Site: cross-site',
      credentials: 'basic',
      claimedUser: 'admin',
    });

    // The same browser, from the site's own origin: JSON with the cached credentials works.
    await page.goto(`${server.url}/api/v1/me`);
    const added = await page.evaluate(async () => {
      const r = await fetch('/api/v1/groups/Smartcard%20Users/members', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'carol' }),
      });
      return r.status;
    });
    expect(added).toBe(200);
    expect(await members('Smartcard Users')).toContain('carol');
  });

  it('a form on another site cannot sign the browser in as the attacker', async () => {
    const page = await browser.newPage();
    await browser.context.clearCookies();
    pages.set(
      '/signin',
      attackerPage(`${server.url}/certsrv/signin`, { username: 'carol', password: PASSWORD, return: '/certsrv/' }),
    );
    const answer = page.waitForResponse((r) => r.url().endsWith('/certsrv/signin') && r.request().method() === 'POST');
    await page.goto(`${evilUrl}/signin`);
    const res = await answer;
    expect(res.status()).toBe(403);
    expect(await res.headerValue('set-cookie')).toBeNull();
    expect((await browser.context.cookies(server.url)).map((c) => c.name)).not.toContain('tessera_session');
  });
});
