/**
 * Cross-site request forgery, reproduced the way a browser would carry it out: another
 * site's HTML form posts to the REST API or to certsrv, and the browser adds the
 * credentials it holds for this site (Basic cached after a 401 challenge, a session
 * cookie) plus the headers it always sets (`Origin`, `Sec-Fetch-Site`). Each attack must
 * change nothing and be audited; the same requests from our own pages, JSON API calls with
 * Basic or a session, and scripts that send neither header (curl) must keep working.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslCsr } from '../support/openssl.js';
import { basic, buildTestApp, PASSWORD } from '../support/app.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import type { TestCa } from '../support/tessera.js';

let ca: TestCa;
let app: FastifyInstance;

beforeAll(async () => {
  ca = await newCertsrvCa();
  app = await buildTestApp(ca);
});
afterAll(async () => {
  await app?.close();
  await ca?.close();
});

const HOST = 'ca.tessera.test:8443';
/** What a browser adds to a form another site submits to us. */
const CROSS_SITE = {
  host: HOST,
  origin: 'https://evil.example',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
};
/** What a browser adds to a fetch() from our own page. */
const SAME_ORIGIN_FETCH = {
  host: HOST,
  origin: `https://${HOST}`,
  'sec-fetch-site': 'same-origin',
  'sec-fetch-mode': 'cors',
  'sec-fetch-dest': 'empty',
};
/** A form post from our own page under Referrer-Policy: no-referrer: Fetch sends Origin: null. */
const SAME_ORIGIN_FORM = {
  host: HOST,
  origin: 'null',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
};
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const members = async (group: string) =>
  (await ca.t.store.groups.members((await ca.t.store.groups.byName(group))!.id)).map((m) => m.username.toLowerCase());
const refusals = () => ca.t.store.audit.list({ action: 'request.cross_site_refused', limit: 1000 });
const inAdmins = async (user: string) => (await members('CA Administrators')).includes(user);

describe('REST API: a cross-site form with the browser’s cached Basic credentials', () => {
  it('cannot add carol to CA Administrators (403 CROSS_SITE_REFUSED, audited)', async () => {
    const before = (await refusals()).length;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/groups/CA%20Administrators/members',
      headers: { ...basic('admin'), ...CROSS_SITE, ...FORM },
      payload: form({ username: 'carol' }),
    });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('CROSS_SITE_REFUSED');
    expect(await inAdmins('carol')).toBe(false);
    const audit = await refusals();
    expect(audit.length).toBe(before + 1);
    expect(audit[0]).toMatchObject({ actor: 'anonymous', action: 'request.cross_site_refused' });
    expect(audit[0].details).toMatchObject({
      code: 'CROSS_SITE_REFUSED',
      method: 'POST',
      path: '/api/v1/groups/CA%20Administrators/members',
      reason: 'Sec-Fetch-Site: cross-site',
      credentials: 'basic',
      claimedUser: 'admin',
    });
  });

  it('cannot submit an enrollment', async () => {
    const mine = async () => (await ca.t.store.requests.list({ requester: 'alice', limit: 1000 })).length;
    const before = await mine();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: { ...basic('alice'), ...CROSS_SITE, ...FORM },
      payload: form({ csr: opensslCsr('P-256').csr, template: 'SmartcardUser' }),
    });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().code).toBe('CROSS_SITE_REFUSED');
    expect(await mine()).toBe(before);
  });

  it('is refused on whichever header the browser sends, and for every method and credential', async () => {
    const add = (headers: Record<string, string>, method = 'POST') =>
      app.inject({
        method: method as 'POST',
        url: '/api/v1/groups/CA%20Administrators/members',
        headers: { ...headers, host: HOST, ...FORM },
        payload: form({ username: 'carol' }),
      });
    // A browser without Fetch Metadata sends only Origin; a sandboxed frame sends Origin: null.
    const refused: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'https://other.tessera.test' },
    ];
    for (const h of refused) {
      const res = await add({ ...basic('admin'), ...h });
      expect(res.statusCode, JSON.stringify(h)).toBe(403);
      expect(res.json().code).toBe('CROSS_SITE_REFUSED');
    }
    // Without credentials too (POST /session is a sign-in), and for PATCH / DELETE.
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: CROSS_SITE,
      payload: { username: 'carol', password: PASSWORD },
    });
    expect(login.statusCode).toBe(403);
    expect(login.headers['set-cookie']).toBeUndefined();
    const disable = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/alice',
      headers: { ...basic('admin'), ...CROSS_SITE },
      payload: { enabled: false },
    });
    expect(disable.statusCode).toBe(403);
    expect((await ca.t.directory.findUser('alice'))!.enabled).toBe(true);
    const remove = await app.inject({
      method: 'DELETE',
      url: '/api/v1/groups/Smartcard%20Users/members/alice',
      headers: { ...basic('admin'), ...CROSS_SITE },
    });
    expect(remove.statusCode).toBe(403);
    expect(await members('Smartcard Users')).toContain('alice');
    expect(await inAdmins('carol')).toBe(false);
  });
});

describe('REST API: only JSON (and the documented request types) on state changes', () => {
  it('refuses form, multipart and text bodies with 415 UNSUPPORTED_MEDIA_TYPE even without browser headers', async () => {
    const bodies: [string, string][] = [
      ['application/x-www-form-urlencoded', form({ username: 'carol' })],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\ncarol\r\n--x--\r\n',
      ],
      ['text/plain', '{"username":"carol"}'],
      ['application/pkcs10', '{"username":"carol"}'],
    ];
    for (const [type, payload] of bodies) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/groups/CA%20Administrators/members',
        headers: { ...basic('admin'), 'content-type': type },
        payload,
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
      expect(res.json().detail).toContain('accepts application/json');
    }
    const untyped = await app.inject({
      method: 'POST',
      url: '/api/v1/groups/CA%20Administrators/members',
      headers: basic('admin'),
      payload: Buffer.from('{"username":"carol"}'),
    });
    expect(untyped.headers['content-type']).toContain('problem+json');
    expect(untyped.statusCode).toBe(415);
    expect(await inAdmins('carol')).toBe(false);
  });

  it('takes only the documented binary types on /requests/raw', async () => {
    const json = await app.inject({
      method: 'POST',
      url: '/api/v1/requests/raw?template=SmartcardUser',
      headers: { ...basic('alice'), 'content-type': 'application/json' },
      payload: { csr: 'x' },
    });
    expect(json.statusCode).toBe(415);
    expect(json.json().detail).toContain('application/pkcs10, application/pkcs7-mime, application/x-pem-file');
    const pem = await app.inject({
      method: 'POST',
      url: '/api/v1/requests/raw?template=SmartcardUser',
      headers: { ...basic('alice'), 'content-type': 'application/x-pem-file' },
      payload: opensslCsr('P-256').csr,
    });
    expect(pem.statusCode, pem.body).toBe(201);
  });

  it('needs no Content-Type on a request without a body', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: basic('alice'),
      payload: { csr: opensslCsr('P-256').csr, template: 'SmartcardApproval' },
    });
    expect(r.statusCode).toBe(202);
    const approved = await app.inject({
      method: 'POST',
      url: `/api/v1/requests/${r.json().requestId}/approve`,
      headers: basic('manager'),
    });
    expect(approved.statusCode, approved.body).toBe(200);
  });
});

describe('REST API: legitimate callers keep working', () => {
  it('JSON with Basic from our own page (same-origin fetch) and from curl (no browser headers)', async () => {
    const page = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: { ...basic('alice'), ...SAME_ORIGIN_FETCH, 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify({ csr: opensslCsr('P-256').csr, template: 'SmartcardUser' }),
    });
    expect(page.statusCode, page.body).toBe(201);
    // Without Sec-Fetch-Site (an older browser), an Origin naming this site: the Host, or the configured site URL.
    for (const origin of [`https://${HOST}`, new URL(ca.t.config.siteUrl).origin]) {
      const older = await app.inject({
        method: 'POST',
        url: '/api/v1/requests',
        headers: { ...basic('alice'), host: HOST, origin },
        payload: { csr: opensslCsr('P-256').csr, template: 'SmartcardUser' },
      });
      expect(older.statusCode, origin).toBe(201);
    }
    const curl = await app.inject({
      method: 'POST',
      url: '/api/v1/groups/Smartcard%20Users/members',
      headers: { ...basic('admin'), 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'carol' }),
    });
    expect(curl.statusCode, curl.body).toBe(200);
    await app.inject({
      method: 'DELETE',
      url: '/api/v1/groups/Smartcard%20Users/members/carol',
      headers: basic('admin'),
    });
  });

  it('JSON with a session and its anti-forgery token from our own page', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: SAME_ORIGIN_FETCH,
      payload: { username: 'alice', password: PASSWORD },
    });
    expect(login.statusCode, login.body).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: { cookie, 'x-csrf-token': login.json().csrfToken, ...SAME_ORIGIN_FETCH },
      payload: { csr: opensslCsr('P-256').csr, template: 'SmartcardUser' },
    });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe('certsrv: login CSRF and cross-site posts', () => {
  /** carol is the attacker: her account is the one a forged sign-in would put the victim in. */
  const signin = (headers: Record<string, string>, username = 'carol') =>
    app.inject({
      method: 'POST',
      url: '/certsrv/signin',
      headers: { ...headers, ...FORM },
      payload: form({ username, password: PASSWORD, return: '/certsrv/' }),
    });

  it('a cross-site sign-in post does not sign the browser in as the attacker', async () => {
    const before = (await refusals()).length;
    const res = await signin(CROSS_SITE);
    expect(res.statusCode).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).toContain('The request came from another site and was refused');
    const older = await signin({ host: HOST, origin: 'https://evil.example' });
    expect(older.statusCode).toBe(403);
    expect(older.headers['set-cookie']).toBeUndefined();
    const audit = await refusals();
    expect(audit.length).toBe(before + 2);
    expect(audit[1].details).toMatchObject({ path: '/certsrv/signin', credentials: 'none' });
  });

  it('the sign-in form of our own page (Origin: null under no-referrer) and scripts still sign in', async () => {
    for (const headers of [SAME_ORIGIN_FORM, {}]) {
      const res = await signin(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(303);
      expect(String(res.headers['set-cookie'])).toContain('tessera_session=');
    }
  });

  it('refuses cross-site posts whatever the credentials: a session with its token, Basic', async () => {
    const login = await signin(SAME_ORIGIN_FORM, 'alice');
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const home = await app.inject({ method: 'GET', url: '/certsrv/', headers: { cookie } });
    const csrf = /<meta name="csrf" content="([^"]+)">/.exec(home.body)![1];
    const signout = await app.inject({
      method: 'POST',
      url: '/certsrv/signout',
      headers: { cookie, ...CROSS_SITE, ...FORM },
      payload: form({ csrf }),
    });
    expect(signout.statusCode).toBe(403);
    expect(signout.headers['set-cookie']).toBeUndefined();
    const newreq = {
      Mode: 'newreq',
      CertRequest: opensslCsr('P-256').csr,
      CertAttrib: 'CertificateTemplate:SmartcardUser\r\n',
    };
    const enroll = await app.inject({
      method: 'POST',
      url: '/certsrv/certfnsh.asp',
      headers: { ...basic('alice'), ...CROSS_SITE, ...FORM },
      payload: form(newreq),
    });
    expect(enroll.statusCode).toBe(403);
    expect(enroll.body).toContain('The request came from another site and was refused');
    // certfnsh.asp submits on GET too (a link another site shows): refused the same way.
    const viaGet = await app.inject({
      method: 'GET',
      url: `/certsrv/certfnsh.asp?${form(newreq)}`,
      headers: { ...basic('alice'), host: HOST, 'sec-fetch-site': 'cross-site' },
    });
    expect(viaGet.statusCode).toBe(403);
    // From our own page the same post goes through.
    const ok = await app.inject({
      method: 'POST',
      url: '/certsrv/certfnsh.asp',
      headers: { cookie, ...SAME_ORIGIN_FORM, ...FORM },
      payload: form({ ...newreq, csrf }),
    });
    expect(ok.body).toContain('Certificate Issued');
  });
});
