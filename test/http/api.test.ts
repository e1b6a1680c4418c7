/**
 * REST API behaviour through `app.inject()`: dispositions and their status codes,
 * problem+json with stable codes, body limits before parsing, Accept negotiation,
 * rate limits, health and metrics.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/entry/http/buildApp.js';
import { certText, opensslCsr, verifyCert } from '../support/openssl.js';
import { LOCAL, type TestCa } from '../support/tessera.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { basic, buildTestApp } from '../support/app.js';

let ca: TestCa;
let app: FastifyInstance;

beforeAll(async () => {
  // alice (Smartcard Users), carol, manager, admin; Smartcard User and the SmartcardApproval copy.
  ca = await newCertsrvCa();
  app = await buildTestApp(ca);
});
afterAll(async () => {
  await app?.close();
  await ca?.close();
});

const post = (body: unknown, user = 'alice', headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/requests',
    headers: { ...basic(user), ...headers },
    payload: body as object,
  });

describe('POST /api/v1/requests', () => {
  it('answers 201 with the certificate and chain for an issued request', async () => {
    const res = await post({ csr: opensslCsr('rsa:2048').csr, template: 'SmartcardUser' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ disposition: 'issued', template: 'SmartcardUser', message: 'Issued' });
    expect(res.headers.location).toBe(`/api/v1/requests/${body.requestId}`);
    const der = Buffer.from(body.certificate.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(verifyCert(der, body.chain.join('')).stdout).toContain('OK');
    expect(certText(der)).toContain('UPN::alice@tessera.local');
  });

  it('answers 202 with the request ID for a pending request, and GET shows it pending', async () => {
    const res = await post({ csr: opensslCsr('P-256').csr, template: 'SmartcardApproval' });
    expect(res.statusCode).toBe(202);
    const { requestId, disposition, message } = res.json();
    expect(disposition).toBe('pending');
    expect(message).toContain('Taken Under Submission');
    const got = await app.inject({ method: 'GET', url: `/api/v1/requests/${requestId}`, headers: basic('alice') });
    expect(got.json()).toMatchObject({ requestId, disposition: 'pending' });
    const approved = await app.inject({
      method: 'POST',
      url: `/api/v1/requests/${requestId}/approve`,
      headers: basic('manager'),
    });
    expect(approved.statusCode).toBe(200);
    const after = await app.inject({ method: 'GET', url: `/api/v1/requests/${requestId}`, headers: basic('alice') });
    expect(after.json()).toMatchObject({ disposition: 'issued', resolvedBy: 'manager' });
    expect(after.json().certificate).toContain('BEGIN CERTIFICATE');
  });

  it('answers a denial with problem+json carrying the code and the stored request ID', async () => {
    const res = await post({ csr: opensslCsr('P-256').csr, template: 'SmartcardUser' }, 'carol');
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const p = res.json();
    expect(p).toMatchObject({
      code: 'ENROLL_DENIED',
      status: 403,
      disposition: 'denied',
      hresult: '0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)',
    });
    expect(p.requestId).toBeGreaterThan(0);
    const stored = await ca.t.store.requests.get(p.requestId);
    expect(stored?.disposition).toBe('denied');
  });

  it('names an unknown template in the message', async () => {
    const res = await post({ csr: opensslCsr('P-256').csr, template: 'NoSuchTemplate' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'TEMPLATE_UNKNOWN',
      detail: 'The request was for a certificate template that is not supported by the Tessera policy: NoSuchTemplate.',
    });
  });

  it('refuses a garbage request with REQUEST_MALFORMED and records it', async () => {
    const res = await post({ csr: 'this is not a certificate request', template: 'SmartcardUser' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('REQUEST_MALFORMED');
  });

  it('rejects a body over 64 KB before parsing it', async () => {
    const res = await post({ csr: 'A'.repeat(70 * 1024), template: 'SmartcardUser' });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('REQUEST_TOO_LARGE');
  });

  it('rejects malformed JSON and unknown fields with INPUT_INVALID', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: { ...basic('alice'), 'content-type': 'application/json' },
      payload: '{"csr": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INPUT_INVALID');
    const extra = await post({ csr: 'x', template: 'SmartcardUser', subject: 'CN=admin' });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().code).toBe('INPUT_INVALID');
  });

  it('returns the DER certificate when asked for application/pkix-cert', async () => {
    const res = await post({ csr: opensslCsr('P-256').csr, template: 'SmartcardUser' }, 'alice', {
      accept: 'application/pkix-cert',
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe('application/pkix-cert');
    expect(res.rawPayload[0]).toBe(0x30);
  });

  it('accepts a raw DER PKCS#10 body', async () => {
    const { csr } = opensslCsr('P-256');
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/requests/raw?template=SmartcardUser',
      headers: { ...basic('alice'), 'content-type': 'application/pkcs10' },
      payload: der,
    });
    expect(res.statusCode).toBe(201);
  });

  it('rejects a wrong password with 401 and a Basic challenge', async () => {
    const res = await post({ csr: 'x' }, 'alice', basic('alice', 'wrong password'));
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Tessera", charset="UTF-8"');
    expect(res.json().code).toBe('AUTH_FAILED');
  });

  it('never offers NTLM or Negotiate (ESC8)', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(res.statusCode).toBe(401);
    expect(String(res.headers['www-authenticate'])).not.toMatch(/NTLM|Negotiate/i);
  });
});

describe('GET /api/v1/certificates/:serial', () => {
  it('serves JSON, PEM and DER by Accept', async () => {
    const issued = (await post({ csr: opensslCsr('P-256').csr, template: 'SmartcardUser' })).json();
    const url = `/api/v1/certificates/${issued.serial}`;
    const json = await app.inject({ method: 'GET', url, headers: basic('alice') });
    expect(json.json()).toMatchObject({ serial: issued.serial, status: 'issued', subjectUser: 'alice' });
    const pem = await app.inject({
      method: 'GET',
      url,
      headers: { ...basic('alice'), accept: 'application/x-pem-file' },
    });
    expect(pem.body).toContain('-----BEGIN CERTIFICATE-----');
    const der = await app.inject({
      method: 'GET',
      url,
      headers: { ...basic('alice'), accept: 'application/pkix-cert' },
    });
    expect(der.headers['content-type']).toBe('application/pkix-cert');
    expect(der.rawPayload.equals(Buffer.from(issued.certificate.replace(/-----[^-]+-----|\s/g, ''), 'base64'))).toBe(
      true,
    );
  });

  it('lets the subject revoke for key compromise but not with a manager-only reason', async () => {
    const issued = (await post({ csr: opensslCsr('P-256').csr, template: 'SmartcardUser' })).json();
    const hold = await app.inject({
      method: 'POST',
      url: `/api/v1/certificates/${issued.serial}/revoke`,
      headers: basic('alice'),
      payload: { reason: 'certificateHold' },
    });
    expect(hold.statusCode).toBe(403);
    const kc = await app.inject({
      method: 'POST',
      url: `/api/v1/certificates/${issued.serial}/revoke`,
      headers: basic('alice'),
      payload: { reason: 'keyCompromise' },
    });
    expect(kc.json()).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/certificates/${issued.serial}/revoke`,
      headers: basic('alice'),
      payload: { reason: 'keyCompromise' },
    });
    expect(again.statusCode).toBe(400);
    const audit = await ca.t.store.audit.list({ action: 'certificate.revoked', serial: issued.serial });
    expect(audit[0]).toMatchObject({ actor: 'alice', details: { reason: 'keyCompromise' } });
  });
});

describe('templates, CA, OpenAPI', () => {
  it('lists only the templates the caller may enroll for', async () => {
    const alice = (await app.inject({ method: 'GET', url: '/api/v1/templates', headers: basic('alice') })).json();
    const carol = (await app.inject({ method: 'GET', url: '/api/v1/templates', headers: basic('carol') })).json();
    expect(alice.templates.map((t: { name: string }) => t.name)).toContain('SmartcardUser');
    expect(carol.templates.map((t: { name: string }) => t.name)).not.toContain('SmartcardUser');
    expect(carol.templates.map((t: { name: string }) => t.name)).toContain('User');
  });

  it('serves the chain as a certs-only PKCS#7 by Accept', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/ca',
      headers: { accept: 'application/x-pkcs7-certificates' },
    });
    expect(res.headers['content-type']).toBe('application/x-pkcs7-certificates');
    expect(res.rawPayload[0]).toBe(0x30);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/requests',
      '/api/v1/requests/{id}',
      '/api/v1/requests/{id}/approve',
      '/api/v1/certificates/{serial}/revoke',
      '/api/v1/templates',
      '/api/v1/ca',
      '/api/v1/audit/verify',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.paths['/api/v1/requests'].post.summary).toMatch(/Submit/);
  });
});

describe('limits, health, metrics', () => {
  it('rate limits enrollment per user', async () => {
    const limited = await buildApp({
      tessera: ca.t,
      sessionKey: randomBytes(32),
      limits: { enrollPerMinutePerUser: 2 },
    });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await limited.inject({
        method: 'POST',
        url: '/api/v1/requests',
        headers: basic('alice'),
        payload: { csr: opensslCsr('P-256').csr, template: 'SmartcardUser' },
      });
      codes.push(r.statusCode);
    }
    expect(codes).toEqual([201, 201, 429]);
    await limited.close();
  });

  it('slows the address that failed for a user, even with the right password, and says for how long', async () => {
    const limited = await buildApp({ tessera: ca.t, sessionKey: randomBytes(32), limits: { authFailures: 3 } });
    for (let i = 0; i < 3; i++)
      expect(
        (await limited.inject({ method: 'GET', url: '/api/v1/me', headers: basic('carol', 'nope nope') })).statusCode,
      ).toBe(401);
    const right = await limited.inject({ method: 'GET', url: '/api/v1/me', headers: basic('carol') });
    expect(right.statusCode).toBe(429);
    expect(right.json().code).toBe('RATE_LIMITED');
    expect(right.headers['retry-after']).toBe('1');
    const failures = await ca.t.store.audit.list({ action: 'auth.failed', actor: 'carol' });
    expect(failures.length).toBeGreaterThanOrEqual(3);
    await limited.close();
  });

  it('reports liveness and readiness', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ database: 'ok', directory: 'ok', issuingKey: 'ok' });
  });

  it('exposes Prometheus metrics with dispositions by template and issuance latency', async () => {
    await post({ csr: opensslCsr('P-256').csr, template: 'SmartcardUser' });
    const m = await app.inject({ method: 'GET', url: '/metrics', headers: basic('admin') });
    expect(m.body).toMatch(/tessera_requests_total\{disposition="issued",template="SmartcardUser"\} \d+/);
    expect(m.body).toMatch(/tessera_issuance_seconds_bucket\{le="0.05",template="SmartcardUser"\} \d+/);
  });

  it('never writes a password or Authorization header to the log', async () => {
    const lines: string[] = [];
    const logged = await buildApp({
      tessera: ca.t,
      sessionKey: randomBytes(32),
      logger: {
        level: 'trace',
        redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
        stream: { write: (l: string) => lines.push(l) },
      } as never,
    });
    await logged.inject({ method: 'GET', url: '/api/v1/me', headers: basic('alice', 'secret-password-xyz') });
    await logged.close();
    const all = lines.join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain('secret-password-xyz');
    expect(all).not.toContain(Buffer.from('alice:secret-password-xyz').toString('base64'));
  });
});

describe('sessions', () => {
  it('signs in once, then authenticates by cookie and demands the anti-forgery token on changes', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'alice', password: 'correct horse battery' },
    });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/tessera_session=[^;]+; .*HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0];
    const { csrfToken } = login.json();
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ username: 'alice', authenticatedBy: 'session' });
    const body = { csr: opensslCsr('P-256').csr, template: 'SmartcardUser' };
    const forged = await app.inject({ method: 'POST', url: '/api/v1/requests', headers: { cookie }, payload: body });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().code).toBe('CSRF_TOKEN_INVALID');
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: { cookie, 'x-csrf-token': (csrfToken[0] === 'x' ? 'y' : 'x') + csrfToken.slice(1) },
      payload: body,
    });
    expect(wrong.statusCode).toBe(403);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: { cookie, 'x-csrf-token': csrfToken },
      payload: body,
    });
    expect(ok.statusCode).toBe(201);
  });

  it('refuses a tampered or foreign session cookie', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'carol', password: 'correct horse battery' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const [name, value] = cookie.split('=');
    const parts = value.split('.');
    parts[0] = Buffer.from('manager').toString('base64url');
    const forged = `${name}=${parts.join('.')}`;
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: forged } })).statusCode).toBe(401);
    const other = await buildTestApp(ca);
    expect((await other.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(401);
    await other.close();
  });

  it('ends a session when the account is disabled', async () => {
    await ca.user('dave');
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'dave', password: 'correct horse battery' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);
    const { setUserEnabled } = await import('../../src/ra/admin/users.js');
    await setUserEnabled(ca.t, LOCAL, 'dave', false);
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('refuses a wrong password at sign-in without setting a cookie', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'alice', password: 'nope' },
    });
    expect(login.statusCode).toBe(401);
    expect(login.headers['set-cookie']).toBeUndefined();
  });
});

describe('CMC over the REST API (RFC 5273)', () => {
  it('answers a CMC request with a CA-signed full PKI response when asked for application/pkcs7-mime', async () => {
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const { buildCsr } = await import('../../src/x509/buildCsr.js');
    const { buildCmcRequest } = await import('../../src/x509/cmc/buildCmcRequest.js');
    const { openssl, tmpFile } = await import('../support/openssl.js');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const signer = async (d: Uint8Array) => sign('sha256', d, privateKey);
    const csr = await buildCsr({ spki, keyKind: 'ec', hash: 'SHA-256', sign: signer });
    const cmc = await buildCmcRequest({ csr, spki, keyKind: 'ec', hash: 'SHA-256', sign: signer });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/requests/raw?template=SmartcardUser',
      headers: { ...basic('alice'), 'content-type': 'application/pkcs7-mime', accept: 'application/pkcs7-mime' },
      payload: Buffer.from(cmc),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/pkcs7-mime');
    const chainFile = tmpFile(ca.chainPem, 'chain.pem');
    const verified = openssl(
      ['cms', '-verify', '-inform', 'DER', '-CAfile', chainFile, '-out', '/dev/null'],
      res.rawPayload,
    );
    expect(verified.stderr).toContain('Verification successful');
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], res.rawPayload).stdout;
    expect(printed).toContain('eContentType: id-cct-PKIResponse');
    const certs = openssl(['pkcs7', '-inform', 'DER', '-print_certs', '-noout'], res.rawPayload).stdout;
    expect(certs).toMatch(/subject=DC ?= ?local, DC ?= ?tessera, CN ?= ?Users, CN ?= ?Alice/);
  });
});

describe('remembered password checks', () => {
  it('stop working at once when the password is changed through the server', async () => {
    await ca.user('erin');
    const me = (pw: string) => app.inject({ method: 'GET', url: '/api/v1/me', headers: basic('erin', pw) });
    expect((await me('correct horse battery')).statusCode).toBe(200);
    expect((await me('correct horse battery')).statusCode).toBe(200);
    const changed = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/erin',
      headers: basic('erin'),
      payload: { password: 'a brand new password' },
    });
    expect(changed.statusCode).toBe(200);
    expect((await me('correct horse battery')).statusCode).toBe(401);
    expect((await me('a brand new password')).statusCode).toBe(200);
  });
});

describe('GET /api/v1/requests (ra/listRequests.ts)', () => {
  const list = (user: string, query = '') =>
    app.inject({ method: 'GET', url: `/api/v1/requests${query}`, headers: basic(user) });
  type Listed = { requestId: number; requester: string; disposition: string };

  it('lists a user only the requests they submitted, and a certificate manager every one', async () => {
    const { requestId } = (await post({ csr: opensslCsr('P-256').csr, template: 'SmartcardApproval' })).json();
    const mine: Listed[] = (await list('alice')).json().requests;
    expect(mine.map((r) => r.requestId)).toContain(requestId);
    expect(mine.every((r) => r.requester === 'alice')).toBe(true);
    const carols: Listed[] = (await list('carol')).json().requests;
    expect(carols.map((r) => r.requestId)).not.toContain(requestId);
    expect(carols.every((r) => r.requester === 'carol')).toBe(true);
    const all: Listed[] = (await list('manager', '?disposition=pending')).json().requests;
    expect(all.map((r) => r.requestId)).toContain(requestId);
    expect(all.every((r) => r.disposition === 'pending')).toBe(true);
  });

  it('pages with before= and refuses an unknown disposition with INPUT_INVALID', async () => {
    const first: Listed[] = (await list('alice', '?limit=1')).json().requests;
    expect(first).toHaveLength(1);
    const next: Listed[] = (await list('alice', `?before=${first[0].requestId}`)).json().requests;
    expect(next.every((r) => r.requestId < first[0].requestId)).toBe(true);
    const bad = await list('alice', '?disposition=approved');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INPUT_INVALID');
  });
});
