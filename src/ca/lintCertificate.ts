/**
 * Lint before signing (Boulder's issuance/cert.go habit): the resolved profile and the
 * certificate fields are checked against RFC 5280 and the smart card logon rules, and a
 * certificate that fails is never signed. A lint failure means a bug or a bad
 * configuration, never bad user input (policy has already refused that).
 */
import { AUTHENTICATION_EKUS, OID } from '../x509/oids.js';
import type { CaCertificate } from './CaCertificate.js';
import type { IssuanceProfile } from './IssuanceProfile.js';

export interface LintContext {
  readonly issuer: CaCertificate;
  readonly serial: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly crlUrls: readonly string[];
  readonly ocspUrl: string | null;
}

export function lintCertificate(p: IssuanceProfile, c: LintContext): string[] {
  const problems: string[] = [];
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; CA/B BR §7.1: at least 64 random bits.
  if (c.serial.length < 9 || c.serial.length > 20) problems.push(`serial is ${c.serial.length} octets (must be 9–20)`);
  if (c.serial[0] & 0x80 || c.serial[0] === 0) problems.push('serial is negative or not minimally encoded');
  // RFC 5280 §4.1.2.5 and §6.1.3: a certificate cannot outlive its issuer.
  if (c.notAfter > c.issuer.notAfter) problems.push('notAfter is after the issuer expires');
  if (c.notBefore < c.issuer.notBefore) problems.push('notBefore is before the issuer was valid');
  if (c.notBefore >= c.notAfter) problems.push('empty validity period');
  if (c.notBefore.getUTCMilliseconds() !== 0 || c.notAfter.getUTCMilliseconds() !== 0)
    problems.push('validity has fractional seconds');
  // RFC 5280 §4.1.2.6 / §4.2.1.6: an empty subject needs a (critical) SAN.
  if (p.subject.length === 0 && p.san.length === 0) problems.push('neither subject nor subject alternative names');
  if (p.keyUsage.length === 0) problems.push('no key usage');
  // RFC 5480 §3: no encipherment usages on EC keys.
  if (p.key.kind === 'ec' && (p.keyUsage.includes('keyEncipherment') || p.keyUsage.includes('dataEncipherment')))
    problems.push('keyEncipherment on an EC key');
  if (p.key.kind === 'rsa' && p.key.bits < 2048) problems.push('RSA key below 2048 bits');
  if (p.key.kind === 'rsa' && p.keyUsage.includes('keyAgreement')) problems.push('keyAgreement on an RSA key');
  // ESC2: explicit, closed purposes.
  if (p.ekus.length === 0) problems.push('no extended key usage');
  if (p.ekus.includes(OID.anyExtendedKeyUsage)) problems.push('Any Purpose EKU');
  const auth = p.ekus.some((e) => AUTHENTICATION_EKUS.includes(e));
  // KB5014754 / ESC9 / ESC16: user authentication certificates always carry the SID.
  if (auth && p.subjectUser !== null && !p.sid) problems.push('authentication certificate without the SID extension');
  if (p.ekus.includes(OID.smartcardLogon)) {
    // learn.microsoft.com ff404293: smart card logon needs digitalSignature, the UPN, and a CDP.
    if (!p.keyUsage.includes('digitalSignature')) problems.push('Smart Card Logon without digitalSignature');
    if (!p.san.some((n) => n.type === 'upn')) problems.push('Smart Card Logon without a UPN');
  }
  if (c.crlUrls.length === 0) problems.push('no CRL distribution point');
  // RFC 6960 §4.2.2.2.1: ocsp-nocheck only on a delegated responder (id-kp-OCSPSigning).
  if (p.ocspNoCheck && (p.ekus.length !== 1 || p.ekus[0] !== OID.OCSPSigning))
    problems.push('ocsp-nocheck on a certificate that is not only for OCSP signing');
  for (const n of p.san) {
    if (n.type === 'upn' && !/^[^@\s]+@[^@\s]+$/.test(n.value)) problems.push(`malformed UPN ${n.value}`);
    if (n.type === 'email' && !/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(n.value))
      problems.push(`malformed e-mail ${n.value}`);
  }
  const kinds = p.san.map((n) => `${n.type}:${typeof n.value === 'string' ? n.value.toLowerCase() : ''}`);
  if (new Set(kinds).size !== kinds.length) problems.push('duplicate subject alternative name');
  return problems;
}
