/**
 * The relying party's OCSP client (RFC 6960): build a request for one certificate with a
 * fresh nonce (RFC 8954), and decide whether the answer can be trusted before reading
 * the status in it (docs/security.md §8.10). x509/ocsp.ts encodes the request and decodes the
 * response, strictly.
 *
 * Trust: the signer is the CA itself or a delegated responder certificate carrying
 * id-kp-OCSPSigning issued directly by that CA (§4.2.2.2); the ResponderID names it; the
 * signature verifies under the allow-list; the SingleResponse is for our CertID (§4.2.2.3);
 * thisUpdate is not in the future and not older than the freshness limit, nextUpdate not
 * passed (§4.2.2.1); the nonce we sent is echoed (RFC 8954 §2). Any failure is
 * SIGNIN_OCSP_INVALID; an answer that is not "successful" (tryLater, internalError…) is
 * the responder being unavailable, and the caller falls back to the CRL.
 */
import { TesseraError } from '../errors/TesseraError.js';
import { octets } from '../x509/der.js';
import { encodeCertId, encodeOcspRequest, issuerHashes, ocspStatusName, readOcspResponse } from '../x509/ocsp.js';
import { OID } from '../x509/oids.js';
import { keyIdentifier } from '../x509/publicKey.js';
import { parseCertificate, type ParsedCertificate } from './parseCertificate.js';
import { verifyWith } from './signatures.js';

export interface OcspQuery {
  readonly der: Buffer;
  readonly nonce: Buffer;
  readonly issuerNameHash: Buffer;
  readonly issuerKeyHash: Buffer;
  readonly serial: string;
}

/**
 * One CertID, SHA-1 (RFC 5019 §2.1.1: "MUST use SHA-1 as the hashing algorithm for the
 * CertID.issuerNameHash and CertID.issuerKeyHash values"; not a signature, so SHA-1's
 * collisions do not matter here), and the nonce extension in requestExtensions.
 */
export function buildOcspRequest(cert: ParsedCertificate, issuer: ParsedCertificate, nonce: Buffer): OcspQuery {
  const { nameHash, keyHash } = issuerHashes('sha1', issuer.subject, issuer.spki);
  const der = encodeOcspRequest([encodeCertId(nameHash, keyHash, cert.serialTlv, OID.sha1)], nonce);
  return { der, nonce, issuerNameHash: nameHash, issuerKeyHash: keyHash, serial: cert.serial };
}

export interface OcspCheckOptions {
  readonly now: Date;
  readonly skewMs: number;
  /** Oldest acceptable thisUpdate, as an age. */
  readonly maxAgeMs: number;
  readonly requireNonce: boolean;
  /**
   * Decide the revocation status of a delegated responder certificate that carries no
   * id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1); throws when it is not known to be good.
   */
  readonly checkResponder: (responder: ParsedCertificate) => Promise<void>;
}

export type OcspOutcome =
  /** The responder could not give an answer (HTTP worked, OCSP status was not successful). */
  | { readonly kind: 'unavailable'; readonly reason: string }
  | {
      readonly kind: 'answer';
      readonly status: 'good' | 'revoked' | 'unknown';
      readonly revokedAt?: Date;
      readonly reason?: number;
      readonly thisUpdate: Date;
      readonly nextUpdate?: Date;
      readonly responder: 'ca' | 'delegated';
      readonly responderSubject: string;
    };

function invalid(detail: string): never {
  throw new TesseraError('SIGNIN_OCSP_INVALID', detail);
}

/** Check an OCSPResponse to `query` about a certificate issued by `issuer`. Throws SIGNIN_OCSP_INVALID. */
export async function checkOcspResponse(
  body: Buffer,
  query: OcspQuery,
  issuer: ParsedCertificate,
  o: OcspCheckOptions,
): Promise<OcspOutcome> {
  const decoded = readOcspResponse(body, 'SIGNIN_OCSP_INVALID');
  // RFC 6960 §4.2.1: only "successful" carries responseBytes; the others say the responder cannot answer now.
  if (!decoded.basic) {
    return { kind: 'unavailable', reason: `the responder answered ${ocspStatusName(decoded.status)}` };
  }
  const r = decoded.basic;
  const certs: ParsedCertificate[] = [];
  for (const c of r.certs) {
    try {
      certs.push(parseCertificate(c));
    } catch (e) {
      invalid(`a certificate in the response cannot be read: ${(e as TesseraError).detail}`);
    }
  }

  // 1. Who signed it (RFC 6960 §4.2.2.2).
  const id = r.responderId;
  const names = (c: ParsedCertificate) =>
    'byName' in id ? c.subject.equals(id.byName) : keyIdentifier(c.spki).equals(id.byKey);
  let signer: ParsedCertificate;
  let responder: 'ca' | 'delegated';
  if (names(issuer)) {
    // The CA signs for itself.
    signer = issuer;
    responder = 'ca';
  } else {
    const delegated = certs.find(names);
    if (!delegated)
      return invalid('the response is signed by a responder that is neither the CA nor a certificate in the response');
    // "issued directly by the CA that is identified in the request".
    if (!delegated.issuer.equals(issuer.subject))
      invalid(`the responder certificate "${delegated.subjectText}" was not issued by "${issuer.subjectText}"`);
    const issuedBy = await verifyWith(delegated.signatureAlgorithm, delegated.tbs, delegated.signature, issuer.spki);
    if (!issuedBy.ok)
      invalid(
        `the responder certificate "${delegated.subjectText}" does not ` +
          `verify with the key of "${issuer.subjectText}": ${issuedBy.reason}`,
      );
    // "contains a unique value for the extendedKeyUsage extension ... id-kp-OCSPSigning".
    if (!delegated.extKeyUsage?.includes(OID.OCSPSigning))
      invalid(`the responder certificate "${delegated.subjectText}" is not authorised: no id-kp-OCSPSigning`);
    if (delegated.keyUsage && !delegated.keyUsage.has('digitalSignature'))
      invalid('the responder certificate has no digitalSignature key usage');
    if (delegated.basicConstraints?.ca) invalid('the responder certificate is a CA certificate');
    const now = o.now.getTime();
    if (delegated.notBefore.getTime() > now + o.skewMs || delegated.notAfter.getTime() < now)
      invalid(`the responder certificate "${delegated.subjectText}" is outside its validity`);
    // §4.2.2.2.1: without id-pkix-ocsp-nocheck the responder's own status must be checked.
    if (!delegated.ocspNoCheck) await o.checkResponder(delegated);
    signer = delegated;
    responder = 'delegated';
  }
  const sig = await verifyWith(r.signatureAlgorithm, r.tbs, r.signature, signer.spki);
  if (!sig.ok) invalid(`the response signature by "${signer.subjectText}" is not acceptable: ${sig.reason}`);

  // 2. The nonce (RFC 8954 §2: a client that sent one checks the echo).
  const nonce = r.extensions.get(OID.ocspNonce);
  if (nonce && !nonce.value.equals(octets(query.nonce))) invalid('the response carries a different nonce');
  if (!nonce && o.requireNonce) invalid('the response does not echo the nonce');

  // 3. The SingleResponse for our CertID (§4.2.2.3 "the certificate identified in the request").
  const chosen = r.responses.find(
    (s) =>
      s.certId.hashAlgorithm === OID.sha1 &&
      s.certId.issuerNameHash.equals(query.issuerNameHash) &&
      s.certId.issuerKeyHash.equals(query.issuerKeyHash) &&
      s.certId.serial === query.serial,
  );
  if (!chosen)
    return invalid(
      `the response is about another certificate (no CertID for serial ${query.serial} of "${issuer.subjectText}")`,
    );
  const { thisUpdate, nextUpdate } = chosen;

  // 4. Freshness (§4.2.2.1).
  const now = o.now.getTime();
  if (thisUpdate.getTime() > now + o.skewMs) invalid(`thisUpdate ${thisUpdate.toISOString()} is in the future`);
  if (nextUpdate && nextUpdate.getTime() + o.skewMs < now)
    invalid(`the response is stale: nextUpdate ${nextUpdate.toISOString()} has passed`);
  if (now - thisUpdate.getTime() > o.maxAgeMs)
    invalid(
      `the response is stale: thisUpdate ${thisUpdate.toISOString()} is older than ${Math.round(o.maxAgeMs / 1000)} s`,
    );

  const base = {
    kind: 'answer' as const,
    thisUpdate,
    ...(nextUpdate ? { nextUpdate } : {}),
    responder,
    responderSubject: signer.subjectText,
  };
  if (chosen.status !== 'revoked') return { ...base, status: chosen.status };
  const reason = chosen.reason !== undefined ? { reason: chosen.reason } : {};
  return { ...base, status: 'revoked', revokedAt: chosen.revokedAt, ...reason };
}
