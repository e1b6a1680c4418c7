/**
 * The relying party's OCSP client (RFC 6960): build a request for one certificate with a
 * fresh nonce (RFC 8954), and decide whether the answer can be trusted before reading
 * the status in it (research/security.md §2 item 5, acceptance item 21):
 *
 *   OCSPResponse      ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
 *   BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm AlgorithmIdentifier,
 *                                    signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 *   ResponseData      ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID ResponderID, producedAt GeneralizedTime,
 *                                    responses SEQUENCE OF SingleResponse, responseExtensions [1] EXPLICIT Extensions OPTIONAL }
 *   SingleResponse    ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
 *                                    nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1] EXPLICIT Extensions OPTIONAL }
 *
 * Trust: the signer is the CA itself or a delegated responder certificate carrying
 * id-kp-OCSPSigning issued directly by that CA (§4.2.2.2); the ResponderID names it; the
 * signature verifies under the allow-list; the SingleResponse is for our CertID (§4.2.2.3);
 * thisUpdate is not in the future and not older than the freshness limit, nextUpdate not
 * passed (§4.2.2.1); the nonce we sent is echoed (RFC 8954 §2). Any failure is
 * SIGNIN_OCSP_INVALID; an answer that is not "successful" (tryLater, internalError…) is
 * the responder being unavailable, and the caller falls back to the CRL.
 */
import { createHash } from 'node:crypto';
import { TesseraError } from '../errors/TesseraError.js';
import { checkDer, children, explicit, nul, octets, oid, read, seq, TAG, type Tlv } from '../x509/der.js';
import { extension } from '../x509/extensions.js';
import { OID } from '../x509/oids.js';
import { subjectPublicKeyBits } from '../x509/publicKey.js';
import { parseCertificate, parseTime, type ParsedCertificate } from './parseCertificate.js';
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
  const issuerNameHash = createHash('sha1').update(issuer.subject).digest();
  const issuerKeyHash = createHash('sha1').update(subjectPublicKeyBits(issuer.spki)).digest();
  const certId = seq(seq(oid(OID.sha1), nul()), octets(issuerNameHash), octets(issuerKeyHash), cert.serialTlv);
  // RFC 8954 §2.1: Nonce ::= OCTET STRING (SIZE(1..32)), DER-encoded as the extnValue.
  const nonceExt = extension(OID.ocspNonce, false, octets(nonce));
  const der = seq(seq(seq(seq(certId)), explicit(2, seq(nonceExt))));
  return { der, nonce, issuerNameHash, issuerKeyHash, serial: cert.serial };
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

const STATUS_NAMES = ['successful', 'malformedRequest', 'internalError', 'tryLater', '(4)', 'sigRequired', 'unauthorized'];

function invalid(detail: string): never {
  throw new TesseraError('SIGNIN_OCSP_INVALID', detail);
}

interface ExtensionField {
  readonly id: string;
  readonly critical: boolean;
  readonly whole: Buffer;
  readonly value: Buffer;
}

function extensionsOf(der: Buffer, wrapper: Tlv): ExtensionField[] {
  const [list] = children(der, wrapper);
  if (!list || list.tag !== TAG.SEQUENCE) invalid('extensions are not [n] { SEQUENCE }');
  return children(der, list).map((e) => {
    const p = e.tag === TAG.SEQUENCE ? children(der, e) : [];
    if (p.length < 2 || p[0].tag !== TAG.OID || p[p.length - 1].tag !== TAG.OCTET_STRING) invalid('an Extension is not { OID, critical, OCTET STRING }');
    return { id: read.oid(der, p[0]), critical: p.length === 3 && der[p[1].contentStart] === 0xff, whole: Buffer.from(read.whole(der, e)), value: Buffer.from(read.bytes(der, p[p.length - 1])) };
  });
}

/** Check an OCSPResponse to `query` about a certificate issued by `issuer`. Throws SIGNIN_OCSP_INVALID. */
export async function checkOcspResponse(body: Buffer, query: OcspQuery, issuer: ParsedCertificate, o: OcspCheckOptions): Promise<OcspOutcome> {
  let top: Tlv;
  try {
    top = checkDer(body, { maxDepth: 24, maxNodes: 20_000 });
  } catch (e) {
    return invalid(`the OCSP response is not DER: ${(e as TesseraError).detail ?? (e as Error).message}`);
  }
  if (top.tag !== TAG.SEQUENCE) invalid('OCSPResponse is not a SEQUENCE');
  const outer = children(body, top);
  if (!outer[0] || outer[0].tag !== TAG.ENUMERATED) invalid('OCSPResponse has no responseStatus');
  const status = read.smallInt(body, outer[0]);
  // RFC 6960 §4.2.1: only "successful" carries responseBytes; the others say the responder cannot answer now.
  if (status !== 0) return { kind: 'unavailable', reason: `the responder answered ${STATUS_NAMES[status] ?? status}` };
  const rb = outer[1]?.tag === 0xa0 ? children(body, outer[1])[0] : undefined;
  const [type, octs] = rb && rb.tag === TAG.SEQUENCE ? children(body, rb) : [];
  if (!type || !octs || octs.tag !== TAG.OCTET_STRING) return invalid('successful OCSPResponse without responseBytes');
  if (read.oid(body, type) !== OID.ocspBasic) invalid(`response type ${read.oid(body, type)} is not id-pkix-ocsp-basic`);
  const basicDer = Buffer.from(read.bytes(body, octs));
  const basicTop = checkDer(basicDer, { maxDepth: 24, maxNodes: 20_000 });
  const bp = children(basicDer, basicTop);
  if (bp.length < 3 || bp[0].tag !== TAG.SEQUENCE || bp[1].tag !== TAG.SEQUENCE || bp[2].tag !== TAG.BIT_STRING) invalid('BasicOCSPResponse is not { ResponseData, AlgorithmIdentifier, BIT STRING, certs }');
  const tbs = Buffer.from(read.whole(basicDer, bp[0]));
  const sigAlg = Buffer.from(read.whole(basicDer, bp[1]));
  const sigBits = read.bytes(basicDer, bp[2]);
  if (sigBits[0] !== 0) invalid('the response signature has unused bits');
  const certs: ParsedCertificate[] = [];
  if (bp[3]) {
    if (bp[3].tag !== 0xa0) invalid('unexpected field in BasicOCSPResponse');
    const [list] = children(basicDer, bp[3]);
    // A responder sends its own certificate (and perhaps a few more); more is not an answer.
    const items = list ? children(basicDer, list) : [];
    if (items.length > 4) invalid(`${items.length} certificates in the response`);
    for (const c of items) {
      try {
        certs.push(parseCertificate(read.whole(basicDer, c)));
      } catch (e) {
        invalid(`a certificate in the response cannot be read: ${(e as TesseraError).detail}`);
      }
    }
  }

  // ResponseData
  const rd = children(basicDer, bp[0]);
  let i = 0;
  if (rd[i]?.tag === 0xa0) i++; // version v1 (the only one)
  const responderId = rd[i++];
  const producedAtT = rd[i++];
  const responsesT = rd[i++];
  if (!responderId || !producedAtT || !responsesT || producedAtT.tag !== TAG.GeneralizedTime || responsesT.tag !== TAG.SEQUENCE) invalid('ResponseData is not { responderID, producedAt, responses }');
  let responseExts: ExtensionField[] = [];
  if (rd[i]?.tag === 0xa1) responseExts = extensionsOf(basicDer, rd[i++]);
  if (i !== rd.length) invalid('unexpected field in ResponseData');
  for (const e of responseExts) if (e.critical && e.id !== OID.ocspNonce) invalid(`unrecognised critical response extension ${e.id}`);

  // 1. Who signed it (RFC 6960 §4.2.2.2).
  const keyHashOf = (c: ParsedCertificate) => createHash('sha1').update(subjectPublicKeyBits(c.spki)).digest();
  const [idValue] = children(basicDer, responderId);
  let names: (c: ParsedCertificate) => boolean;
  if (responderId.tag === 0xa1 && idValue?.tag === TAG.SEQUENCE) {
    const name = Buffer.from(read.whole(basicDer, idValue));
    names = (c) => c.subject.equals(name);
  } else if (responderId.tag === 0xa2 && idValue?.tag === TAG.OCTET_STRING) {
    const hash = Buffer.from(read.bytes(basicDer, idValue));
    names = (c) => keyHashOf(c).equals(hash);
  } else return invalid('ResponderID is neither byName nor byKey');

  let signer: ParsedCertificate;
  let responder: 'ca' | 'delegated';
  if (names(issuer)) {
    // The CA signs for itself.
    signer = issuer;
    responder = 'ca';
  } else {
    const delegated = certs.find(names);
    if (!delegated) return invalid('the response is signed by a responder that is neither the CA nor a certificate in the response');
    // "issued directly by the CA that is identified in the request".
    if (!delegated.issuer.equals(issuer.subject)) invalid(`the responder certificate "${delegated.subjectText}" was not issued by "${issuer.subjectText}"`);
    const issuedBy = await verifyWith(delegated.signatureAlgorithm, delegated.tbs, delegated.signature, issuer.spki);
    if (!issuedBy.ok) invalid(`the responder certificate "${delegated.subjectText}" does not verify with the key of "${issuer.subjectText}": ${issuedBy.reason}`);
    // "contains a unique value for the extendedKeyUsage extension ... id-kp-OCSPSigning".
    if (!delegated.extKeyUsage?.includes(OID.OCSPSigning)) invalid(`the responder certificate "${delegated.subjectText}" is not authorised: no id-kp-OCSPSigning`);
    if (delegated.keyUsage && !delegated.keyUsage.has('digitalSignature')) invalid('the responder certificate has no digitalSignature key usage');
    if (delegated.basicConstraints?.ca) invalid('the responder certificate is a CA certificate');
    const now = o.now.getTime();
    if (delegated.notBefore.getTime() > now + o.skewMs || delegated.notAfter.getTime() < now) invalid(`the responder certificate "${delegated.subjectText}" is outside its validity`);
    // §4.2.2.2.1: without id-pkix-ocsp-nocheck the responder's own status must be checked.
    if (!delegated.ocspNoCheck) await o.checkResponder(delegated);
    signer = delegated;
    responder = 'delegated';
  }
  const sig = await verifyWith(sigAlg, tbs, sigBits.subarray(1), signer.spki);
  if (!sig.ok) invalid(`the response signature by "${signer.subjectText}" is not acceptable: ${sig.reason}`);

  // 2. The nonce (RFC 8954 §2: a client that sent one checks the echo).
  const nonce = responseExts.find((e) => e.id === OID.ocspNonce);
  const ours = octets(query.nonce);
  if (nonce && !nonce.value.equals(ours)) invalid('the response carries a different nonce');
  if (!nonce && o.requireNonce) invalid('the response does not echo the nonce');

  // 3. The SingleResponse for our CertID (§4.2.2.3 "the certificate identified in the request").
  const singles = children(basicDer, responsesT);
  if (singles.length === 0 || singles.length > 100) invalid('responses is empty or too long');
  let chosen: Tlv[] | undefined;
  for (const s of singles) {
    const p = s.tag === TAG.SEQUENCE ? children(basicDer, s) : [];
    const idParts = p[0]?.tag === TAG.SEQUENCE ? children(basicDer, p[0]) : [];
    if (idParts.length !== 4 || idParts[0].tag !== TAG.SEQUENCE || idParts[3].tag !== TAG.INTEGER) invalid('a CertID is not { AlgorithmIdentifier, OCTET STRING, OCTET STRING, INTEGER }');
    const [algOid] = children(basicDer, idParts[0]);
    if (!algOid || read.oid(basicDer, algOid) !== OID.sha1) continue;
    const serialBytes = read.bytes(basicDer, idParts[3]);
    const serial = (serialBytes.length > 1 && serialBytes[0] === 0 ? serialBytes.subarray(1) : serialBytes).toString('hex');
    if (read.bytes(basicDer, idParts[1]).equals(query.issuerNameHash) && read.bytes(basicDer, idParts[2]).equals(query.issuerKeyHash) && serial === query.serial) {
      chosen = p;
      break;
    }
  }
  if (!chosen) return invalid(`the response is about another certificate (no CertID for serial ${query.serial} of "${issuer.subjectText}")`);
  const [, statusT, thisT, ...more] = chosen;
  if (!statusT || !thisT) return invalid('SingleResponse is incomplete');
  const thisUpdate = parseTime(basicDer, thisT);
  let nextUpdate: Date | undefined;
  for (const m of more) {
    if (m.tag === 0xa0) nextUpdate = parseTime(basicDer, children(basicDer, m)[0]);
    else if (m.tag === 0xa1) {
      for (const e of extensionsOf(basicDer, m)) if (e.critical) invalid(`unrecognised critical single extension ${e.id}`);
    } else invalid('unexpected field in SingleResponse');
  }

  // 4. Freshness (§4.2.2.1 and acceptance item 21).
  const now = o.now.getTime();
  if (thisUpdate.getTime() > now + o.skewMs) invalid(`thisUpdate ${thisUpdate.toISOString()} is in the future`);
  if (nextUpdate && nextUpdate.getTime() + o.skewMs < now) invalid(`the response is stale: nextUpdate ${nextUpdate.toISOString()} has passed`);
  if (now - thisUpdate.getTime() > o.maxAgeMs) invalid(`the response is stale: thisUpdate ${thisUpdate.toISOString()} is older than ${Math.round(o.maxAgeMs / 1000)} s`);

  const base = { kind: 'answer' as const, thisUpdate, ...(nextUpdate ? { nextUpdate } : {}), responder, responderSubject: signer.subjectText };
  if (statusT.tag === 0x80) return { ...base, status: 'good' };
  if (statusT.tag === 0x82) return { ...base, status: 'unknown' };
  if (statusT.tag === 0xa1) {
    const [when, reasonT] = children(basicDer, statusT);
    if (!when || when.tag !== TAG.GeneralizedTime) invalid('RevokedInfo has no revocationTime');
    const reason = reasonT?.tag === 0xa0 ? read.smallInt(basicDer, children(basicDer, reasonT)[0]) : undefined;
    return { ...base, status: 'revoked', revokedAt: parseTime(basicDer, when), ...(reason !== undefined ? { reason } : {}) };
  }
  return invalid('CertStatus is not good, revoked or unknown');
}
