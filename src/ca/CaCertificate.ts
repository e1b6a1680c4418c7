/**
 * The facts about a CA certificate the issuance path needs, read once at start: its
 * subject (our issuer field), key identifier (our AKI), validity (our clamp). A view over
 * the one certificate reader (x509/certificate.ts); it reads user certificates too (cards,
 * issued-certificate pages).
 */
import { keyIdOf, readCertificate, type ParsedCertificate } from '../x509/certificate.js';

export interface CaCertificate extends Omit<ParsedCertificate, 'subject' | 'issuer'> {
  readonly subjectDer: Buffer;
  /** The subject as text (ParsedCertificate.subjectText). */
  readonly subject: string;
  readonly issuerDer: Buffer;
  /** subjectKeyIdentifier extension value, or the RFC 5280 method-1 hash when absent. */
  readonly keyId: Buffer;
  /** Subject and issuer are the same octets. */
  readonly selfSigned: boolean;
}

/**
 * Read strictly; an unrecognised critical extension is recorded in `unknownCritical`, not
 * refused: nothing here relies on a certificate as a relying party would (RFC 5280 §6.1.4 (o)
 * is path validation's, signin/validatePath.ts). Throws TesseraError REQUEST_MALFORMED.
 */
export function readCaCertificate(der: Buffer): CaCertificate {
  const { subject, issuer, ...c } = readCertificate(der, { unknownCritical: 'record' });
  const keyId = keyIdOf(c);
  const selfSigned = subject.equals(issuer);
  return { ...c, subjectDer: subject, subject: c.subjectText, issuerDer: issuer, keyId, selfSigned };
}
