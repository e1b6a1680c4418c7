/**
 * The OCSP responder (RFC 6960) on a real listener, judged by `openssl ocsp`: good,
 * revoked (time and reason), unknown; with and without nonce; GET and POST; several
 * CertIDs; SHA-1 and SHA-256 CertIDs; other CAs and hashes; malformed input; the cache
 * after revocation (this process, another node) on SQLite and PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ocspErrorResponse } from '../../src/x509/ocsp.js';
import { OcspResponder, type OcspSource } from '../../src/ca/ocsp/OcspResponder.js';
import { ocspSigningKeysFor } from '../../src/ra/ocspResponderFor.js';
import { release, revoke } from '../../src/ra/revoke.js';
import { TesseraError } from '../../src/errors/TesseraError.js';
import { Tessera } from '../../src/Tessera.js';
import { explicit, octets, oid, seq } from '../../src/x509/der.js';
import { openssl, tmpDir } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { files, leaf, ocspQuery, opensslAsync, serveRevocation, TestClock } from './support.js';

const MALFORMED = ocspErrorResponse('malformedRequest');

async function post(
  url: string,
  body: Buffer | string,
  type = 'application/ocsp-request',
): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const r = await fetch(`${url}/ocsp`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()), headers: r.headers };
}

/** An OCSP request made by openssl (DER), without sending it. */
function opensslRequest(issuerDer: Buffer, certs: Buffer[], extra: string[] = []): Buffer {
  const f = files({
    'issuer.pem': { cert: issuerDer },
    ...Object.fromEntries(certs.map((c, i) => [`c${i}.pem`, { cert: c }])),
  });
  const out = join(tmpDir('req-'), 'req.der');
  const r = openssl([
    'ocsp',
    '-issuer',
    f['issuer.pem'],
    ...certs.flatMap((_, i) => ['-cert', f[`c${i}.pem`]]),
    '-reqout',
    out,
    ...extra,
  ]);
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out);
}

/** Judge a DER response with openssl: verify it and print statuses. */
function judgeResponse(
  resp: Buffer,
  issuerDer: Buffer,
  chainPem: string,
  certs: Buffer[],
  extra: string[] = [],
): string {
  const f = files({
    'resp.der': resp,
    'issuer.pem': { cert: issuerDer },
    'chain.pem': chainPem,
    ...Object.fromEntries(certs.map((c, i) => [`c${i}.pem`, { cert: c }])),
  });
  const r = openssl([
    'ocsp',
    '-respin',
    f['resp.der'],
    '-issuer',
    f['issuer.pem'],
    '-CAfile',
    f['chain.pem'],
    ...certs.flatMap((_, i) => ['-cert', f[`c${i}.pem`]]),
    ...extra,
  ]);
  return r.stdout + r.stderr;
}

describe.each(['sqlite', 'postgres'] as const)('OCSP responder on %s', (engine) => {
  let ca: TestCa;
  let server: { url: string; close(): Promise<void> };
  let issuing: Buffer;
  beforeAll(async () => {
    ca = await newTestCa({ engine });
    issuing = ca.t.caRecord('issuing').certificate;
    server = await serveRevocation(ca.t);
  });
  afterAll(async () => {
    await server?.close();
    await ca?.close();
  });
  const query = (what: { certs?: Buffer[]; serials?: string[] }, extra: string[] = []) =>
    ocspQuery(server.url, issuing, ca.chainPem, what, extra);

  it('answers good for an issued certificate, with the nonce echoed, signed by a delegated responder openssl accepts', async () => {
    const c = await leaf(ca.t);
    const r = await query({ certs: [c.der] }, ['-resp_text']);
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/c0\.pem: good/);
    expect(r.out).not.toContain('WARNING: no nonce');
    expect(r.out).toContain('OCSP Nonce');
    // The delegated certificate: issued by the issuing CA, OCSP Signing, ocsp-nocheck.
    expect(r.out).toContain('OCSP Signing');
    expect(r.out).toContain('OCSP No Check');
    expect(r.out).toMatch(/Responder Id: [0-9A-F]{40}/); // byKey
  });

  it('answers good without a nonce (-no_nonce), and the same request twice gets the same pre-signed bytes', async () => {
    const c = await leaf(ca.t);
    const r = await query({ certs: [c.der] }, ['-no_nonce']);
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/: good/);
    const req = opensslRequest(issuing, [c.der], ['-no_nonce']);
    const a = await post(server.url, req);
    const b = await post(server.url, req);
    expect(a.headers.get('content-type')).toBe('application/ocsp-response');
    expect(a.body.equals(b.body)).toBe(true);
  });

  it('answers revoked with the revocation time and reason', async () => {
    const c = await leaf(ca.t);
    const { revokedAt } = await revoke(ca.t, LOCAL, c.serial, 'keyCompromise');
    const r = await query({ certs: [c.der] });
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/: revoked/);
    expect(r.out).toContain('Reason: keyCompromise');
    const when = revokedAt.toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$2 $1 $4 $3');
    expect(r.out.replace(/ {2,}/g, ' ')).toContain(`Revocation Time: ${when.replace(/^(\w+) 0/, '$1 ')} GMT`);
  });

  it('answers unknown for a serial this CA never issued (RFC 6960 §2.2)', async () => {
    const r = await query({ serials: ['0x4242424242424242424242424242'] });
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/0x4242424242424242424242424242: unknown/);
  });

  it('answers several CertIDs in one request, each with its own status', async () => {
    const good = await leaf(ca.t);
    const bad = await leaf(ca.t);
    await revoke(ca.t, LOCAL, bad.serial, 'superseded');
    const r = await query({ certs: [good.der, bad.der], serials: ['0x7777'] });
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/c0\.pem: good/);
    expect(r.out).toMatch(/c1\.pem: revoked[\s\S]*Reason: superseded/);
    expect(r.out).toMatch(/0x7777: unknown/);
  });

  it('accepts SHA-256 CertIDs as well as SHA-1', async () => {
    const c = await leaf(ca.t);
    for (const dgst of ['-sha1', '-sha256']) {
      const r = await query({ certs: [c.der] }, [dgst]);
      expect(r.out, dgst).toContain('Response verify OK');
      expect(r.out, dgst).toMatch(/: good/);
    }
  });

  it('answers unauthorized for another CA and for an unsupported CertID hash', async () => {
    const root = ca.t.caRecord('root').certificate;
    const other = await ocspQuery(server.url, root, ca.chainPem, { certs: [issuing] });
    expect(other.out).toContain('Responder Error: unauthorized (6)');
    const c = await leaf(ca.t);
    const md5 = await query({ certs: [c.der] }, ['-md5']);
    expect(md5.out).toContain('Responder Error: unauthorized (6)');
  });

  it('reflects a revocation immediately: good, then revoked by the next request (this process)', async () => {
    const c = await leaf(ca.t);
    expect((await query({ certs: [c.der] }, ['-no_nonce'])).out).toMatch(/: good/);
    expect((await query({ certs: [c.der] }, ['-no_nonce'])).out).toMatch(/: good/); // now cached
    await revoke(ca.t, LOCAL, c.serial, 'affiliationChanged');
    const r = await query({ certs: [c.der] }, ['-no_nonce']);
    expect(r.out).toMatch(/: revoked/);
    expect(r.out).toContain('Reason: affiliationChanged');
  });

  it('reflects a revocation made by another node or the CLI process immediately (revocation version check)', async () => {
    const c = await leaf(ca.t);
    expect((await query({ certs: [c.der] }, ['-no_nonce'])).out).toMatch(/: good/);
    const other = await Tessera.open(ca.dir, { withIssuingKey: false });
    try {
      await revoke(other, LOCAL, c.serial, 'cessationOfOperation');
    } finally {
      await other.close();
    }
    const r = await query({ certs: [c.der] }, ['-no_nonce']);
    expect(r.out).toMatch(/: revoked/);
    expect(r.out).toContain('Reason: cessationOfOperation');
  });

  it('answers revoked (certificateHold) while on hold and good again after release', async () => {
    const c = await leaf(ca.t);
    expect((await query({ certs: [c.der] })).out).toMatch(/: good/);
    await revoke(ca.t, LOCAL, c.serial, 'certificateHold');
    expect((await query({ certs: [c.der] })).out).toMatch(/: revoked[\s\S]*Reason: certificateHold/);
    await release(ca.t, LOCAL, c.serial);
    expect((await query({ certs: [c.der] })).out).toMatch(/: good/);
  });

  it('serves GET /ocsp/{base64} (standard, URL-encoded, and base64url) with RFC 5019 caching headers and 304', async () => {
    const c = await leaf(ca.t);
    const req = opensslRequest(issuing, [c.der], ['-no_nonce']);
    for (const path of [
      encodeURIComponent(req.toString('base64')),
      req.toString('base64url'),
      req.toString('base64'),
    ]) {
      const r = await fetch(`${server.url}/ocsp/${path}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/ocsp-response');
      expect(r.headers.get('etag')).toMatch(/^"[\w-]+"$/);
      expect(r.headers.get('last-modified')).toBeTruthy();
      expect(r.headers.get('expires')).toBeTruthy();
      expect(r.headers.get('cache-control')).toMatch(/max-age=\d+/);
      const body = Buffer.from(await r.arrayBuffer());
      const out = judgeResponse(body, issuing, ca.chainPem, [c.der]);
      expect(out).toContain('Response verify OK');
      expect(out).toMatch(/: good/);
      const again = await fetch(`${server.url}/ocsp/${path}`, { headers: { 'if-none-match': r.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
  });

  it('answers malformedRequest to garbage, truncated, empty, oversized, deeply nested and bad-base64 input, and keeps serving', async () => {
    const c = await leaf(ca.t);
    const req = opensslRequest(issuing, [c.der]);
    let deep: Buffer = Buffer.from([0x05, 0x00]);
    for (let i = 0; i < 8000; i++) deep = seq(deep);
    const cases: [string, Buffer | string][] = [
      ['garbage', Buffer.from('this is not an OCSP request at all')],
      ['truncated', req.subarray(0, req.length - 7)],
      ['trailing bytes', Buffer.concat([req, Buffer.from([0, 0])])],
      ['a certificate instead', c.der],
      ['empty SEQUENCE', Buffer.from([0x30, 0x00])],
      ['deeply nested', deep],
      ['oversized', Buffer.concat([req, Buffer.alloc(200 * 1024, 0x41)])],
      ['indefinite length', Buffer.from([0x30, 0x80, 0x00, 0x00])],
      ['huge length', Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00])],
    ];
    for (const [name, body] of cases) {
      const r = await post(server.url, body);
      expect(r.status, name).toBe(200);
      expect(r.body.equals(MALFORMED), name).toBe(true);
    }
    const empty = await fetch(`${server.url}/ocsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
    });
    expect(Buffer.from(await empty.arrayBuffer()).equals(MALFORMED)).toBe(true);
    // A URL that is not valid percent-encoding is refused by the router before any route (400).
    expect((await fetch(`${server.url}/ocsp/%ZZ`)).status).toBe(400);
    for (const path of ['', '!!!notbase64', 'AAAA', encodeURIComponent(deep.toString('base64').slice(0, 4000))]) {
      const r = await fetch(`${server.url}/ocsp/${path}`);
      expect(r.status, path).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).equals(MALFORMED), path).toBe(true);
    }
    // openssl itself reports the status it got.
    const f = files({ 'bad.der': Buffer.from('garbage') });
    expect((await opensslAsync(['ocsp', '-reqin', f['bad.der'], '-url', `${server.url}/ocsp`])).stderr).toMatch(
      /malformed|Error/i,
    );
    // Still up.
    expect((await query({ certs: [c.der] })).out).toMatch(/: good/);
  });

  it('accepts a request without a Content-Type or with another one', async () => {
    const c = await leaf(ca.t);
    const req = opensslRequest(issuing, [c.der], ['-no_nonce']);
    for (const type of ['application/octet-stream', 'text/plain']) {
      const r = await post(server.url, req, type);
      expect(judgeResponse(r.body, issuing, ca.chainPem, [c.der])).toMatch(/: good/);
    }
  });

  it('refuses a nonce longer than 32 octets and echoes a 32-octet one (RFC 8954 §2.1)', async () => {
    const c = await leaf(ca.t);
    const base = opensslRequest(issuing, [c.der], ['-no_nonce']);
    // Rebuild the request with our own nonce: OCSPRequest { TBSRequest { requestList, [2] { Extensions } } }.
    const top = readSeq(base);
    const tbs = readSeq(top);
    const withNonce = (n: number) =>
      seq(seq(tbs, explicit(2, seq(seq(oid('1.3.6.1.5.5.7.48.1.2'), octets(octets(Buffer.alloc(n, 7))))))));
    const long = await post(server.url, withNonce(33));
    expect(long.body.equals(MALFORMED)).toBe(true);
    const ok = await post(server.url, withNonce(32));
    // -reqin: openssl compares the request's nonce with the response's.
    const text = judgeResponse(
      ok.body,
      issuing,
      ca.chainPem,
      [],
      ['-resp_text', '-reqin', files({ 'req.der': withNonce(32) })['req.der']],
    );
    expect(text).toContain('Response verify OK');
    expect(text).toContain('OCSP Nonce');
    expect(text).toContain('0707070707070707');
  });
});

/** The contents of the first SEQUENCE in `der` (our test requests are short-form or 0x81/0x82 lengths). */
function readSeq(der: Buffer): Buffer {
  const l = der[1];
  if (l < 0x80) return der.subarray(2, 2 + l);
  const n = l & 0x7f;
  const len = der.subarray(2, 2 + n).reduce((a, b) => a * 256 + b, 0);
  return der.subarray(2 + n, 2 + n + len);
}

describe('OCSP responder cache', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await newTestCa();
  });
  afterAll(async () => ca?.close());

  /** A responder on the real store and key, counting signatures, with its own clock. */
  function counted(clock: TestClock, o: ConstructorParameters<typeof OcspResponder>[1] = {}) {
    const keys = ocspSigningKeysFor(ca.t);
    let signatures = 0;
    const source: OcspSource = {
      cas: [{ id: 'issuing', certificate: ca.t.caCertificate('issuing') }],
      statusOf: (s) => ca.t.store.crls.statusOf(s),
      revocationVersion: () => ca.t.store.crls.revocationVersion(),
      changedSerials: (a, b) => ca.t.store.crls.changedSerials(a, b),
      signingIdentity: async (id) => {
        const i = await keys.current(id);
        return {
          ...i,
          sign: (d: Uint8Array) => {
            signatures++;
            return i.sign(d);
          },
        };
      },
      now: clock.now,
    };
    return { responder: new OcspResponder(source, o), signatures: () => signatures };
  }

  it('serves repeated requests from one signature, and re-signs in the background ahead of expiry', async () => {
    const clock = new TestClock();
    const { responder, signatures } = counted(clock, { validityMs: 3600_000 });
    const c = await leaf(ca.t);
    const req = opensslRequest(ca.t.caRecord('issuing').certificate, [c.der], ['-no_nonce']);
    const first = await responder.respond(req);
    expect(first.status).toBe('successful');
    for (let i = 0; i < 50; i++) expect((await responder.respond(req)).der.equals(first.der)).toBe(true);
    expect(signatures()).toBe(1);
    clock.advance(31 * 60_000); // past half of the validity
    const stillCached = await responder.respond(req);
    expect(stillCached.der.equals(first.der)).toBe(true); // served at once, renewal queued
    await responder.maintain();
    await new Promise((r) => setTimeout(r, 50));
    expect(signatures()).toBe(2);
    const renewed = await responder.respond(req);
    expect(renewed.der.equals(first.der)).toBe(false);
    expect(renewed.cache!.producedAt.getTime()).toBeGreaterThan(first.cache!.producedAt.getTime());
    expect(signatures()).toBe(2);
  });

  it('answers revoked with the extended revoke extension for never-issued serials when configured (RFC 6960 §2.2, §4.4.8)', async () => {
    const { responder } = counted(new TestClock(), { nonIssued: 'revoked' });
    const issuing = ca.t.caRecord('issuing').certificate;
    const f = files({ 'issuer.pem': { cert: issuing } });
    const out = join(tmpDir('req-'), 'req.der');
    expect(
      openssl(['ocsp', '-issuer', f['issuer.pem'], '-serial', '0x1234567890', '-no_nonce', '-reqout', out]).status,
    ).toBe(0);
    const a = await responder.respond(readFileSync(out));
    const text = judgeResponse(a.der, issuing, ca.chainPem, [], ['-resp_text']);
    expect(text).toContain('Cert Status: revoked');
    expect(text).toContain('Revocation Reason: certificateHold');
    expect(text).toContain('Revocation Time: Jan  1 00:00:00 1970 GMT');
    // OpenSSL names 1.3.6.1.5.5.7.48.1.9 "valid" (id-pkix-OCSP-valid, the same arc).
    expect(text).toMatch(/Response Extensions:\s*\n\s*valid:/);
  });

  it('answers tryLater when the database is unavailable, and recovers when it is back', async () => {
    const clock = new TestClock();
    let down = false;
    const real = ca.t.store.crls;
    const flaky: OcspSource = {
      cas: [{ id: 'issuing', certificate: ca.t.caCertificate('issuing') }],
      statusOf: (s) => (down ? Promise.reject(new TesseraError('STORAGE_UNAVAILABLE')) : real.statusOf(s)),
      revocationVersion: () =>
        down ? Promise.reject(new TesseraError('STORAGE_UNAVAILABLE')) : real.revocationVersion(),
      changedSerials: (a, b) => real.changedSerials(a, b),
      signingIdentity: (id) => ocspSigningKeysFor(ca.t).current(id),
      now: clock.now,
    };
    const r = new OcspResponder(flaky);
    const c = await leaf(ca.t);
    const req = opensslRequest(ca.t.caRecord('issuing').certificate, [c.der], ['-no_nonce']);
    down = true;
    const a = await r.respond(req);
    expect(a.status).toBe('tryLater');
    expect(a.der.equals(ocspErrorResponse('tryLater'))).toBe(true);
    down = false;
    expect((await r.respond(req)).status).toBe('successful');
  });

  it('rolls the delegated signing certificate over before it expires, and keeps a restart from issuing another', async () => {
    const keys = ocspSigningKeysFor(ca.t);
    const a = await keys.current('issuing');
    const t2 = await Tessera.open(ca.dir);
    try {
      const { OcspSigningKeys } = await import('../../src/ra/ocspSigningKeys.js');
      const same = await new OcspSigningKeys(t2).current('issuing');
      expect(same.certificate.equals(a.certificate)).toBe(true); // loaded, not issued again
      const clock = new TestClock(a.notAfter.getTime() - 2 * 86_400_000); // past the renewal point
      const t3 = await Tessera.open(ca.dir, { now: clock.now });
      try {
        const k3 = new OcspSigningKeys(t3);
        const b = await k3.current('issuing');
        expect(b.certificate.equals(a.certificate)).toBe(false);
        expect(b.notAfter.getTime()).toBeGreaterThan(a.notAfter.getTime());
        const text = openssl(['x509', '-inform', 'DER', '-noout', '-text'], b.certificate).stdout;
        expect(text).toContain('OCSP Signing');
        expect(text).toContain('OCSP No Check');
      } finally {
        await t3.close();
      }
    } finally {
      await t2.close();
    }
  });
});
