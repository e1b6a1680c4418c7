/**
 * Lint before signing (lintCertificate.ts): each RFC 5280 / smart card logon rule on its
 * own, against a profile that is otherwise clean.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OID } from '../x509/oids.js';
import type { CaCertificate } from './CaCertificate.js';
import type { IssuanceProfile } from './IssuanceProfile.js';
import { lintCertificate, type LintContext } from './lintCertificate.js';

const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
const issuer = {
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date('2036-01-01T00:00:00Z'),
} as CaCertificate;

const clean: IssuanceProfile = {
  template: { name: 'SmartcardUser', schemaVersion: 1, oid: null, majorVersion: 1, minorVersion: 0 },
  subject: [{ type: 'CN', value: 'Alice' }],
  san: [
    { type: 'upn', value: 'alice@tessera.local' },
    { type: 'email', value: 'alice@example.com' },
  ],
  sid: 'S-1-5-21-1-2-3-1100',
  ekus: [OID.clientAuth, OID.emailProtection, OID.smartcardLogon],
  keyUsage: ['digitalSignature', 'keyAgreement'],
  applicationPolicies: false,
  validityDays: 365,
  spki,
  key: { kind: 'ec', curve: 'P-256' },
  subjectUser: 'alice',
};

const ctx: LintContext = {
  issuer,
  serial: Buffer.from('4'.padEnd(32, 'a'), 'hex'),
  notBefore: new Date('2026-06-01T00:00:00Z'),
  notAfter: new Date('2027-06-01T00:00:00Z'),
  crlUrls: ['http://pki.test.invalid/pki/issuing.crl'],
  ocspUrl: 'http://pki.test.invalid/ocsp',
};

const lint = (p: Partial<IssuanceProfile> = {}, c: Partial<LintContext> = {}) =>
  lintCertificate({ ...clean, ...p }, { ...ctx, ...c });

describe('lintCertificate', () => {
  it('passes a clean Smartcard User profile', () => {
    expect(lint()).toEqual([]);
  });

  it('refuses serials that are too short, too long, negative or not minimal (RFC 5280 §4.1.2.2)', () => {
    expect(lint({}, { serial: Buffer.alloc(8, 0x41) })).toContain('serial is 8 octets (must be 9–20)');
    expect(lint({}, { serial: Buffer.alloc(21, 0x41) })).toContain('serial is 21 octets (must be 9–20)');
    expect(lint({}, { serial: Buffer.alloc(16, 0x81) })).toContain('serial is negative or not minimally encoded');
    expect(lint({}, { serial: Buffer.concat([Buffer.from([0]), Buffer.alloc(15, 0x41)]) })).toContain(
      'serial is negative or not minimally encoded',
    );
  });

  it('refuses validity outside the issuer, empty, or with fractional seconds (RFC 5280 §4.1.2.5)', () => {
    expect(lint({}, { notAfter: new Date('2036-01-01T00:00:01Z') })).toContain('notAfter is after the issuer expires');
    expect(lint({}, { notBefore: new Date('2025-12-31T23:59:59Z') })).toContain(
      'notBefore is before the issuer was valid',
    );
    expect(lint({}, { notAfter: ctx.notBefore })).toContain('empty validity period');
    expect(lint({}, { notBefore: new Date('2026-06-01T00:00:00.500Z') })).toContain('validity has fractional seconds');
  });

  it('refuses an empty subject without SANs (RFC 5280 §4.1.2.6)', () => {
    expect(lint({ subject: [], san: [], ekus: [OID.serverAuth], sid: null, subjectUser: null })).toContain(
      'neither subject nor subject alternative names',
    );
  });

  it('refuses encipherment on EC keys and key agreement on RSA keys (RFC 5480 §3)', () => {
    expect(lint({ keyUsage: ['digitalSignature', 'keyEncipherment'] })).toContain('keyEncipherment on an EC key');
    expect(lint({ key: { kind: 'rsa', bits: 2048 }, keyUsage: ['digitalSignature', 'keyAgreement'] })).toContain(
      'keyAgreement on an RSA key',
    );
  });

  it('refuses RSA below 2048 bits even if policy let it through', () => {
    expect(lint({ key: { kind: 'rsa', bits: 1024 }, keyUsage: ['digitalSignature', 'keyEncipherment'] })).toContain(
      'RSA key below 2048 bits',
    );
  });

  it('refuses no EKU and Any Purpose (ESC2), and no key usage', () => {
    expect(lint({ ekus: [] })).toContain('no extended key usage');
    expect(lint({ ekus: [OID.anyExtendedKeyUsage] })).toContain('Any Purpose EKU');
    expect(lint({ keyUsage: [] })).toContain('no key usage');
  });

  it('refuses a user authentication certificate without the SID (KB5014754, ESC9/ESC16)', () => {
    expect(lint({ sid: null })).toContain('authentication certificate without the SID extension');
    expect(lint({ sid: null, ekus: [OID.pkinitClientAuth] })).toContain(
      'authentication certificate without the SID extension',
    );
  });

  it('refuses Smart Card Logon without digitalSignature or UPN (learn.microsoft.com ff404293)', () => {
    expect(lint({ keyUsage: ['keyAgreement'] })).toContain('Smart Card Logon without digitalSignature');
    expect(lint({ san: [{ type: 'email', value: 'alice@example.com' }] })).toContain('Smart Card Logon without a UPN');
  });

  it('refuses a certificate without a CRL distribution point', () => {
    expect(lint({}, { crlUrls: [] })).toContain('no CRL distribution point');
  });

  it('refuses malformed or duplicate names', () => {
    expect(lint({ san: [{ type: 'upn', value: 'alice at tessera' }] })).toContain('malformed UPN alice at tessera');
    expect(
      lint({
        san: [
          { type: 'upn', value: 'alice@tessera.local' },
          { type: 'email', value: 'zoë@example.com' },
        ],
      }),
    ).toContain('malformed e-mail zoë@example.com');
    expect(
      lint({
        san: [
          { type: 'upn', value: 'alice@tessera.local' },
          { type: 'upn', value: 'ALICE@tessera.local' },
        ],
      }),
    ).toContain('duplicate subject alternative name');
  });

  it('allows ocsp-nocheck only on an OCSP-signing-only certificate (RFC 6960 §4.2.2.2.1)', () => {
    const responder = {
      ekus: [OID.OCSPSigning],
      sid: null,
      subjectUser: null,
      san: [],
      keyUsage: ['digitalSignature' as const],
      ocspNoCheck: true,
    };
    expect(lint(responder)).toEqual([]);
    expect(lint({ ...responder, ekus: [OID.OCSPSigning, OID.clientAuth] })).toContain(
      'ocsp-nocheck on a certificate that is not only for OCSP signing',
    );
  });

  it('lists every problem, not just the first', () => {
    expect(lint({ ekus: [], keyUsage: [] }, { crlUrls: [] }).length).toBeGreaterThanOrEqual(3);
  });
});
