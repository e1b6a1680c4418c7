/**
 * Encoding OCSP responses (RFC 6960 §4.2.1, ASN.1 module with EXPLICIT TAGS, §B.1):
 *
 *   OCSPResponse ::= SEQUENCE { responseStatus OCSPResponseStatus, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
 *   ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
 *   BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm AlgorithmIdentifier,
 *                                    signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 *   ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, responderID ResponderID,
 *                               producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse,
 *                               responseExtensions [1] EXPLICIT Extensions OPTIONAL }
 *   ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }
 *   SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
 *                                 nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL,
 *                                 singleExtensions [1] EXPLICIT Extensions OPTIONAL }
 *   CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT UnknownInfo }
 *   RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
 *
 * Times are GeneralizedTime without fractional seconds (research/libraries.md pitfall 6).
 */
import { bitString, enumerated, explicit, generalizedTime, nul, octets, oid, seq, tlv } from '../../x509/der.js';
import { extension } from '../../x509/extensions.js';
import { OID } from '../../x509/oids.js';

/** OCSPResponseStatus (RFC 6960 §4.2.1); 4 is not used. */
export const OCSP_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;
export type OcspStatusName = keyof typeof OCSP_STATUS;

/** id-pkix-ocsp-extended-revoke (RFC 6960 §4.4.8). */
export const OID_EXTENDED_REVOKE = '1.3.6.1.5.5.7.48.1.9';

/** An unsuccessful OCSPResponse: the status alone, no responseBytes (RFC 6960 §4.2.1). */
const ERRORS = new Map<number, Buffer>(Object.values(OCSP_STATUS).map((s) => [s, seq(enumerated(s))]));
export function ocspErrorResponse(status: Exclude<OcspStatusName, 'successful'>): Buffer {
  return ERRORS.get(OCSP_STATUS[status])!;
}

export type CertStatus =
  | { readonly kind: 'good' }
  | { readonly kind: 'revoked'; readonly revokedAt: Date; readonly reason: number | null }
  | { readonly kind: 'unknown' };

const GOOD = Buffer.from([0x80, 0x00]);
const UNKNOWN = Buffer.from([0x82, 0x00]);

function certStatus(s: CertStatus): Buffer {
  if (s.kind === 'good') return GOOD;
  if (s.kind === 'unknown') return UNKNOWN;
  // revocationReason is optional; like the CRL, leave it out for unspecified (RFC 5280 §5.3.1).
  const reason = s.reason ? [explicit(0, enumerated(s.reason))] : [];
  return tlv(0xa1, generalizedTime(s.revokedAt), ...reason);
}

export function singleResponse(certIdDer: Buffer, status: CertStatus, thisUpdate: Date, nextUpdate: Date): Buffer {
  return seq(certIdDer, certStatus(status), generalizedTime(thisUpdate), explicit(0, generalizedTime(nextUpdate)));
}

/** ResponderID byKey: [2] EXPLICIT KeyHash, the SHA-1 of the responder's subjectPublicKey bits. */
export const responderIdByKey = (keyHash: Buffer): Buffer => explicit(2, octets(keyHash));

export function responseData(responderId: Buffer, producedAt: Date, singles: readonly Buffer[], extensions: readonly Buffer[]): Buffer {
  const exts = extensions.length ? [explicit(1, seq(...extensions))] : [];
  return seq(responderId, generalizedTime(producedAt), seq(...singles), ...exts);
}

/** The signed response wrapped as a successful OCSPResponse. */
export function successfulResponse(tbsResponseData: Buffer, signatureAlgorithm: Buffer, signature: Buffer, certs: readonly Buffer[]): Buffer {
  const certsField = certs.length ? [explicit(0, seq(...certs))] : [];
  const basic = seq(tbsResponseData, signatureAlgorithm, bitString(signature), ...certsField);
  return seq(enumerated(OCSP_STATUS.successful), explicit(0, seq(oid(OID.ocspBasic), octets(basic))));
}

/** RFC 6960 §4.4.8: sent when "revoked" answers a serial that was never issued (§2.2). */
export const extendedRevokeExtension = (): Buffer => extension(OID_EXTENDED_REVOKE, false, nul());
