/**
 * The fields of an X.509 certificate (RFC 5280 §4.1) that signer matching and agent
 * trust need — issuer, serial, validity, key, key identifier, EKU and Microsoft
 * application policies, and the signed TBS with its signature — as a view over the one
 * certificate reader (x509/certificate.ts), which keeps the original DER.
 */
import { keyIdOf, readCertificate, type ParsedCertificate } from '../certificate.js';

export interface SignerCertificate extends ParsedCertificate {
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  /** subjectKeyIdentifier extension value, else RFC 5280 §4.2.1.2 method 1. */
  readonly keyId: Buffer;
  /** extKeyUsage purposes (RFC 5280 §4.2.1.12), empty when absent. */
  readonly ekus: readonly string[];
  /** Microsoft application policies (1.3.6.1.4.1.311.21.10), policyIdentifier of each entry. */
  readonly applicationPolicies: readonly string[];
}

/**
 * Read a certificate carried in a CMS SignedData (or given as an agent's). Any failure is
 * REQUEST_MALFORMED; an unrecognised critical extension is recorded, not refused: these
 * are candidates for a signer, trusted only by agentEvidence's checks (ra/agentEvidence.ts).
 */
export function readSignerCertificate(der: Buffer): SignerCertificate {
  const c = readCertificate(der, { errorCode: 'REQUEST_MALFORMED', unknownCritical: 'record' });
  const views = { issuerDer: c.issuer, subjectDer: c.subject, keyId: keyIdOf(c) };
  return { ...c, ...views, ekus: c.extKeyUsage ?? [], applicationPolicies: c.applicationPolicies ?? [] };
}
