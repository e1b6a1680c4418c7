/**
 * The validator's checks, in order, on crafted certificates (docs/security.md §8,
 * docs/signin.md "What the validator checks, in order"): strict parsing, path
 * building only to trust anchors, the authentication trust list (NTAuth), signatures and
 * algorithms, CA constraints, validity at an injected clock, key usage, EKU and the MS
 * application policies. Revocation is answered by a real HTTP responder (PkiServer) and
 * mapping by a real Tessera directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TesseraError } from '../../src/errors/TesseraError.js';
import { parseCertificate } from '../../src/signin/parseCertificate.js';
import { SmartCardValidator } from '../../src/signin/SmartCardValidator.js';
import { bool, integer, octets, oid, seq, tlv } from '../../src/x509/der.js';
import { extension } from '../../src/x509/extensions.js';
import { OID } from '../../src/x509/oids.js';
import { craftedWorld, TLS_POSSESSION, type CraftedWorld } from './support/crafted.js';
import { hierarchy, makeCert, newKey } from './support/pki.js';

let w: CraftedWorld;
beforeAll(async () => {
  w = await craftedWorld();
});
afterAll(async () => w?.close());

/** The code of a parse failure. */
function parseError(der: Buffer): string {
  try {
    parseCertificate(der);
  } catch (e) {
    return `${(e as TesseraError).code}: ${(e as TesseraError).detail}`;
  }
  return 'parsed';
}

const failedCheck = (d: Awaited<ReturnType<SmartCardValidator['validate']>>) =>
  d.checks.find((c) => c.status === 'failed');

describe('a well-formed chain', () => {
  it('signs in as the account the SID names, every check passed in order', async () => {
    const leaf = w.leaf(w.alice);
    const d = await w.validator().validate([leaf.der, w.issuing.der], TLS_POSSESSION);
    expect(d.ok, JSON.stringify(d.checks, null, 1)).toBe(true);
    if (!d.ok) return;
    expect(d.account.username).toBe('alice');
    expect(d.mapping).toMatchObject({ kind: 'sid-extension', strength: 'strong', sid: w.alice.sid });
    expect(d.checks.map((c) => c.id)).toEqual([
      'possession',
      'parse',
      'path',
      'authenticationCa',
      'signatures',
      'constraints',
      'validity',
      'keyUsage',
      'eku',
      'revocation',
      'mapping',
      'account',
    ]);
    expect(d.checks.every((c) => c.status === 'passed')).toBe(true);
    expect(d.path.map((c) => c.subject)).toEqual([
      'CN=Alice,O=Unit Org',
      'CN=Unit Issuing CA,O=Unit Org',
      'CN=Unit Root CA,O=Unit Org',
    ]);
    // The leaf by OCSP, the issuing CA by the root's CRL (its certificate names no responder).
    expect(d.checks.find((c) => c.id === 'revocation')!.summary).toMatch(
      /CN=Alice,O=Unit Org: OCSP; CN=Unit Issuing CA,O=Unit Org: CRL/,
    );
  });

  it('builds the path from the trust list when the client sends the end entity alone', async () => {
    const d = await w.validator().validate([w.leaf(w.alice).der], TLS_POSSESSION);
    expect(d.ok).toBe(true);
  });
});

describe('proof of possession', () => {
  it('refuses before reading anything when the caller did not prove possession of the key', async () => {
    const before = w.pki.requests.length;
    const d = await w.validator().validate([w.leaf(w.alice).der], { proven: false, method: 'TLSv1.3 resumed session' });
    expect(d.ok).toBe(false);
    expect(failedCheck(d)).toMatchObject({ id: 'possession', code: 'SIGNIN_POSSESSION_NOT_PROVEN' });
    expect(d.checks.slice(1).every((c) => c.status === 'not run')).toBe(true);
    // Nothing was fetched for a chain nobody proved they hold.
    expect(w.pki.requests.length).toBe(before);
  });

  it('fails possession as not performed when no certificate was presented, even if the caller claims proof', async () => {
    const d = await w.validator().validate([], TLS_POSSESSION);
    expect(d.ok).toBe(false);
    expect(d.checks[0]).toMatchObject({
      id: 'possession',
      status: 'failed',
      code: 'SIGNIN_CERT_MISSING',
      summary: expect.stringMatching(/^Not performed: No client certificate was presented/),
    });
    expect(d.checks.slice(1).every((c) => c.status === 'not run')).toBe(true);
  });
});

describe('strict DER parsing (check 1)', () => {
  it('refuses trailing bytes, indefinite lengths and non-minimal lengths', () => {
    const der = w.leaf(w.alice).der;
    expect(parseError(Buffer.concat([der, Buffer.from([0])]))).toMatch(/^SIGNIN_CERT_MALFORMED: 1 trailing bytes/);
    const indefinite = Buffer.from(der);
    indefinite[1] = 0x80;
    expect(parseError(indefinite)).toMatch(/^SIGNIN_CERT_MALFORMED: indefinite length/);
    // A long-form length where the short form fits (X.690 §10.1).
    const inner = seq(integer(1));
    const nonMinimal = Buffer.concat([Buffer.from([0x30, 0x81, inner.length]), inner]);
    expect(parseError(nonMinimal)).toMatch(/non-minimal length/);
  });

  it('refuses the same extension twice, an unknown critical extension, explicit defaults and empty EKU or key usage', () => {
    const twice = makeCert({
      subject: [{ type: 'CN', value: 'x' }],
      issuer: w.issuing,
      ca: false,
      eku: [OID.smartcardLogon],
      extra: [extension(OID.extKeyUsage, false, seq(oid(OID.clientAuth)))],
    });
    expect(parseError(twice.der)).toMatch(/extension 2\.5\.29\.37 appears twice/);
    const critical = makeCert({
      subject: [{ type: 'CN', value: 'x' }],
      issuer: w.issuing,
      ca: false,
      extra: [extension('1.2.3.4.5', true, Buffer.from([5, 0]))],
    });
    expect(parseError(critical.der)).toMatch(/unrecognised critical extension 1\.2\.3\.4\.5/);
    const nameConstraints = makeCert({
      subject: [{ type: 'CN', value: 'x' }],
      issuer: w.issuing,
      ca: true,
      extra: [extension(OID.nameConstraints, true, seq())],
    });
    // Name constraints are processed now (validatePath.ts), so a critical one is recognised; an
    // empty one is still refused (RFC 5280 §4.2.1.10: permittedSubtrees or excludedSubtrees MUST be present).
    expect(parseError(nameConstraints.der)).toMatch(/SIGNIN_CERT_MALFORMED: empty nameConstraints/);
    const explicitFalse = makeCert({
      subject: [{ type: 'CN', value: 'x' }],
      issuer: w.issuing,
      ca: null,
      extra: [seq(oid(OID.basicConstraints), bool(true), octets(seq(bool(false))))],
    });
    expect(parseError(explicitFalse.der)).toMatch(/cA FALSE/);
    const emptyEku = makeCert({
      subject: [{ type: 'CN', value: 'x' }],
      issuer: w.issuing,
      ca: false,
      extra: [extension(OID.extKeyUsage, false, seq())],
    });
    expect(parseError(emptyEku.der)).toMatch(/empty extKeyUsage/);
    const emptyKu = makeCert({
      subject: [{ type: 'CN', value: 'x' }],
      issuer: w.issuing,
      ca: false,
      keyUsage: null,
      extra: [extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0])))],
    });
    expect(parseError(emptyKu.der)).toMatch(/keyUsage with no bit set/);
  });

  it('refuses a SID extension that holds no SID and a GeneralizedTime with fractions', () => {
    const badSid = makeCert({ subject: [{ type: 'CN', value: 'x' }], issuer: w.issuing, ca: false, sid: 'not-a-sid' });
    expect(parseError(badSid.der)).toMatch(/SIGNIN_CERT_MALFORMED: the SID extension does not hold a SID/);
    const good = parseCertificate(w.leaf(w.alice).der);
    expect(good.notAfter.getTime()).toBeGreaterThan(Date.now());
    // Swap the UTCTime notAfter for a GeneralizedTime with fractional seconds (RFC 5280 §4.1.2.5.2).
    const der = Buffer.from(w.leaf(w.alice).der);
    const i = der.indexOf(Buffer.from([0x17, 0x0d]), der.indexOf(Buffer.from([0x17, 0x0d])) + 2);
    const frac = Buffer.concat([
      der.subarray(0, i),
      Buffer.from([0x18, 0x0d]),
      Buffer.from('20991231235.5', 'latin1'),
      der.subarray(i + 15),
    ]);
    expect(parseError(frac)).toMatch(/SIGNIN_CERT_MALFORMED: GeneralizedTime .* is not YYYYMMDDHHMMSSZ/);
  });

  it('refuses deep nesting without a stack overflow, and too many presented certificates', async () => {
    let deep: Buffer = integer(1);
    for (let i = 0; i < 10_000; i++) deep = seq(deep);
    const t0 = performance.now();
    expect(parseError(deep)).toMatch(/SIGNIN_CERT_MALFORMED/);
    expect(performance.now() - t0).toBeLessThan(100);
    const leaf = w.leaf(w.alice);
    const d = await w.validator().validate(Array(9).fill(leaf.der), TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'parse', code: 'SIGNIN_CERT_MALFORMED' });
    expect(d.ok || d.detail).toMatch(/9 certificates presented/);
  });
});

describe('path building to trust anchors and the authentication trust list (docs/security.md §8.3–8.4)', () => {
  it('refuses a certificate from another CA carrying a valid UPN and SID: no path to a trust anchor', async () => {
    const other = hierarchy(w.pki, 'Evil');
    const leaf = makeCert({
      subject: [{ type: 'CN', value: 'Alice' }],
      issuer: other.issuing,
      ca: false,
      eku: [OID.smartcardLogon],
      san: [{ type: 'upn', value: w.alice.upn! }],
      sid: w.alice.sid!,
    });
    const d = await w.validator().validate([leaf.der, other.issuing.der, other.root.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'path', code: 'SIGNIN_CHAIN_UNTRUSTED' });
  });

  it('refuses another trusted root whose CA is not in the authentication trust list (NTAuth)', async () => {
    const other = hierarchy(w.pki, 'Public');
    const leaf = makeCert({
      subject: [{ type: 'CN', value: 'Alice' }],
      issuer: other.issuing,
      ca: false,
      eku: [OID.smartcardLogon],
      san: [{ type: 'upn', value: w.alice.upn! }],
      sid: w.alice.sid!,
    });
    // The other root is trusted (say, for TLS), but only Unit Issuing CA may issue sign-in certificates.
    const v = w.validator({ trustAnchors: [w.root.der, other.root.der] });
    const d = await v.validate([leaf.der, other.issuing.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'authenticationCa', code: 'SIGNIN_CA_NOT_TRUSTED_FOR_LOGON' });
    expect(d.ok || d.detail).toMatch(
      /"CN=Public Issuing CA,O=Public Org" chains to the trusted root "CN=Public Root CA,O=Public Org" but is not in the authentication trust list/,
    );
  });

  it("refuses a certificate that copies the issuing CA's name but is signed by another key", async () => {
    const forged = w.leaf(w.alice, { signingKey: newKey() });
    const d = await w.validator().validate([forged.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'path', code: 'SIGNIN_SIGNATURE_INVALID' });
  });

  it('refuses SHA-1 signatures and RSA keys below 2048 bits', async () => {
    const sha1 = w.leaf(w.alice, { hash: 'sha1' });
    expect(failedCheck(await w.validator().validate([sha1.der], TLS_POSSESSION))).toMatchObject({
      code: 'SIGNIN_SIGNATURE_INVALID',
    });
    const weak = w.leaf(w.alice, { key: newKey('rsa1024') });
    const d = await w.validator().validate([weak.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'signatures', code: 'SIGNIN_SIGNATURE_INVALID' });
    expect(d.ok || d.detail).toMatch(/RSA key of 1024 bits/);
  });

  it('stops at the depth limit', async () => {
    let ca = w.issuing;
    const chain = [];
    for (let i = 0; i < 6; i++) {
      ca = makeCert({ subject: [{ type: 'CN', value: `Sub ${i}` }], issuer: ca, ca: true });
      chain.unshift(ca.der);
    }
    const leaf = w.leaf(w.alice, { issuer: ca });
    const d = await w.validator().validate([leaf.der, ...chain], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'path', code: 'SIGNIN_CHAIN_UNTRUSTED' });
  });
});

describe('CA constraints (RFC 5280 §6.1.4; docs/security.md §8.6)', () => {
  it('refuses an end-entity certificate with cA TRUE', async () => {
    const d = await w.validator().validate([w.leaf(w.alice, { ca: true }).der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'constraints', code: 'SIGNIN_BASIC_CONSTRAINTS' });
  });

  it('refuses a path through an end entity acting as a CA, a CA without keyCertSign, and a broken pathLenConstraint', async () => {
    // An end entity in the middle of the path: NTAuth CA ← "Not a CA" ← root.
    const notCa = makeCert({
      subject: [{ type: 'CN', value: 'Not a CA' }],
      issuer: w.root,
      ca: false,
      keyUsage: ['digitalSignature', 'keyCertSign'],
    });
    const under = makeCert({ subject: [{ type: 'CN', value: 'Under an end entity' }], issuer: notCa, ca: true });
    let d = await w
      .validator({ authenticationCas: [under.der] })
      .validate([w.leaf(w.alice, { issuer: under }).der, under.der, notCa.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'constraints', code: 'SIGNIN_BASIC_CONSTRAINTS' });
    expect(d.ok || d.detail).toMatch(/"CN=Not a CA" issued "CN=Under an end entity" but is not a CA/);

    const noCertSign = makeCert({
      subject: [{ type: 'CN', value: 'No keyCertSign' }],
      issuer: w.root,
      ca: true,
      keyUsage: ['digitalSignature', 'cRLSign'],
    });
    d = await new SmartCardValidator(
      { trustAnchors: [w.root.der], authenticationCas: [noCertSign.der, w.issuing.der], revocation: { crlCacheMs: 0 } },
      { accounts: w.ca.t.directory },
    ).validate([w.leaf(w.alice, { issuer: noCertSign }).der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'constraints', code: 'SIGNIN_BASIC_CONSTRAINTS' });
    expect(d.ok || d.detail).toMatch(/no keyCertSign/);

    const sub = makeCert({ subject: [{ type: 'CN', value: 'Below pathLen 0' }], issuer: w.issuing, ca: true });
    d = await w
      .validator({ authenticationCas: [sub.der] })
      .validate([w.leaf(w.alice, { issuer: sub }).der, sub.der, w.issuing.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'constraints', code: 'SIGNIN_BASIC_CONSTRAINTS' });
    expect(d.ok || d.detail).toMatch(/allows 0 CA certificates below it, the path has 1/);
  });
});

describe('validity at the injected clock', () => {
  it('refuses an expired certificate and one not yet valid, allowing the configured skew', async () => {
    const leaf = w.leaf(w.alice, {
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 86_400_000),
    });
    const later = new Date(Date.now() + 2 * 86_400_000);
    let d = await w.validator({}, () => later).validate([leaf.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'validity', code: 'SIGNIN_CERT_EXPIRED' });
    expect(d.ok || d.detail).toMatch(/expired at/);
    const future = w.leaf(w.alice, { notBefore: new Date(Date.now() + 3600_000) });
    d = await w.validator().validate([future.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'validity', code: 'SIGNIN_CERT_EXPIRED' });
    expect(d.ok || d.detail).toMatch(/not valid before/);
    // A certificate is not valid before its notBefore (RFC 5280 §6.1.3 (a)(2)): no skew by
    // default, not even five seconds; two minutes ahead passes only with a configured skew.
    const seconds = w.leaf(w.alice, { notBefore: new Date(Date.now() + 5_000) });
    d = await w.validator().validate([seconds.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'validity', code: 'SIGNIN_CERT_EXPIRED' });
    const slightly = w.leaf(w.alice, { notBefore: new Date(Date.now() + 120_000) });
    expect(failedCheck(await w.validator().validate([slightly.der], TLS_POSSESSION))).toMatchObject({
      id: 'validity',
      code: 'SIGNIN_CERT_EXPIRED',
    });
    expect((await w.validator({ notBeforeSkewSeconds: 300 }).validate([slightly.der], TLS_POSSESSION)).ok).toBe(true);
  });
});

describe('key usage and extended key usage (ff404293; ESC2, ESC15)', () => {
  it('refuses an end entity without digitalSignature, or without a keyUsage extension', async () => {
    let d = await w.validator().validate([w.leaf(w.alice, { keyUsage: ['keyEncipherment'] }).der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'keyUsage', code: 'SIGNIN_KEY_USAGE' });
    d = await w.validator().validate([w.leaf(w.alice, { keyUsage: null }).der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'keyUsage', code: 'SIGNIN_KEY_USAGE' });
  });

  it('requires Smart Card Logon by default; Client Authentication only where configured; never Any Purpose or no EKU', async () => {
    const clientOnly = w.leaf(w.alice, { eku: [OID.clientAuth] });
    expect(failedCheck(await w.validator().validate([clientOnly.der], TLS_POSSESSION))).toMatchObject({
      id: 'eku',
      code: 'SIGNIN_EKU',
    });
    expect((await w.validator({ eku: 'clientAuthentication' }).validate([clientOnly.der], TLS_POSSESSION)).ok).toBe(
      true,
    );
    expect((await w.validator({ eku: 'either' }).validate([clientOnly.der], TLS_POSSESSION)).ok).toBe(true);
    const email = w.leaf(w.alice, { eku: [OID.emailProtection] });
    expect(failedCheck(await w.validator({ eku: 'either' }).validate([email.der], TLS_POSSESSION))).toMatchObject({
      code: 'SIGNIN_EKU',
    });
    const any = w.leaf(w.alice, { eku: [OID.anyExtendedKeyUsage] });
    expect(failedCheck(await w.validator({ eku: 'either' }).validate([any.der], TLS_POSSESSION))).toMatchObject({
      code: 'SIGNIN_EKU',
    });
    const none = w.leaf(w.alice, { eku: null });
    expect(failedCheck(await w.validator().validate([none.der], TLS_POSSESSION))).toMatchObject({ code: 'SIGNIN_EKU' });
  });

  it('refuses when the MS application policies disagree with the EKU (ESC15), and accepts when they agree', async () => {
    const disagree = w.leaf(w.alice, { appPolicies: [OID.emailProtection] });
    const d = await w.validator().validate([disagree.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'eku', code: 'SIGNIN_EKU' });
    expect(d.ok || d.detail).toMatch(/application policies/);
    const agree = w.leaf(w.alice, { appPolicies: [OID.smartcardLogon, OID.clientAuth] });
    expect((await w.validator().validate([agree.der], TLS_POSSESSION)).ok).toBe(true);
  });

  it('refuses a leaf under a CA whose own EKU excludes sign-in', async () => {
    const tlsOnly = makeCert({
      subject: [{ type: 'CN', value: 'TLS-only CA' }],
      issuer: w.root,
      ca: true,
      eku: [OID.serverAuth],
      crlUrls: [`${w.pki.url}/Unit-root.crl`],
    });
    const d = await w
      .validator({ authenticationCas: [tlsOnly.der] })
      .validate([w.leaf(w.alice, { issuer: tlsOnly }).der, tlsOnly.der], TLS_POSSESSION);
    expect(failedCheck(d)).toMatchObject({ id: 'eku', code: 'SIGNIN_EKU' });
    expect(d.ok || d.detail).toMatch(/restricted to EKU/);
  });
});

describe('configuration', () => {
  const configError = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return `${(e as TesseraError).code}: ${(e as TesseraError).detail}`;
    }
    return 'accepted';
  };

  it('refuses a trust list that holds an end-entity certificate, and weak explicit mappings (ESC14)', () => {
    const leaf = w.leaf(w.alice);
    const accounts = { accounts: w.ca.t.directory };
    expect(
      configError(
        () => new SmartCardValidator({ trustAnchors: [leaf.der], authenticationCas: [w.issuing.der] }, accounts),
      ),
    ).toMatch(/^CONFIG_INVALID: .* is not a CA certificate/);
    expect(
      configError(
        () =>
          new SmartCardValidator(
            {
              trustAnchors: [w.root.der],
              authenticationCas: [w.issuing.der],
              mapping: { explicit: { alice: ['X509:<I>CN=Unit Issuing CA<S>CN=Alice'] } },
            },
            accounts,
          ),
      ),
    ).toMatch(/^CONFIG_INVALID: .*weak .*ESC14/);
    expect(
      configError(
        () =>
          new SmartCardValidator(
            {
              trustAnchors: [w.root.der],
              authenticationCas: [w.issuing.der],
              mapping: { explicit: { alice: ['X509:<RFC822>alice@example.com'] } },
            },
            accounts,
          ),
      ),
    ).toMatch(/^CONFIG_INVALID: .*weak/);
  });
});
