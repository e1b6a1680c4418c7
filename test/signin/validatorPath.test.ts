/**
 * The smart card validator on top of validatePath: the RFC 5280 §6.1 rules reach the
 * sign-in decision under the right check, an extra certificate the client sends cannot
 * break a valid sign-in, and the revocation modes (hard-fail, soft-fail with warnings, CRL
 * only from local files, OCSP only) behave as docs/signin.md says. Real HTTP responder
 * (PkiServer) and a real Tessera directory, as in validator.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigninDecision } from '../../src/signin/SmartCardValidator.js';
import { seq, tlv } from '../../src/x509/der.js';
import { extension } from '../../src/x509/extensions.js';
import { encodeGeneralName } from '../../src/x509/generalNames.js';
import { OID } from '../../src/x509/oids.js';
import { craftedWorld, TLS_POSSESSION, type CraftedWorld } from './support/crafted.js';
import { makeCert, makeCrl } from './support/pki.js';

let w: CraftedWorld;
beforeAll(async () => {
  w = await craftedWorld();
});
afterAll(async () => w?.close());

const failed = (d: SigninDecision) => d.checks.find((c) => c.status === 'failed');

describe('RFC 5280 §6.1 rules in the sign-in decision', () => {
  it('a sub-CA with a non-critical UPN name constraint cannot sign anyone in outside it', async () => {
    const upnOnly = extension(
      OID.nameConstraints,
      false,
      seq(tlv(0xa0, seq(encodeGeneralName({ type: 'upn', value: '@partner.example' })))),
    );
    const sub = makeCert({
      subject: [
        { type: 'O', value: 'Unit Org' },
        { type: 'CN', value: 'Partner CA' },
      ],
      issuer: w.root,
      ca: true,
      extra: [upnOnly],
    });
    const leaf = w.leaf(w.alice, { issuer: sub });
    const d = await w
      .validator({ authenticationCas: [w.issuing.der, sub.der] })
      .validate([leaf.der, sub.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ id: 'constraints', code: 'SIGNIN_NAME_CONSTRAINTS' });
    expect(d.ok || d.detail).toMatch(/UPN alice@.* is not within the permitted subtrees of "CN=Partner CA,O=Unit Org"/);
  });

  it('a non-critical requireExplicitPolicy is not ignored', async () => {
    const explicit = extension(OID.policyConstraints, false, seq(tlv(0x80, Buffer.from([0]))));
    const policies = extension(OID.certificatePolicies, false, seq(seq(tlv(0x06, Buffer.from([0x2a, 0x03, 0x04])))));
    const sub = makeCert({
      subject: [
        { type: 'O', value: 'Unit Org' },
        { type: 'CN', value: 'Policy CA' },
      ],
      issuer: w.root,
      ca: true,
      extra: [policies, explicit],
    });
    const d = await w
      .validator({ authenticationCas: [w.issuing.der, sub.der] })
      .validate([w.leaf(w.alice, { issuer: sub }).der, sub.der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ id: 'constraints', code: 'SIGNIN_POLICY' });
  });

  it('an extra presented certificate with an unknown critical extension does not refuse a valid sign-in; on the path it does', async () => {
    const unknown = extension('1.3.6.1.4.1.55555.7', true, Buffer.from([5, 0]));
    const stray = makeCert({
      subject: [{ type: 'CN', value: 'Stray CA' }],
      issuer: w.root,
      ca: true,
      extra: [unknown],
    });
    const ok = await w.validator().validate([w.leaf(w.alice).der, w.issuing.der, stray.der], TLS_POSSESSION);
    expect(ok.ok, JSON.stringify(failed(ok))).toBe(true);
    const d = await w.validator().validate([w.leaf(w.alice, { extra: [unknown] }).der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ id: 'constraints', code: 'SIGNIN_UNKNOWN_CRITICAL_EXTENSION' });
  });

  it('profile rules reach the decision: a leaf without AKI, serial zero', async () => {
    let d = await w.validator().validate([w.leaf(w.alice, { omit: [OID.authorityKeyIdentifier] }).der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ id: 'constraints', code: 'SIGNIN_CERT_PROFILE' });
    d = await w.validator().validate([w.leaf(w.alice, { serial: 0n }).der], TLS_POSSESSION);
    expect(failed(d)).toMatchObject({ id: 'constraints', code: 'SIGNIN_CERT_PROFILE' });
  });
});

describe('configuration', () => {
  it('refuses at start a trust anchor no path could end at (basicConstraints not critical)', async () => {
    const { SmartCardValidator } = await import('../../src/signin/SmartCardValidator.js');
    const soft = makeCert({
      subject: [{ type: 'CN', value: 'Soft Root' }],
      ca: null,
      keyUsage: ['keyCertSign', 'cRLSign'],
      extra: [extension(OID.basicConstraints, false, seq(tlv(0x01, Buffer.from([0xff]))))],
    });
    let message = 'accepted';
    try {
      new SmartCardValidator(
        { trustAnchors: [soft.der], authenticationCas: [w.issuing.der] },
        { accounts: w.ca.t.directory },
      );
    } catch (e) {
      message = `${(e as { code: string }).code}: ${(e as { detail: string }).detail}`;
    }
    expect(message).toMatch(/^CONFIG_INVALID: the trust anchor "CN=Soft Root" cannot be used: .*not critical/);
  });
});

describe('revocation modes', () => {
  const offline = () => {
    w.pki.ocsp = () => ({ status: 503 });
    w.pki.crls.set('Unit-issuing.crl', { status: 404 });
    w.pki.crls.set('Unit-root.crl', { status: 404 });
  };
  const restore = () => {
    w.publishCrls();
    w.ocspGood();
  };

  it('hard-fail (default) refuses an unknown status; soft-fail lets it through with a warning, never a revoked one', async () => {
    offline();
    try {
      const hard = await w.validator().validate([w.leaf(w.alice).der], TLS_POSSESSION);
      expect(failed(hard)).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOCATION_UNKNOWN' });
      const soft = await w
        .validator({ revocation: { crlCacheMs: 0, timeoutMs: 2000, mode: 'soft-fail' } })
        .validate([w.leaf(w.alice).der], TLS_POSSESSION);
      expect(soft.ok, JSON.stringify(failed(soft))).toBe(true);
      if (!soft.ok) return;
      expect(soft.warnings?.length).toBe(2);
      expect(soft.warnings?.[0]).toMatch(/revocation status of "CN=Alice,O=Unit Org" .* unknown, allowed by soft-fail/);
      expect(soft.checks.find((c) => c.id === 'revocation')!.summary).toMatch(/UNKNOWN \(soft-fail\)/);
    } finally {
      restore();
    }
    const leaf = w.leaf(w.alice);
    w.pki.ocsp = () => ({ status: 503 });
    w.publishCrls({ revokedLeaves: [leaf.serial] });
    try {
      const d = await w
        .validator({ revocation: { crlCacheMs: 0, timeoutMs: 2000, mode: 'soft-fail' } })
        .validate([leaf.der], TLS_POSSESSION);
      expect(failed(d)).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOKED' });
    } finally {
      restore();
    }
  });

  it('CRL only from local files, for a relying party that is offline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-crls-'));
    const leaf = w.leaf(w.alice);
    writeFileSync(join(dir, 'root.crl'), makeCrl({ issuer: w.root }));
    writeFileSync(join(dir, 'issuing.crl'), makeCrl({ issuer: w.issuing }));
    offline();
    try {
      const v = () => w.validator({ revocation: { ocsp: false, crlFiles: [dir], crlCacheMs: 0, timeoutMs: 2000 } });
      const d = await v().validate([leaf.der], TLS_POSSESSION);
      expect(d.ok, JSON.stringify(failed(d))).toBe(true);
      writeFileSync(
        join(dir, 'issuing.crl'),
        makeCrl({ issuer: w.issuing, revoked: [{ serial: leaf.serial, reason: 1 }] }),
      );
      const r = await v().validate([leaf.der], TLS_POSSESSION);
      expect(failed(r)).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOKED' });
      expect(r.ok || r.detail).toMatch(/^local CRL: .*reason 1/);
    } finally {
      restore();
    }
  });

  it('CRLs partitioned by reason over HTTP: both partitions needed, a revocation in either found', async () => {
    // RFC 5280 §4.2.1.13 DistributionPoint { [0] { fullName [0] { URI } }, reasons [1] } and
    // §5.2.5 IssuingDistributionPoint { [0] { fullName [0] { URI } }, onlySomeReasons [3] }.
    const compromise = Buffer.from([0x05, 0x60]); // keyCompromise, cACompromise
    const others = Buffer.from([0x07, 0x1f, 0x80]); // affiliationChanged … aACompromise
    const u1 = `${w.pki.url}/part-compromise.crl`;
    const u2 = `${w.pki.url}/part-other.crl`;
    const dp = (u: string, reasons: Buffer) => seq(tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from(u)))), tlv(0x81, reasons));
    const idp = (u: string, reasons: Buffer) =>
      extension(
        OID.issuingDistributionPoint,
        true,
        seq(tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from(u)))), tlv(0x83, reasons)),
      );
    const leaf = w.leaf(w.alice, {
      crlUrls: [],
      ocspUrl: undefined,
      extra: [extension(OID.cRLDistributionPoints, false, seq(dp(u1, compromise), dp(u2, others)))],
    });
    const publish = (revoked: { serial: string; reason: number }[] = []) => {
      w.pki.crls.set(
        'part-compromise.crl',
        makeCrl({ issuer: w.issuing, extra: [idp(u1, compromise)], revoked: revoked.filter((r) => r.reason <= 2) }),
      );
      w.pki.crls.set(
        'part-other.crl',
        makeCrl({ issuer: w.issuing, extra: [idp(u2, others)], revoked: revoked.filter((r) => r.reason > 2) }),
      );
    };
    const v = () => w.validator({ revocation: { ocsp: false, crlCacheMs: 0, timeoutMs: 2000 } });
    try {
      publish();
      const ok = await v().validate([leaf.der], TLS_POSSESSION);
      expect(ok.ok, JSON.stringify(failed(ok))).toBe(true);
      publish([{ serial: leaf.serial, reason: 4 }]);
      const r = await v().validate([leaf.der], TLS_POSSESSION);
      expect(failed(r)).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOKED' });
      expect(r.ok || r.detail).toMatch(/reason 4/);
      // One partition missing: the other reasons are not covered, the status is unknown.
      publish();
      w.pki.crls.set('part-other.crl', { status: 404 });
      const u = await v().validate([leaf.der], TLS_POSSESSION);
      expect(failed(u)).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOCATION_UNKNOWN' });
    } finally {
      w.pki.crls.delete('part-compromise.crl');
      w.pki.crls.delete('part-other.crl');
    }
  });

  it('OCSP only does not fall back to the CRL', async () => {
    w.pki.ocsp = () => ({ status: 503 });
    try {
      const before = w.pki.requests.filter((r) => r.endsWith('.crl')).length;
      const d = await w
        .validator({ revocation: { crl: false, crlCacheMs: 0, timeoutMs: 2000 } })
        .validate([w.leaf(w.alice).der], TLS_POSSESSION);
      expect(failed(d)).toMatchObject({ id: 'revocation', code: 'SIGNIN_REVOCATION_UNKNOWN' });
      expect(w.pki.requests.filter((r) => r.endsWith('.crl')).length).toBe(before);
    } finally {
      restore();
    }
  });
});
