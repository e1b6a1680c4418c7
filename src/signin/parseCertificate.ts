/**
 * Check 1 of the relying party (docs/security.md §8): a presented certificate, untrusted
 * input from anyone who opens a TLS connection, is read strictly before anything looks
 * at it — by the one certificate reader, x509/certificate.ts. Any failure is
 * SIGNIN_CERT_MALFORMED.
 */
import { readCertificate, type ParsedCertificate, type ReadCertificateOptions } from '../x509/certificate.js';

export type { ParsedCertificate } from '../x509/certificate.js';

/** Read one presented certificate. Throws TesseraError SIGNIN_CERT_MALFORMED. */
export function parseCertificate(
  input: Uint8Array,
  options: Omit<ReadCertificateOptions, 'errorCode'> = {},
): ParsedCertificate {
  return readCertificate(input, { ...options, errorCode: 'SIGNIN_CERT_MALFORMED' });
}

/** A short, safe description for pages and logs. */
export function certificateSummary(c: ParsedCertificate): Record<CertificateSummaryField, string> {
  const { subjectText: subject, issuerText: issuer, serial, fingerprint } = c;
  const [notBefore, notAfter] = [c.notBefore.toISOString(), c.notAfter.toISOString()];
  return { subject, issuer, serial, notBefore, notAfter, fingerprint };
}

type CertificateSummaryField = 'subject' | 'issuer' | 'serial' | 'notBefore' | 'notAfter' | 'fingerprint';
