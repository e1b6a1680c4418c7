/**
 * /pki over HTTP (pkiRoutes): CDP and AIA URLs resolve to DER CRLs and certificates with
 * the right media types, ETag / Last-Modified, 304s, and max-age bounded by nextUpdate.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkiRoutes from '../../src/entry/http/pki/pkiRoutes.js';
import { publishCrl } from '../../src/ra/publishCrl.js';
import { newTestCa, type TestCa } from '../support/tessera.js';
import { verifyCrl } from './support.js';

describe('GET /pki', () => {
  let ca: TestCa;
  let app: FastifyInstance;
  beforeAll(async () => {
    ca = await newTestCa();
    app = Fastify({ logger: false });
    await app.register(pkiRoutes, { tessera: ca.t });
  });
  afterAll(async () => {
    await app?.close();
    await ca?.close();
  });

  it('serves the full CRL at the CDP URL, the delta at <ca>+.crl (also %2B) and the root CRL, as application/pkix-crl', async () => {
    for (const [url, caId] of [
      ['/pki/issuing.crl', 'issuing'],
      ['/pki/issuing+.crl', 'issuing'],
      ['/pki/issuing%2B.crl', 'issuing'],
      ['/pki/root.crl', 'root'],
    ] as const) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toBe('application/pkix-crl');
      expect(verifyCrl(r.rawPayload, ca.t.caRecord(caId).certificate).stderr, url).toContain('verify OK');
    }
  });

  it('serves the CA certificates as DER application/pkix-cert', async () => {
    for (const id of ['issuing', 'root']) {
      const r = await app.inject({ method: 'GET', url: `/pki/${id}.cer` });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('application/pkix-cert');
      expect(r.rawPayload.equals(ca.t.caRecord(id).certificate)).toBe(true);
      expect(
        (
          await app.inject({
            method: 'GET',
            url: `/pki/${id}.cer`,
            headers: { 'if-none-match': String(r.headers.etag) },
          })
        ).statusCode,
      ).toBe(304);
    }
  });

  it('sends ETag, Last-Modified, Expires and a max-age no later than nextUpdate, and answers 304 to conditional requests', async () => {
    const c = await publishCrl(ca.t);
    const r = await app.inject({ method: 'GET', url: '/pki/issuing.crl' });
    expect(r.headers.etag).toBe(`"issuing-full-${c.number}"`);
    expect(r.headers['last-modified']).toBe(c.thisUpdate.toUTCString());
    expect(r.headers.expires).toBe(c.nextUpdate.toUTCString());
    const maxAge = Number(/max-age=(\d+)/.exec(String(r.headers['cache-control']))![1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(Date.now() + maxAge * 1000).toBeLessThanOrEqual(c.nextUpdate.getTime() + 1000);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/pki/issuing.crl',
          headers: { 'if-none-match': `"x", ${r.headers.etag}` },
        })
      ).statusCode,
    ).toBe(304);
    expect(
      (await app.inject({ method: 'GET', url: '/pki/issuing.crl', headers: { 'if-none-match': '"issuing-full-1"' } }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/pki/issuing.crl',
          headers: { 'if-modified-since': String(r.headers['last-modified']) },
        })
      ).statusCode,
    ).toBe(304);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/pki/issuing.crl',
          headers: { 'if-modified-since': new Date(c.thisUpdate.getTime() - 1000).toUTCString() },
        })
      ).statusCode,
    ).toBe(200);
    // A new CRL changes the tag: a cache holding the old one gets the new body.
    const next = await publishCrl(ca.t);
    const r2 = await app.inject({
      method: 'GET',
      url: '/pki/issuing.crl',
      headers: { 'if-none-match': String(r.headers.etag) },
    });
    expect(r2.statusCode).toBe(200);
    expect(r2.headers.etag).toBe(`"issuing-full-${next.number}"`);
    const head = await app.inject({ method: 'HEAD', url: '/pki/issuing.crl' });
    expect(head.statusCode).toBe(200);
  });

  it('answers 404 for an unknown CA, a delta of a certificate, and other names', async () => {
    for (const url of [
      '/pki/nope.crl',
      '/pki/root+.cer',
      '/pki/issuing.pem',
      '/pki/..%2Fetc%2Fpasswd',
      '/pki/ISSUING.crl',
      '/pki/root+.crl',
    ]) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
    }
  });
});
