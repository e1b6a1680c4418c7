/**
 * The sign-in listener end to end (docs/signin.md): a real Tessera issues smart card
 * certificates, its /pki and /ocsp routes answer on the real HTTP listener the
 * certificates point at, a real mTLS listener validates what a TLS client presents, and
 * a session it creates works on /certsrv. The refusals of docs/signin.md, each
 * with its reason code in the page, the JSON and the audit trail: revoked (OCSP; CRL when
 * OCSP is down), expired, from another CA, missing EKU, missing digitalSignature, SID
 * mismatch, disabled user, OCSP down and CRL stale, and a certificate presented without
 * its key (the TLS handshake itself refuses it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { startSigninServer, type SigninServer } from '../../src/entry/http/signin/signinServer.js';
import { saveTemplate, setTemplateGrant } from '../../src/ra/admin/templates.js';
import { setUserEnabled } from '../../src/ra/admin/users.js';
import { publishCrl } from '../../src/ra/publishCrl.js';
import { revoke } from '../../src/ra/revoke.js';
import { validatorSettingsFor } from '../../src/config/validatorSettingsFor.js';
import { SmartCardValidator } from '../../src/signin/SmartCardValidator.js';
import { BUILTIN_TEMPLATES } from '../../src/template/builtinTemplates.js';
import { OID } from '../../src/x509/oids.js';
import { toPem } from '../../src/x509/pem.js';
import { freePort } from '../support/ports.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { Clock, issue, revocationListener, tlsGet, type Faults, type Holder } from './support/listener.js';
import { hierarchy, makeCert, PkiServer } from './support/pki.js';
import { rawTlsRequest } from './support/rawTls.js';

let ca: TestCa;
let main: TestServer;
let signin: SigninServer;
let revocationHttp: Awaited<ReturnType<typeof revocationListener>>;
const faults: Faults = { ocsp: 'up', crl: 'up' };
const clock = new Clock();
let alice: DirectoryUser;
let aliceCert: Holder;

beforeAll(async () => {
  const httpPort = await freePort();
  // The certificates' CDP and AIA URLs point at the revocation listener below.
  ca = await newTestCa({ publicUrl: `http://127.0.0.1:${httpPort}` });
  revocationHttp = await revocationListener(ca.t, httpPort, faults);
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  const base = BUILTIN_TEMPLATES.find((x) => x.name === 'SmartcardUser')!;
  // Certificates a CA may well issue, but not for sign-in: e-mail only, and without digitalSignature.
  await saveTemplate(
    ca.t,
    LOCAL,
    {
      ...base,
      name: 'SecureEmailOnly',
      displayName: 'Secure Email only',
      ekus: [OID.emailProtection],
      enroll: ['Domain Users'],
    },
    { create: true },
  );
  await saveTemplate(
    ca.t,
    LOCAL,
    {
      ...base,
      name: 'EncryptionOnly',
      displayName: 'Encryption only',
      ekus: [OID.emailProtection],
      keyUsage: ['keyEncipherment'],
      enroll: ['Domain Users'],
    },
    { create: true },
  );
  alice = await ca.user('alice');
  aliceCert = await issue(ca.t, alice);
  main = await startTestServer(ca);
  const sessionKey = Buffer.from(readFileSync(join(ca.dir, 'keys', 'session.key'), 'utf8').trim(), 'hex');
  const settings = await validatorSettingsFor(ca.t);
  const validator = new SmartCardValidator(
    { ...settings, revocation: { ...settings.revocation, crlCacheMs: 0, timeoutMs: 2000 } },
    { accounts: ca.t.directory, now: clock.now },
  );
  signin = await startSigninServer({
    tessera: ca.t,
    sessionKey,
    host: '127.0.0.1',
    port: 0,
    validator,
    limits: { perAddress: 0, perCertificate: 0 },
  });
});
afterAll(async () => {
  await signin?.close();
  await main?.close();
  await revocationHttp?.close();
  await ca?.close();
});

const url = (path = '/signin.json') => `${signin.url.replace('127.0.0.1', 'localhost')}${path}`;
const present = (h: Holder, o: { path?: string; accept?: string; chain?: Buffer[] } = {}) =>
  tlsGet(url(o.path), { ca: main.rootPem, key: h.key, chain: o.chain ?? [h.der], accept: o.accept });
const audits = async (action: string) =>
  (await ca.t.store.audit.list({ action, limit: 1000 })).sort((a, b) => b.seq - a.seq);

/** The answer refuses with SIGNIN_REFUSED, names the failed check and its code, and the audit says the same. */
async function expectRefused(a: Awaited<ReturnType<typeof tlsGet>>, check: string, code: string, detail?: RegExp) {
  expect(a.status, a.body).toBe(code === 'SIGNIN_CERT_MISSING' ? 401 : 403);
  expect(a.json).toMatchObject({ result: 'refused', code: 'SIGNIN_REFUSED', failedCheck: { id: check, code } });
  expect(a.cookie).toBeUndefined();
  // The precise reason is in the audit trail only.
  const [last] = await audits('signin.refused');
  expect(last.details).toMatchObject({ method: 'smartcard', code, check });
  if (detail) expect(String(last.details.detail)).toMatch(detail);
  expect(a.body).not.toContain(String(last.details.detail));
  return last;
}

describe('a smart card certificate Tessera issued', () => {
  it('signs alice in: her identity, every check, a session cookie that works on /certsrv, and an audit record', async () => {
    const a = await present(aliceCert);
    expect(a.status, a.body).toBe(200);
    expect(a.json).toMatchObject({
      result: 'signed-in',
      user: { username: 'alice', upn: 'alice@tessera.local', sid: alice.sid },
      mapping: { kind: 'sid-extension', strength: 'strong' },
      certificate: { serial: aliceCert.serial },
    });
    expect(a.json.checks.map((c: { status: string }) => c.status)).toEqual(Array(12).fill('passed'));
    expect(a.json.checks[0].summary).toMatch(/^TLSv1\.3 handshake: CertificateVerify/);
    expect(a.json.checks.find((c: { id: string }) => c.id === 'revocation').summary).toMatch(
      /CN=Alice.*: OCSP; CN=Test Issuing CA.*: CRL/,
    );
    expect(a.cookie).toMatch(/^tessera_session=/);
    expect(String(a.headers['set-cookie'])).toMatch(/HttpOnly; Secure; SameSite=Strict/);
    // Cookies are per host, not per port: the session is alice's on the enrollment site.
    const home = await tlsGet(`${main.url}/certsrv/`, { ca: main.rootPem, accept: 'text/html', cookie: a.cookie });
    expect(home.status).toBe(200);
    expect(home.body).toContain('Alice (alice)');
    const [record] = await audits('signin.succeeded');
    expect(record).toMatchObject({ actor: 'alice', target: 'alice', serial: aliceCert.serial, source: '127.0.0.1' });
    expect(record.details).toMatchObject({
      method: 'smartcard',
      mapping: { kind: 'sid-extension', strength: 'strong', sid: alice.sid },
    });
  });

  it('signs alice in with her card while her password is being slowed from the same address (the card is never throttled)', async () => {
    const { request } = await import('node:https');
    const basicMe = (password: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${main.url}/api/v1/me`,
          { ca: main.rootPem, agent: false, auth: `alice:${password}` },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          },
        );
        req.on('error', reject);
        req.end();
      });
    for (let i = 0; i < 5; i++) expect(await basicMe(`guess ${i}`)).toBe(401);
    expect(await basicMe('correct horse battery')).toBe(429);
    const a = await present(aliceCert);
    expect(a.status, a.body).toBe(200);
    const home = await tlsGet(`${main.url}/certsrv/`, { ca: main.rootPem, accept: 'text/html', cookie: a.cookie });
    expect(home.status).toBe(200);
  });

  it('"Test my smart card" is a page in the site\'s look listing every check; /signin answers JSON to scripts that ask', async () => {
    const page = await present(aliceCert, { path: '/signin', accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.body).toContain('<link rel="stylesheet" href="/certsrv/static/tessera.css">');
    expect(page.body).toMatch(/You are signed in as <strong>Alice<\/strong> \(<span id="username">alice<\/span>\)/);
    expect(page.body.match(/<tr data-check="[a-zA-Z]+" data-status="passed">/g)).toHaveLength(12);
    expect(page.body).toContain('Strong — SID extension');
    const css = await tlsGet(url('/certsrv/static/tessera.css'), {
      ca: main.rootPem,
      key: aliceCert.key,
      chain: [aliceCert.der],
    });
    expect(css.status).toBe(200);
    const json = await present(aliceCert, { path: '/signin', accept: 'application/json' });
    expect(json.json.result).toBe('signed-in');
  });

  it('without a client certificate: 401, "insert your smart card", audited', async () => {
    const a = await tlsGet(url(), { ca: main.rootPem });
    await expectRefused(a, 'possession', 'SIGNIN_CERT_MISSING');
    const page = await tlsGet(url('/signin'), { ca: main.rootPem, accept: 'text/html' });
    expect(page.body).toContain('Insert your smart card');
  });

  it('without a client certificate proof of possession is not performed — never shown as passed (JSON and page)', async () => {
    const a = await tlsGet(url(), { ca: main.rootPem });
    expect(a.json.checks[0]).toEqual({
      id: 'possession',
      title: 'Proof of possession of the private key',
      status: 'failed',
      code: 'SIGNIN_CERT_MISSING',
      summary: expect.stringMatching(/^Not performed: No client certificate was presented/),
    });
    expect(a.json.checks.slice(1).every((c: { status: string }) => c.status === 'not run')).toBe(true);
    expect(a.json.failedCheck).toMatchObject({ id: 'possession', code: 'SIGNIN_CERT_MISSING' });
    const page = await tlsGet(url('/signin'), { ca: main.rootPem, accept: 'text/html' });
    expect(page.status).toBe(401);
    expect(page.body).toMatch(
      /<tr data-check="possession" data-status="failed"><td>Proof of possession of the private key<\/td><td class="error">✘ failed<\/td><td>Not performed: No client certificate was presented/,
    );
    expect(page.body).not.toContain('data-status="passed"');
    expect(page.body).not.toContain('✔ passed');
    // With alice's certificate and key the same check passes.
    const signedIn = await present(aliceCert, { path: '/signin', accept: 'text/html' });
    expect(signedIn.body).toMatch(/<tr data-check="possession" data-status="passed">.*✔ passed.*CertificateVerify/);
  });
});

describe('refusals, each with its reason', () => {
  it('revoked, answered by OCSP', async () => {
    const bob = await ca.user('bob');
    const cert = await issue(ca.t, bob);
    expect((await present(cert)).status).toBe(200);
    await revoke(ca.t, LOCAL, cert.serial, 'keyCompromise');
    const last = await expectRefused(
      await present(cert),
      'revocation',
      'SIGNIN_REVOKED',
      /^OCSP http:\/\/127\.0\.0\.1:\d+\/ocsp: .* revoked at .*reason 1 \(responder: delegated\)/,
    );
    expect(last.actor).toBe('anonymous');
  });

  it('revoked, answered by the CRL and its delta when the OCSP responder is down', async () => {
    const carol = await ca.user('carol');
    const cert = await issue(ca.t, carol);
    await revoke(ca.t, LOCAL, cert.serial, 'superseded');
    await publishCrl(ca.t, { kind: 'full' });
    await publishCrl(ca.t, { kind: 'delta' });
    faults.ocsp = 'down';
    try {
      await expectRefused(
        await present(cert),
        'revocation',
        'SIGNIN_REVOKED',
        /^CRL http:\/\/127\.0\.0\.1:\d+\/pki\/issuing\.crl.*revoked/,
      );
      // And a good certificate signs in by the CRL alone.
      const ok = await present(aliceCert);
      expect(ok.status, ok.body).toBe(200);
      expect(ok.json.checks.find((c: { id: string }) => c.id === 'revocation').summary).toMatch(
        /CN=Alice.*: CRL \(with delta\)/,
      );
    } finally {
      faults.ocsp = 'up';
    }
  });

  it('fail closed: OCSP down and the CRL stale (the clock is past its nextUpdate), or OCSP and CRL both down', async () => {
    faults.ocsp = 'down';
    try {
      clock.offsetMs = 8 * 86_400_000; // the full CRL lives 7 days, the delta 1
      await expectRefused(await present(aliceCert), 'revocation', 'SIGNIN_REVOCATION_UNKNOWN', /stale: nextUpdate/);
      clock.offsetMs = 0;
      faults.crl = 'down';
      await expectRefused(
        await present(aliceCert),
        'revocation',
        'SIGNIN_REVOCATION_UNKNOWN',
        /OCSP .*ocsp: .*ECONNRESET|socket hang up/,
      );
    } finally {
      clock.offsetMs = 0;
      faults.ocsp = 'up';
      faults.crl = 'up';
    }
  });

  it('expired (the injected clock a year and a month later)', async () => {
    clock.offsetMs = 400 * 86_400_000;
    try {
      await expectRefused(await present(aliceCert), 'validity', 'SIGNIN_CERT_EXPIRED', /expired at/);
    } finally {
      clock.offsetMs = 0;
    }
  });

  it("from another CA, even with alice's UPN and SID", async () => {
    const pki = await new PkiServer().start();
    try {
      const other = hierarchy(pki, 'Elsewhere');
      const forged = makeCert({
        subject: [{ type: 'CN', value: 'Alice' }],
        issuer: other.issuing,
        ca: false,
        keyUsage: ['digitalSignature'],
        eku: [OID.clientAuth, OID.smartcardLogon],
        san: [{ type: 'upn', value: 'alice@tessera.local' }],
        sid: alice.sid!,
      });
      const a = await tlsGet(url(), {
        ca: main.rootPem,
        key: forged.key.privateKey,
        chain: [forged.der, other.issuing.der, other.root.der],
      });
      const last = await expectRefused(a, 'path', 'SIGNIN_CHAIN_UNTRUSTED');
      // Nothing about alice reaches the audit's actor or the client: it was never mapped.
      expect(last.actor).toBe('anonymous');
      expect(a.body).not.toContain(alice.sid!);
    } finally {
      await pki.close();
    }
  });

  it('missing the Smart Card Logon EKU', async () => {
    const dave = await ca.user('dave');
    await expectRefused(
      await present(await issue(ca.t, dave, 'SecureEmailOnly')),
      'eku',
      'SIGNIN_EKU',
      /lacks Smart Card Logon/,
    );
  });

  it('missing digitalSignature', async () => {
    const erin = await ca.user('erin');
    await expectRefused(
      await present(await issue(ca.t, erin, 'EncryptionOnly', 'rsa')),
      'keyUsage',
      'SIGNIN_KEY_USAGE',
      /keyUsage is keyEncipherment/,
    );
  });

  it("SID mismatch (ESC9/ESC10): mallory's certificate carries alice's UPN while its SID is mallory's", async () => {
    // The ESC9 move: alice's UPN is moved onto mallory's account for the enrollment, then back.
    const mallory = await ca.user('mallory');
    const aliceRec = (await ca.t.store.users.byUsername('alice'))!;
    const malloryRec = (await ca.t.store.users.byUsername('mallory'))!;
    await ca.t.store.transaction(async (tx) => {
      await tx.users.update(aliceRec.id, { upn: 'alice.away@tessera.local' });
      await tx.users.update(malloryRec.id, { upn: 'alice@tessera.local' });
    });
    const cert = await issue(ca.t, (await ca.t.directory.findUser('mallory'))!);
    await ca.t.store.transaction(async (tx) => {
      await tx.users.update(malloryRec.id, { upn: 'mallory@tessera.local' });
      await tx.users.update(aliceRec.id, { upn: 'alice@tessera.local' });
    });
    const a = await present(cert);
    const last = await expectRefused(
      a,
      'mapping',
      'SIGNIN_CERTIFICATE_MISMATCH',
      /UPN alice@tessera\.local names alice .* but its SID .* is mallory's/,
    );
    // mallory learns nothing about alice's account.
    expect(a.body).not.toContain(alice.sid!);
    expect(last.details.code).toBe('SIGNIN_CERTIFICATE_MISMATCH');
    expect(mallory.sid).not.toBe(alice.sid);
  });

  it('SID mismatch: the UPN now belongs to a new account (the directory SID for that name changed)', async () => {
    const frank = await ca.user('frank');
    const cert = await issue(ca.t, frank);
    expect((await present(cert)).status).toBe(200);
    // frank leaves; a new account takes the name frank@tessera.local (a new SID).
    const rec = (await ca.t.store.users.byUsername('frank'))!;
    await ca.t.store.transaction((tx) => tx.users.update(rec.id, { upn: 'frank.old@tessera.local' }));
    const newFrank = await ca.user('frank2', { upn: 'frank@tessera.local' });
    expect(newFrank.sid).not.toBe(frank.sid);
    await expectRefused(await present(cert), 'mapping', 'SIGNIN_CERTIFICATE_MISMATCH', /names frank2/);
  });

  it('disabled user', async () => {
    const gina = await ca.user('gina');
    const cert = await issue(ca.t, gina);
    await setUserEnabled(ca.t, LOCAL, 'gina', false);
    const last = await expectRefused(await present(cert), 'account', 'USER_DISABLED');
    expect(last.actor).toBe('gina');
  });

  it('a certificate presented without its key: the handshake refuses it (decrypt_error) and no request ever reaches the validator', async () => {
    const before = (await audits('signin.refused')).length + (await audits('signin.succeeded')).length;
    const port = Number(new URL(signin.url).port);
    const request =
      'GET /signin.json HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nConnection: close\r\n\r\n';
    const stranger = (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const stolen = await rawTlsRequest({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      chain: [aliceCert.der],
      key: stranger,
      request,
    });
    // RFC 5246 §7.2.2: decrypt_error (51), "a handshake cryptographic operation failed, including being unable to correctly verify a signature".
    expect(stolen).toMatchObject({ kind: 'alert', level: 2, description: 51 });
    expect((await audits('signin.refused')).length + (await audits('signin.succeeded')).length).toBe(before);
    // The same raw client with alice's key completes the handshake and signs in.
    const owner = await rawTlsRequest({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      chain: [aliceCert.der],
      key: aliceCert.key,
      request,
    });
    expect(owner.kind).toBe('response');
    expect(owner.kind === 'response' && owner.http).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(owner.kind === 'response' && owner.http).toContain('"username":"alice"');
    expect(owner.kind === 'response' && owner.http).toMatch(/TLSv1\.2 handshake: CertificateVerify/);
  });
});

describe('proof of possession on every connection', () => {
  it('no TLS session is resumed: a client offering its previous session gets a full handshake with a new CertificateVerify', async () => {
    const { connect } = await import('node:tls');
    const port = Number(new URL(signin.url).port);
    const once = (session?: Buffer) =>
      new Promise<{ reused: boolean; session: Buffer | undefined; body: string }>((resolve, reject) => {
        let saved: Buffer | undefined;
        const s = connect({
          host: '127.0.0.1',
          port,
          servername: 'localhost',
          ca: main.rootPem,
          key: aliceCert.key.export({ format: 'pem', type: 'pkcs8' }),
          cert: toPem(aliceCert.der, 'CERTIFICATE'),
          ...(session ? { session } : {}),
        });
        s.on('session', (b: Buffer) => (saved = b));
        let body = '';
        let reused = false;
        s.on('secureConnect', () => (reused = s.isSessionReused()));
        s.on('secureConnect', () =>
          s.write('GET /signin.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'),
        );
        s.on('data', (d) => (body += d));
        s.on('error', reject);
        s.on('close', () => resolve({ reused, session: saved, body }));
      });
    const first = await once();
    expect(first.body).toMatch(/^HTTP\/1\.1 200/);
    // The client did get a session to offer (TLS 1.3 NewSessionTicket) …
    expect(first.session).toBeDefined();
    const second = await once(first.session);
    // … and the listener did not resume it.
    expect(second.reused).toBe(false);
    expect(second.body).toMatch(/^HTTP\/1\.1 200/);
    expect(second.body).toContain('handshake: CertificateVerify');
  });
});

describe('rate limits', () => {
  it('per certificate and per address, refused with RATE_LIMITED and audited', async () => {
    const settings = await validatorSettingsFor(ca.t);
    const limited = await startSigninServer({
      tessera: ca.t,
      sessionKey: Buffer.alloc(32, 1),
      host: '127.0.0.1',
      port: 0,
      validator: new SmartCardValidator(settings, { accounts: ca.t.directory }),
      limits: { perAddress: 5, perCertificate: 2 },
    });
    try {
      const go = (h: Holder | undefined) =>
        tlsGet(`${limited.url.replace('127.0.0.1', 'localhost')}/signin.json`, {
          ca: main.rootPem,
          ...(h ? { key: h.key, chain: [h.der] } : {}),
        });
      expect((await go(aliceCert)).status).toBe(200);
      expect((await go(aliceCert)).status).toBe(200);
      const third = await go(aliceCert);
      expect(third.status).toBe(429);
      expect(third.json).toMatchObject({ code: 'RATE_LIMITED' });
      expect(third.headers['retry-after']).toBe('60');
      const [last] = await audits('signin.refused');
      expect(last.details).toMatchObject({ code: 'RATE_LIMITED' });
      // Other attempts from this address: two more are allowed, then the address is limited too.
      expect((await go(undefined)).status).toBe(401);
      expect((await go(undefined)).status).toBe(401);
      expect((await go(undefined)).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
