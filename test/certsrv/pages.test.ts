/**
 * The certsrv pages through `app.inject()`: sign-in and sessions, anti-forgery checks,
 * bad input on every form field answered with a page (never a stack trace), the pending
 * flow with the Requests cookie, the manager page, and escaping.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUserEnabled } from '../../src/ra/admin/users.js';
import { openssl, opensslCsr } from '../support/openssl.js';
import { basic, buildTestApp, PASSWORD } from '../support/app.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { LOCAL, type TestCa } from '../support/tessera.js';

let ca: TestCa;
let app: FastifyInstance;

beforeAll(async () => {
  ca = await newCertsrvCa();
  await ca.user('agent', { groups: ['Enrollment Agents'] });
  await ca.user('dave', { groups: ['Smartcard Users'] });
  app = await buildTestApp(ca);
});
afterAll(async () => {
  await app?.close();
  await ca?.close();
});

const HTML = { accept: 'text/html,application/xhtml+xml' };

async function signIn(user: string, password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/certsrv/signin',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ username: user, password, return: '/certsrv/' }).toString(),
  });
  expect(res.statusCode).toBe(303);
  const cookie = String(res.headers['set-cookie']).split(';')[0];
  const home = await app.inject({ method: 'GET', url: '/certsrv/', headers: { cookie, ...HTML } });
  const csrf = /<meta name="csrf" content="([^"]+)">/.exec(home.body)![1];
  return { cookie, csrf };
}

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const postForm = (url: string, body: Record<string, string>, headers: Record<string, string>) =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: form(body),
  });

describe('sign-in and sessions', () => {
  it('sends a browser without a session to the sign-in form and back to where it was going', async () => {
    const res = await app.inject({ method: 'GET', url: '/certsrv/certrqad.asp', headers: HTML });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/certsrv/signin?return=%2Fcertsrv%2Fcertrqad.asp');
    const login = await app.inject({
      method: 'POST',
      url: '/certsrv/signin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ username: 'alice', password: PASSWORD, return: '/certsrv/certrqad.asp' }),
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/certsrv/certrqad.asp');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
  });

  it('refuses an open redirect after sign-in', async () => {
    const login = await postForm(
      '/certsrv/signin',
      { username: 'alice', password: PASSWORD, return: '//evil.example/x' },
      {},
    );
    expect(login.headers.location).toBe('/certsrv/');
  });

  it('answers a wrong password and an unknown user with the same page, and sets no cookie', async () => {
    const wrong = await postForm('/certsrv/signin', { username: 'alice', password: 'wrong password' }, {});
    const unknown = await postForm('/certsrv/signin', { username: 'nobody', password: 'wrong password' }, {});
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const msg = (b: string) => /<p class="error" id="signinError" role="alert">([^<]+)</.exec(b)?.[1];
    expect(msg(wrong.body)).toBe('The user name or password is incorrect.');
    expect(msg(unknown.body)).toBe(msg(wrong.body));
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('says the session expired when its cookie is no longer valid', async () => {
    const { cookie } = await signIn('dave');
    await setUserEnabled(ca.t, LOCAL, 'dave', false);
    const res = await app.inject({ method: 'GET', url: '/certsrv/certrqma.asp', headers: { cookie, ...HTML } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toContain('expired=1');
    const page = await app.inject({ method: 'GET', url: res.headers.location as string, headers: HTML });
    expect(page.body).toContain('Your session has expired; sign in again.');
    await setUserEnabled(ca.t, LOCAL, 'dave', true);
  });

  it('shows the CA name and the user on every page, with a nonce-bound CSP', async () => {
    const { cookie } = await signIn('alice');
    for (const page of [
      '/certsrv/',
      '/certsrv/certrqus.asp',
      '/certsrv/certrqad.asp',
      '/certsrv/certrqma.asp',
      '/certsrv/certrqxt.asp',
      '/certsrv/certckpn.asp',
      '/certsrv/certcarc.asp',
    ]) {
      const res = await app.inject({ method: 'GET', url: page, headers: { cookie, ...HTML } });
      expect(res.statusCode, page).toBe(200);
      expect(res.body, page).toContain('Test Issuing CA');
      expect(res.body, page).toContain('Alice Smith (alice)');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("frame-ancestors 'none'");
      const nonce = /'nonce-([^']+)'/.exec(csp)![1];
      for (const m of res.body.matchAll(/<script(?![^>]*type="(?:application\/json|module)")([^>]*)>/g))
        expect(m[1]).toContain(`nonce="${nonce}"`);
    }
  });

  it('redirects other casings of /certsrv to /certsrv', async () => {
    const res = await app.inject({ method: 'GET', url: '/CertSrv/certcarc.asp?x=1', headers: basic('alice') });
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe('/certsrv/certcarc.asp?x=1');
    expect((await app.inject({ method: 'GET', url: '/certsrv' })).headers.location).toBe('/certsrv/');
  });
});

describe('anti-forgery', () => {
  const newreq = (csr: string) => ({
    Mode: 'newreq',
    CertRequest: csr,
    CertAttrib: 'CertificateTemplate:SmartcardUser\r\n',
    SaveCert: 'yes',
  });

  it('refuses a session post without the page token, and accepts it with the token', async () => {
    const { cookie, csrf } = await signIn('alice');
    const none = await postForm('/certsrv/certfnsh.asp', newreq(opensslCsr('P-256').csr), { cookie });
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain('anti-forgery token');
    const wrong = await postForm(
      '/certsrv/certfnsh.asp',
      { ...newreq(opensslCsr('P-256').csr), csrf: `${csrf.slice(1)}x` },
      { cookie },
    );
    expect(wrong.statusCode).toBe(403);
    const ok = await postForm('/certsrv/certfnsh.asp', { ...newreq(opensslCsr('P-256').csr), csrf }, { cookie });
    expect(ok.body).toContain('Certificate Issued');
  });

  it('refuses a cross-site post even with Basic credentials, while scripts without Origin work', async () => {
    const cross = await postForm('/certsrv/certfnsh.asp', newreq(opensslCsr('P-256').csr), {
      ...basic('alice'),
      origin: 'https://evil.example',
    });
    expect(cross.statusCode).toBe(403);
    const fetchSite = await postForm('/certsrv/certfnsh.asp', newreq(opensslCsr('P-256').csr), {
      ...basic('alice'),
      'sec-fetch-site': 'cross-site',
    });
    expect(fetchSite.statusCode).toBe(403);
    const script = await postForm('/certsrv/certfnsh.asp', newreq(opensslCsr('P-256').csr), basic('alice'));
    expect(script.body).toContain('Certificate Issued');
  });
});

describe('bad input on the request forms answers with a page', () => {
  const post = (body: Record<string, string>) => postForm('/certsrv/certfnsh.asp', body, basic('alice'));

  it('oversize body → 413 page', async () => {
    const res = await post({
      Mode: 'newreq',
      CertRequest: 'A'.repeat(70 * 1024),
      CertAttrib: 'CertificateTemplate:SmartcardUser',
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('larger than the server accepts');
    expect(res.body).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('a request that is not base64 or DER → denied "Error Parsing Request"', async () => {
    const res = await post({
      Mode: 'newreq',
      CertRequest: '%%% not base64 ###',
      CertAttrib: 'CertificateTemplate:SmartcardUser',
    });
    expect(res.statusCode).toBe(200);
    expect(/The disposition message is "([^"]+)"/.exec(res.body)?.[1]).toMatch(/^Error Parsing Request/);
  });

  it('an unknown template, an empty request, a missing mode, and an unknown mode', async () => {
    expect(
      (await post({ Mode: 'newreq', CertRequest: opensslCsr('P-256').csr, CertAttrib: 'CertificateTemplate:Nope' }))
        .body,
    ).toContain('not supported by the Tessera policy: Nope.');
    expect(
      (await post({ Mode: 'newreq', CertRequest: '', CertAttrib: 'CertificateTemplate:SmartcardUser' })).body,
    ).toContain('Certificate Request Denied');
    const noMode = await post({ Foo: 'bar' });
    expect(noMode.body).toContain('<h1>Error</h1>');
    const keygen = await post({ Mode: 'newreq NN', CertRequest: 'x' });
    expect(keygen.body).toContain('SPKAC');
  });

  it('a ThumbPrint that is not a key handle, and attributes that are too long', async () => {
    const bad = await post({
      Mode: 'newreq',
      CertRequest: opensslCsr('P-256').csr,
      CertAttrib: 'CertificateTemplate:SmartcardUser',
      ThumbPrint: '<script>',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('ThumbPrint');
    const long = await post({
      Mode: 'newreq',
      CertRequest: opensslCsr('P-256').csr,
      CertAttrib: `CertificateTemplate:SmartcardUser\r\nX:${'y'.repeat(20_000)}`,
    });
    expect(long.statusCode).toBe(200);
    expect(long.body).toMatch(/Certificate Request Denied|Error/);
  });

  it('chkpnd with a request ID that is not a number, or someone else’s', async () => {
    const garbage = await post({ Mode: 'chkpnd', ReqID: 'abc' });
    expect(garbage.body).toContain('The requested property value is empty');
    const carolReq = await postForm(
      '/certsrv/certfnsh.asp',
      { Mode: 'newreq', CertRequest: opensslCsr('P-256').csr, CertAttrib: 'CertificateTemplate:SmartcardUser' },
      basic('carol'),
    );
    const id = /Your Request Id is (\d+)\./.exec(carolReq.body)![1];
    const foreign = await post({ Mode: 'chkpnd', ReqID: id });
    expect(foreign.body).toContain('The requested property value is empty');
  });

  it('escapes what users type', async () => {
    const res = await post({
      Mode: 'newreq',
      CertRequest: opensslCsr('P-256').csr,
      CertAttrib: 'CertificateTemplate:<img src=x onerror=alert(1)>',
    });
    expect(res.body).not.toContain('<img src=x');
    expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('pages and flows', () => {
  it('offers only the templates the user may enroll for, and explains the agent-only one', async () => {
    const alice = (await app.inject({ method: 'GET', url: '/certsrv/certrqma.asp', headers: basic('alice') })).body;
    expect(alice).toContain('data-name="SmartcardUser"');
    expect(alice).toMatch(/data-name="SmartcardByAgent"[^>]* disabled/);
    expect(alice).toContain('needs an enrollment agent');
    const carol = (await app.inject({ method: 'GET', url: '/certsrv/certrqma.asp', headers: basic('carol') })).body;
    expect(carol).not.toContain('data-name="SmartcardUser"');
  });

  it('submits the paste form without JavaScript (template list and attribute box)', async () => {
    const res = await postForm(
      '/certsrv/certfnsh.asp',
      {
        Mode: 'newreq',
        CertRequest: opensslCsr('P-256').csr,
        lbCertTemplate: 'E;SmartcardLogon;1;134217728;0;0;0;0;;;;;;Smartcard Logon',
        taAttrib: '',
        SaveCert: 'yes',
      },
      basic('alice'),
    );
    expect(res.body).toContain('Certificate Issued');
    const id = /certnew.cer\?ReqID=(\d+)&/.exec(res.body)![1];
    const stored = await ca.t.store.requests.get(Number(id));
    expect(stored?.template).toBe('SmartcardLogon');
  });

  it('keeps a pending request in the Requests cookie until it is issued and retrieved', async () => {
    const res = await postForm(
      '/certsrv/certfnsh.asp',
      {
        Mode: 'newreq',
        CertRequest: opensslCsr('P-256').csr,
        CertAttrib: 'CertificateTemplate:SmartcardApproval\r\n',
        SaveCert: 'no',
        TargetStoreFlags: '0',
        FriendlyType: 'Smartcard Certificate (today)',
      },
      basic('alice'),
    );
    expect(res.body).toContain('Certificate Pending');
    const id = Number(/Your Request Id is (\d+)\./.exec(res.body)![1]);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^Requests=[^;]+; Path=\/certsrv;/);
    expect(setCookie).toMatch(/HttpOnly/);
    const requests = setCookie.split(';')[0];
    expect(decodeURIComponent(requests.split('=')[1])).toBe(`[${id},0,no,Smartcard Certificate (today)]`);
    const list = await app.inject({
      method: 'GET',
      url: '/certsrv/certckpn.asp',
      headers: { ...basic('alice'), cookie: requests },
    });
    expect(list.body).toContain(`request ${id}`);
    const still = await postForm(
      '/certsrv/certfnsh.asp',
      { Mode: 'chkpnd', ReqID: String(id) },
      { ...basic('alice'), cookie: requests },
    );
    expect(still.body).toContain('Your certificate request is still pending');
    // A manager issues it from the manage page.
    const { cookie, csrf } = await signIn('manager');
    const manage = await postForm('/certsrv/manage.asp', { action: 'approve', id: String(id), csrf }, { cookie });
    expect(manage.body).toMatch(new RegExp(`Request ${id} was issued`));
    const issued = await postForm(
      '/certsrv/certfnsh.asp',
      { Mode: 'chkpnd', ReqID: String(id) },
      { ...basic('alice'), cookie: requests },
    );
    expect(issued.body).toContain('Certificate Issued');
    expect(issued.body).toContain('id="btnInstall"');
    const download = await app.inject({
      method: 'GET',
      url: `/certsrv/certnew.cer?ReqID=${id}&Enc=bin`,
      headers: { ...basic('alice'), cookie: requests },
    });
    expect(download.headers['content-type']).toBe('application/pkix-cert');
    expect(decodeURIComponent(String(download.headers['set-cookie']).split(';')[0].split('=')[1])).toBe('-');
  });

  it("lists the user's own issued certificates with the key facts the page script matches against card keys", async () => {
    const { csr } = opensslCsr('P-256');
    const res = await postForm(
      '/certsrv/certfnsh.asp',
      { Mode: 'newreq', CertRequest: csr, CertAttrib: 'CertificateTemplate:SmartcardLogon\r\n', SaveCert: 'no' },
      basic('alice'),
    );
    expect(res.body).toContain('Certificate Issued');
    const id = Number(/certnew.cer\?ReqID=(\d+)&/.exec(res.body)![1]);
    const der = Buffer.from((await ca.t.store.certificates.byRequest(id))!.der!);
    const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const list = await app.inject({ method: 'GET', url: '/certsrv/certckpn.asp', headers: basic('alice') });
    expect(list.statusCode).toBe(200);
    const row = new RegExp(
      `<tr id="issued${id}" data-req-id="${id}" data-sha256="([0-9a-f]{64})" data-spki-sha256="([0-9a-f]{64})" data-key-id="([0-9a-f]+)">`,
    ).exec(list.body);
    expect(row?.slice(1, 3)).toEqual([sha(der), sha(spki)]);
    // The key identifier is the certificate's SKI, the CKA_ID Tessera gives a card key (openssl prints it).
    const ski = openssl(['x509', '-inform', 'der', '-noout', '-ext', 'subjectKeyIdentifier'], der).stdout.split(
      '\n',
    )[1];
    expect(row?.[3]).toBe(ski.replace(/[\s:]/g, '').toLowerCase());
    expect(list.body).toContain('id="installLater" hidden');
    expect(list.body).toContain('<script type="module" src="/certsrv/static/enroll.js"></script>');
    // Nobody else's certificates: dave sees none of alice's.
    const other = await app.inject({ method: 'GET', url: '/certsrv/certckpn.asp', headers: basic('dave') });
    expect(other.body).not.toContain(`id="issued${id}"`);
    expect(other.body).not.toContain('enroll.js');
  });

  it('forgets a request on "Remove" (certrmpn.asp Action=rmpn)', async () => {
    const requests = `Requests=${encodeURIComponent('[41,0,yes,A][42,0,no,B]')}`;
    const res = await postForm(
      '/certsrv/certrmpn.asp',
      { Action: 'rmpn', ReqID: '41' },
      { ...basic('alice'), cookie: requests },
    );
    expect(res.statusCode).toBe(303);
    expect(decodeURIComponent(String(res.headers['set-cookie']).split(';')[0].split('=')[1])).toBe('[42,0,no,B]');
  });

  it('lets only managers open the manage page and only agents the enrollment station', async () => {
    expect((await app.inject({ method: 'GET', url: '/certsrv/manage.asp', headers: basic('alice') })).statusCode).toBe(
      403,
    );
    expect(
      (await app.inject({ method: 'GET', url: '/certsrv/manage.asp', headers: basic('manager') })).statusCode,
    ).toBe(200);
    expect(
      (await app.inject({ method: 'GET', url: '/certsrv/certsces.asp', headers: basic('alice') })).statusCode,
    ).toBe(403);
    expect(
      (await app.inject({ method: 'GET', url: '/certsrv/certsces.asp', headers: basic('agent') })).statusCode,
    ).toBe(200);
  });

  it('revokes from the manage page, and a manager cannot approve their own request', async () => {
    const issued = await postForm(
      '/certsrv/certfnsh.asp',
      { Mode: 'newreq', CertRequest: opensslCsr('P-256').csr, CertAttrib: 'CertificateTemplate:SmartcardUser' },
      basic('alice'),
    );
    const id = Number(/certnew.cer\?ReqID=(\d+)&/.exec(issued.body)![1]);
    const serial = (await ca.t.store.requests.get(id))!.serial!;
    const { cookie, csrf } = await signIn('manager');
    const revoked = await postForm(
      '/certsrv/manage.asp',
      { action: 'revoke', serial, reason: 'keyCompromise', csrf },
      { cookie },
    );
    expect(revoked.body).toContain(`Certificate ${serial} was revoked (keyCompromise).`);
    expect((await ca.t.store.certificates.get(serial))?.status).toBe('revoked');
    const again = await postForm(
      '/certsrv/manage.asp',
      { action: 'revoke', serial, reason: 'keyCompromise', csrf },
      { cookie },
    );
    expect(again.body).toContain('already revoked');
  });

  it('hands the install flow (SaveCert=no) the CMC full response, signed by the CA', async () => {
    const { openssl, tmpFile } = await import('../support/openssl.js');
    const res = await postForm(
      '/certsrv/certfnsh.asp',
      {
        Mode: 'newreq',
        CertRequest: opensslCsr('P-256').csr,
        CertAttrib: 'CertificateTemplate:SmartcardUser',
        SaveCert: 'no',
        ThumbPrint: 'abcdef0123',
      },
      basic('alice'),
    );
    const data = JSON.parse(/<script type="application\/json" id="issuedData">([^<]+)<\/script>/.exec(res.body)![1]);
    const der = Buffer.from(data.fullResponse, 'base64');
    const v = openssl(
      ['cms', '-verify', '-inform', 'DER', '-CAfile', tmpFile(ca.chainPem, 'chain.pem'), '-out', '/dev/null'],
      der,
    );
    expect(v.stderr).toContain('Verification successful');
    expect(openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], der).stdout).toContain('id-cct-PKIResponse');
    expect(Buffer.from(data.certificate, 'base64')[0]).toBe(0x30);
    expect(res.body).toContain('data-thumbprint="abcdef0123"');
  });

  it('answers an unknown page with a 404 page', async () => {
    const res = await app.inject({ method: 'GET', url: '/certsrv/nope.asp', headers: basic('alice') });
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('Page not found.');
  });
});
