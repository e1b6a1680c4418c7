/**
 * CA certificates for `tessera init`: a self-signed root and the issuing CA it signs
 * (RFC 5280 §4.2.1.9 basicConstraints, §4.2.1.3 keyCertSign/cRLSign). CA certificates
 * carry no EKU, so no purpose is excluded down the chain (smart card logon needs its
 * EKUs valid through the whole chain, KB281245).
 */
import { randomBytes } from 'node:crypto';
import type { Signer } from '../keys/Signer.js';
import { bitString, explicit, integer, integerFromUnsigned, seq, time } from '../x509/der.js';
import {
  authorityInfoAccessExtension,
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  crlDistributionPointsExtension,
  extension,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
} from '../x509/extensions.js';
import { encodeName, type NameAttribute } from '../x509/name.js';
import { OID } from '../x509/oids.js';
import { keyIdentifier } from '../x509/publicKey.js';
import type { CaCertificate } from './CaCertificate.js';

export interface CaCertificateRequest {
  /** Signs the certificate: the root's own signer for a root, the parent's for a subordinate. */
  readonly issuerSigner: Signer;
  /** The parent CA, or undefined for a self-signed root. */
  readonly issuer?: CaCertificate;
  readonly subjectKey: Buffer;
  readonly subject: readonly NameAttribute[];
  readonly validityDays: number;
  /** pathLenConstraint; 0 for an issuing CA that signs only end entities. */
  readonly pathLen?: number;
  /** Where the parent publishes its CRL and certificate (subordinates only). */
  readonly crlUrl?: string;
  readonly caIssuersUrl?: string;
  /** szOID_CERTSRV_CA_VERSION renewal index. */
  readonly renewal?: number;
  readonly now?: Date;
}

export async function createCaCertificate(r: CaCertificateRequest): Promise<Buffer> {
  const now = r.now ?? new Date();
  const serial = randomBytes(16);
  serial[0] = 0x40 | (serial[0] & 0x3f);
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
  let notAfter = new Date(notBefore.getTime() + r.validityDays * 86_400_000);
  if (r.issuer && notAfter > r.issuer.notAfter) notAfter = r.issuer.notAfter;
  const subject = encodeName(r.subject);
  const exts: Buffer[] = [
    basicConstraintsExtension(true, r.pathLen),
    keyUsageExtension(['digitalSignature', 'keyCertSign', 'cRLSign']),
    subjectKeyIdentifierExtension(keyIdentifier(r.subjectKey)),
  ];
  if (r.issuer) {
    exts.push(authorityKeyIdentifierExtension(r.issuer.keyId));
    if (r.crlUrl) exts.push(crlDistributionPointsExtension([r.crlUrl]));
    if (r.caIssuersUrl) exts.push(authorityInfoAccessExtension({ caIssuers: r.caIssuersUrl }));
  }
  // AD CS writes the CA version (renewal index) so Windows clients can tell renewals apart.
  exts.push(extension(OID.caVersion, false, integer(r.renewal ?? 0)));
  const tbs = seq(
    explicit(0, integer(2)),
    integerFromUnsigned(serial),
    r.issuerSigner.algorithm,
    r.issuer ? r.issuer.subjectDer : subject,
    seq(time(notBefore), time(notAfter)),
    subject,
    r.subjectKey,
    explicit(3, seq(...exts)),
  );
  const sig = await r.issuerSigner.sign(tbs);
  return seq(tbs, r.issuerSigner.algorithm, bitString(sig));
}
