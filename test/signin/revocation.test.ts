/**
 * Revocation as a relying party sees it (docs/security.md §8.10; RFC 6960 §4.2.2.2;
 * RFC 5280 §6.3): an OCSP client that trusts only the CA
 * or a delegated responder it issued, checks freshness, the nonce and the CertID, and
 * falls back to the CRL (with its delta) only when the responder does not answer — and
 * refuses when neither gives a fresh answer. Every answer comes over real HTTP from a
 * PkiServer the test scripts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SigninDecision } from '../../src/signin/SmartCardValidator.js';
import { OID } from '../../src/x509/oids.js';
import { craftedWorld, TLS_POSSESSION, type CraftedWorld } from './support/crafted.js';
import {
  hierarchy,
  makeCert,
  makeCrl,
  makeOcspResponse,
  newKey,
  ocspErrorResponse,
  otherNonce,
  type Issued,
} from './support/pki.js';

let w: CraftedWorld;
let leaf: Issued;
beforeAll(async () => {
  w = await craftedWorld();
});
afterAll(async () => w?.close());
beforeEach(() => {
  leaf = w.leaf(w.alice);
  w.publishCrls();
  w.ocspGood();
});

const failed = (d: SigninDecision) => d.checks.find((c) => c.status === 'failed');
const revocationSummary = (d: SigninDecision) => d.checks.find((c) => c.id === 'revocation')!.summary;
const run = (o: Parameters<CraftedWorld['validator']>[0] = {}, now?: () => Date) =>
  w.validator(o, now).validate([leaf.der], TLS_POSSESSION);
const delegated = (o: Partial<Parameters<typeof makeCert>[0]> = {}) =>
  makeCert({
    subject: [{ type: 'CN', value: 'Unit OCSP Responder' }],
    issuer: w.issuing,
    ca: false,
    keyUsage: ['digitalSignature'],
    eku: [OID.OCSPSigning],
    ocspNoCheck: true,
    ...o,
  });

describe('OCSP answers that are trusted', () => {
  it('good, signed by the CA itself', async () => {
    const d = await run();
    expect(d.ok).toBe(true);
    expect(revocationSummary(d)).toMatch(/CN=Alice,O=Unit Org: OCSP/);
  });

  it('good, signed by a delegated responder certificate the CA issued with id-kp-OCSPSigning (and ocsp-nocheck)', async () => {
    const r = delegated();
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: q.certId,
        status: { kind: 'good' },
        nonce: q.nonce,
        signer: r,
        includeCerts: [r.der],
      });
    expect((await run()).ok).toBe(true);
  });

  it("a delegated responder without ocsp-nocheck is itself checked against the CA's CRL", async () => {
    const r = delegated({ ocspNoCheck: false, crlUrls: [`${w.pki.url}/Unit-issuing.crl`] });
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: q.certId,
        status: { kind: 'good' },
        nonce: q.nonce,
        signer: r,
        includeCerts: [r.der],
      });
    expect((await run()).ok).toBe(true);
    w.publishCrls({ revokedLeaves: [r.serial] });
    const d = await run();
    expect(failed(d)).toMatchObject({ id: 'revocation', code: 'SIGNIN_OCSP_INVALID' });
    expect(d.ok || d.detail).toMatch(/the responder certificate "CN=Unit OCSP Responder" is revoked/);
  });

  it('the nonce may be left out only when the service does not require it', async () => {
    w.pki.ocsp = (q) => makeOcspResponse({ certId: q.certId, status: { kind: 'good' }, signer: w.issuing });
    expect(failed(await run())).toMatchObject({ code: 'SIGNIN_OCSP_INVALID' });
    expect((await run({ revocation: { requireNonce: false } })).ok).toBe(true);
  });
});

describe('OCSP says revoked or unknown', () => {
  it('revoked: refused (SIGNIN_REVOKED)', async () => {
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: q.certId,
        status: { kind: 'revoked', revokedAt: new Date(Date.now() - 1000), reason: 1 },
        nonce: q.nonce,
        signer: w.issuing,
      });
    const d = await run();
    expect(failed(d)).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOKED' });
    expect(d.ok || d.detail).toMatch(/^OCSP http:.*revoked at .*reason 1 \(responder: ca\)/);
  });

  it('unknown: refused, not traded for the CRL', async () => {
    w.pki.ocsp = (q) =>
      makeOcspResponse({ certId: q.certId, status: { kind: 'unknown' }, nonce: q.nonce, signer: w.issuing });
    const before = w.pki.requests.filter((r) => r.endsWith('Unit-issuing.crl')).length;
    expect(failed(await run())).toMatchObject({ code: 'SIGNIN_OCSP_INVALID' });
    expect(w.pki.requests.filter((r) => r.endsWith('Unit-issuing.crl')).length).toBe(before);
  });
});

describe('OCSP answers that cannot be trusted (RFC 6960 §4.2.2.1, §4.2.2.2; docs/security.md §8.10)', () => {
  it('signed by an unrelated key', async () => {
    const stranger = { ...w.issuing, key: newKey() };
    w.pki.ocsp = (q) =>
      makeOcspResponse({ certId: q.certId, status: { kind: 'good' }, nonce: q.nonce, signer: stranger });
    const d = await run();
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_OCSP_INVALID' });
    expect(d.ok || d.detail).toMatch(/neither the CA nor a certificate in the response/);
  });

  it('claiming to be the CA (ResponderID of its key) with a signature by another key', async () => {
    const stranger = { ...w.issuing, key: newKey() };
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: q.certId,
        status: { kind: 'good' },
        nonce: q.nonce,
        signer: stranger,
        responderKey: w.issuing.key,
      });
    const d = await run();
    expect(d.ok || d.detail).toMatch(/response signature by "CN=Unit Issuing CA,O=Unit Org" is not acceptable/);
  });

  it('by a responder certificate without id-kp-OCSPSigning, or issued by another CA', async () => {
    const noEku = delegated({ eku: [OID.clientAuth] });
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: q.certId,
        status: { kind: 'good' },
        nonce: q.nonce,
        signer: noEku,
        includeCerts: [noEku.der],
      });
    let d = await run();
    expect(d.ok || d.detail).toMatch(/not authorised: no id-kp-OCSPSigning/);
    const other = hierarchy(w.pki, 'Rogue');
    const rogue = makeCert({
      subject: [{ type: 'CN', value: 'Rogue OCSP' }],
      issuer: other.issuing,
      ca: false,
      keyUsage: ['digitalSignature'],
      eku: [OID.OCSPSigning],
      ocspNoCheck: true,
    });
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: q.certId,
        status: { kind: 'good' },
        nonce: q.nonce,
        signer: rogue,
        includeCerts: [rogue.der],
      });
    d = await run();
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_OCSP_INVALID' });
    expect(d.ok || d.detail).toMatch(/was not issued by "CN=Unit Issuing CA,O=Unit Org"/);
  });

  it('stale (nextUpdate passed, thisUpdate too old) or from the future', async () => {
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: q.certId,
        status: { kind: 'good' },
        nonce: q.nonce,
        signer: w.issuing,
        thisUpdate: new Date(Date.now() - 7200_000),
        nextUpdate: new Date(Date.now() - 3600_000),
      });
    let d = await run();
    expect(d.ok || d.detail).toMatch(/stale: nextUpdate .* has passed/);
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: q.certId,
        status: { kind: 'good' },
        nonce: q.nonce,
        signer: w.issuing,
        thisUpdate: new Date(Date.now() - 3 * 86_400_000),
        nextUpdate: new Date(Date.now() + 86_400_000),
      });
    d = await run();
    expect(d.ok || d.detail).toMatch(/stale: thisUpdate .* is older than 86400 s/);
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: q.certId,
        status: { kind: 'good' },
        nonce: q.nonce,
        signer: w.issuing,
        thisUpdate: new Date(Date.now() + 3600_000),
        nextUpdate: new Date(Date.now() + 7200_000),
      });
    d = await run();
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_OCSP_INVALID' });
    expect(d.ok || d.detail).toMatch(/thisUpdate .* is in the future/);
  });

  it('with a different nonce', async () => {
    w.pki.ocsp = (q) =>
      makeOcspResponse({ certId: q.certId, status: { kind: 'good' }, nonce: otherNonce(), signer: w.issuing });
    const d = await run({ revocation: { requireNonce: false } });
    expect(d.ok || d.detail).toMatch(/different nonce/);
  });

  it('about another certificate (CertID mismatch)', async () => {
    const other = w.leaf(w.bob);
    w.pki.ocsp = (q) =>
      makeOcspResponse({
        certId: Buffer.from(q.certId.toString('hex').replace(leaf.serial, other.serial), 'hex'),
        status: { kind: 'good' },
        nonce: q.nonce,
        signer: w.issuing,
      });
    const d = await run();
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_OCSP_INVALID' });
    expect(d.ok || d.detail).toMatch(/about another certificate/);
  });
});

describe('OCSP unavailable: the CRL decides', () => {
  it.each([
    ['HTTP 503', () => ({ status: 503 })],
    ['a dropped connection', () => 'close' as const],
    ['tryLater', () => ocspErrorResponse('tryLater')],
    ['no answer before the deadline', () => 'hang' as const],
  ])('%s, CRL fresh and not listing the certificate: signed in by the CRL', async (_what, answer) => {
    w.pki.ocsp = answer as never;
    const d = await run({ revocation: { timeoutMs: 300 } });
    expect(d.ok, JSON.stringify(d.checks)).toBe(true);
    expect(revocationSummary(d)).toMatch(/CN=Alice,O=Unit Org: CRL/);
  });

  it('the CRL lists the certificate: refused', async () => {
    w.pki.ocsp = () => ({ status: 503 });
    w.publishCrls({ revokedLeaves: [leaf.serial] });
    const d = await run();
    expect(failed(d)).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOKED' });
    expect(d.ok || d.detail).toMatch(
      /^CRL http:.*Unit-issuing\.crl: "CN=Alice,O=Unit Org" \(serial [0-9a-f]+\) revoked/,
    );
  });

  it('fail closed: OCSP down and the CRL stale, missing, badly signed, from a CA without cRLSign, or a delta at the CDP', async () => {
    w.pki.ocsp = () => 'close';
    const variants: [string, Buffer | { status: number }][] = [
      [
        'stale',
        makeCrl({
          issuer: w.issuing,
          thisUpdate: new Date(Date.now() - 3 * 86_400_000),
          nextUpdate: new Date(Date.now() - 86_400_000),
        }),
      ],
      ['missing', { status: 404 }],
      ['badly signed', makeCrl({ issuer: w.issuing, signingKey: newKey() })],
      ['no nextUpdate', makeCrl({ issuer: w.issuing, nextUpdate: null })],
      ['a delta', makeCrl({ issuer: w.issuing, deltaOf: 1, number: 2 })],
    ];
    for (const [what, crl] of variants) {
      w.pki.crls.set('Unit-issuing.crl', crl);
      const d = await run();
      expect(failed(d), what).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOCATION_UNKNOWN' });
    }
    // The CRL is fine, the validator's clock says it is past nextUpdate: stale too.
    w.publishCrls();
    const d = await run({}, () => new Date(Date.now() + 2 * 86_400_000));
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_REVOCATION_UNKNOWN' });
    expect(d.ok || d.detail).toMatch(/stale: nextUpdate/);
  });

  it('a CA that may not sign CRLs (no cRLSign) cannot vouch by CRL', async () => {
    const noCrlSign = makeCert({
      subject: [{ type: 'CN', value: 'No cRLSign CA' }],
      issuer: w.root,
      ca: true,
      keyUsage: ['digitalSignature', 'keyCertSign'],
      crlUrls: [`${w.pki.url}/Unit-root.crl`],
    });
    w.pki.crls.set('nocrlsign.crl', makeCrl({ issuer: noCrlSign }));
    const l = w.leaf(w.alice, { issuer: noCrlSign, crlUrls: [`${w.pki.url}/nocrlsign.crl`], ocspUrl: undefined });
    const d = await w
      .validator({ authenticationCas: [noCrlSign.der] })
      .validate([l.der, noCrlSign.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_REVOCATION_UNKNOWN' });
    expect(d.ok || d.detail).toMatch(/may not sign CRLs \(no cRLSign\)/);
  });

  it('a certificate with neither an OCSP nor a CRL URL has no revocation answer', async () => {
    const l = w.leaf(w.alice, { crlUrls: [], ocspUrl: undefined });
    const d = await w.validator().validate([l.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_REVOCATION_UNKNOWN' });
  });
});

describe('delta CRLs (RFC 5280 §5.2.4, §6.3.3)', () => {
  beforeEach(() => {
    w.pki.ocsp = () => ({ status: 503 });
  });

  it('a revocation only the delta lists refuses; removeFromCRL in the delta releases a hold', async () => {
    w.pki.crls.set(
      'Unit-issuing.crl',
      makeCrl({ issuer: w.issuing, number: 5, freshest: [`${w.pki.url}/Unit-issuing-delta.crl`] }),
    );
    w.pki.crls.set(
      'Unit-issuing-delta.crl',
      makeCrl({ issuer: w.issuing, number: 6, deltaOf: 5, revoked: [{ serial: leaf.serial, reason: 1 }] }),
    );
    let d = await run();
    expect(failed(d)).toMatchObject({ code: 'SIGNIN_REVOKED' });
    expect(d.ok || d.detail).toMatch(/with its delta/);

    // On hold in the complete CRL, released (removeFromCRL) by the newer delta.
    w.pki.crls.set(
      'Unit-issuing.crl',
      makeCrl({
        issuer: w.issuing,
        number: 7,
        freshest: [`${w.pki.url}/Unit-issuing-delta.crl`],
        revoked: [{ serial: leaf.serial, reason: 6 }],
      }),
    );
    w.pki.crls.set(
      'Unit-issuing-delta.crl',
      makeCrl({ issuer: w.issuing, number: 8, deltaOf: 7, revoked: [{ serial: leaf.serial, reason: 8 }] }),
    );
    d = await run();
    expect(d.ok, JSON.stringify(d.checks)).toBe(true);
    expect(revocationSummary(d)).toMatch(/CRL \(with delta\)/);
  });

  it('a delta that is announced but unavailable, or based on a newer CRL, leaves the status unknown', async () => {
    w.pki.crls.set(
      'Unit-issuing.crl',
      makeCrl({ issuer: w.issuing, number: 5, freshest: [`${w.pki.url}/Unit-issuing-delta.crl`] }),
    );
    w.pki.crls.set('Unit-issuing-delta.crl', { status: 404 });
    expect(failed(await run())).toMatchObject({ code: 'SIGNIN_REVOCATION_UNKNOWN' });
    w.pki.crls.set('Unit-issuing-delta.crl', makeCrl({ issuer: w.issuing, number: 9, deltaOf: 8 }));
    const d = await run();
    expect(d.ok || d.detail).toMatch(/base 8 is newer than the complete CRL 5/);
  });
});

describe('every certificate but the anchor', () => {
  it("refuses when the root's CRL revokes the issuing CA", async () => {
    w.publishCrls({ revokedCas: [w.issuing.serial] });
    const d = await run();
    expect(failed(d)).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOKED' });
    expect(d.ok || d.detail).toMatch(/"CN=Unit Issuing CA,O=Unit Org" \(serial [0-9a-f]+\) revoked/);
  });
});

describe('CRL caching', () => {
  it('reuses a fetched CRL within the cache time, and fetches again after', async () => {
    w.pki.ocsp = () => ({ status: 503 });
    let now = Date.now();
    const v = w.validator({ revocation: { crlCacheMs: 60_000 } }, () => new Date(now));
    const fetches = () => w.pki.requests.filter((r) => r === 'GET /Unit-issuing.crl').length;
    const before = fetches();
    expect((await v.validate([leaf.der], TLS_POSSESSION)).ok).toBe(true);
    expect((await v.validate([leaf.der], TLS_POSSESSION)).ok).toBe(true);
    expect(fetches()).toBe(before + 1);
    // A revocation published meanwhile is seen once the cached copy expires.
    w.publishCrls({ revokedLeaves: [leaf.serial] });
    now += 61_000;
    expect(failed(await v.validate([leaf.der], TLS_POSSESSION))).toMatchObject({ code: 'SIGNIN_REVOKED' });
    expect(fetches()).toBe(before + 2);
  });
});
