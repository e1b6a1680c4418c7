/**
 * Decoding an OCSP request (RFC 6960 §4.1.1), untrusted input from anyone:
 *
 *   OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
 *   TBSRequest  ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
 *                              requestorName [1] EXPLICIT GeneralName OPTIONAL,
 *                              requestList SEQUENCE OF Request,
 *                              requestExtensions [2] EXPLICIT Extensions OPTIONAL }
 *   Request     ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 *   CertID      ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
 *                              issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
 *
 * The whole input is first walked by the strict, iterative DER reader (x509/der.ts
 * checkDer) with a depth and element cap, so deep nesting or huge element counts are a
 * malformedRequest and never a stack overflow. Any failure is an OcspRequestError.
 */
import { checkDer, children, read, TAG, type Tlv } from '../../x509/der.js';
import { OID } from '../../x509/oids.js';

export class OcspRequestError extends Error {
  constructor(readonly detail: string) {
    super(`malformed OCSP request: ${detail}`);
    this.name = 'OcspRequestError';
  }
}

export interface CertId {
  /** The CertID exactly as the client encoded it; echoed in the SingleResponse (clients compare it). */
  readonly der: Buffer;
  readonly hashAlgorithm: string;
  readonly issuerNameHash: Buffer;
  readonly issuerKeyHash: Buffer;
  /** The serial's unsigned magnitude in lower-case hex without leading zero octets (as the store keeps it). */
  readonly serial: string;
}

export interface OcspRequest {
  readonly certIds: readonly CertId[];
  /** The whole nonce Extension as received (RFC 6960 §4.4.1), to echo; absent when not sent. */
  readonly nonce?: Buffer;
}

/** More CertIDs than this in one request is refused (RFC 5019 §2.1.1 clients send one). */
export const MAX_CERT_IDS = 100;
/** RFC 8954 §2.1: a nonce is 1 to 32 octets. */
export const MAX_NONCE = 32;

const fail = (detail: string): never => {
  throw new OcspRequestError(detail);
};

export function parseOcspRequest(der: Buffer): OcspRequest {
  let top: Tlv;
  try {
    top = checkDer(der, { maxDepth: 12, maxNodes: 4_000 });
  } catch (e) {
    return fail((e as { detail?: string }).detail ?? (e as Error).message);
  }
  if (top.tag !== TAG.SEQUENCE) fail('OCSPRequest is not a SEQUENCE');
  const outer = children(der, top);
  if (outer.length < 1 || outer.length > 2 || outer[0].tag !== TAG.SEQUENCE || (outer[1] && outer[1].tag !== 0xa0)) fail('OCSPRequest is not { tbsRequest, [0] signature }');
  const fields = children(der, outer[0]);
  let i = 0;
  if (fields[i]?.tag === 0xa0) {
    // version [0] EXPLICIT Version DEFAULT v1: DER omits the default, but accept an explicit v1.
    const v = children(der, fields[i]);
    if (v.length !== 1 || v[0].tag !== TAG.INTEGER || read.smallInt(der, v[0]) !== 0) fail('unsupported OCSP request version');
    i++;
  }
  if (fields[i]?.tag === 0xa1) i++; // requestorName: not used to authorise anything
  const list = fields[i++];
  if (!list || list.tag !== TAG.SEQUENCE) fail('requestList missing');
  let extensions: Tlv | undefined;
  if (fields[i]?.tag === 0xa2) extensions = fields[i++];
  if (i !== fields.length) fail('unexpected field in TBSRequest');

  const requests = children(der, list);
  if (requests.length === 0) fail('requestList is empty');
  if (requests.length > MAX_CERT_IDS) fail(`more than ${MAX_CERT_IDS} CertIDs`);
  const certIds = requests.map((r) => {
    if (r.tag !== TAG.SEQUENCE) fail('Request is not a SEQUENCE');
    const parts = children(der, r);
    if (parts.length < 1 || parts.length > 2 || (parts[1] && parts[1].tag !== 0xa0)) fail('Request is not { CertID, [0] extensions }');
    return parseCertId(der, parts[0]);
  });

  let nonce: Buffer | undefined;
  if (extensions) {
    const seq = children(der, extensions);
    if (seq.length !== 1 || seq[0].tag !== TAG.SEQUENCE) fail('requestExtensions is not [2] { Extensions }');
    for (const ext of children(der, seq[0])) {
      if (ext.tag !== TAG.SEQUENCE) fail('Extension is not a SEQUENCE');
      const p = children(der, ext);
      if (p.length < 2 || p.length > 3 || p[0].tag !== TAG.OID || p[p.length - 1].tag !== TAG.OCTET_STRING) fail('Extension is not { OID, critical, OCTET STRING }');
      if (read.oid(der, p[0]) !== OID.ocspNonce) continue;
      if (nonce) fail('two nonce extensions');
      nonce = read.whole(der, ext);
      // RFC 8954 §2.1: Nonce ::= OCTET STRING (SIZE(1..32)); a responder "MUST reject" a
      // nonce of 0 or more than 32 octets with malformedRequest. Most clients wrap it in
      // an OCTET STRING inside extnValue (OpenSSL does); some put the bytes directly.
      const value = read.bytes(der, p[p.length - 1]);
      let len = value.length;
      if (value.length >= 2 && value[0] === TAG.OCTET_STRING && value[1] === value.length - 2) len = value.length - 2;
      if (len === 0 || len > MAX_NONCE) fail(`nonce of ${len} octets (RFC 8954: 1 to ${MAX_NONCE})`);
    }
  }
  return { certIds, nonce };
}

function parseCertId(der: Buffer, t: Tlv): CertId {
  if (t.tag !== TAG.SEQUENCE) fail('CertID is not a SEQUENCE');
  const p = children(der, t);
  if (p.length !== 4 || p[0].tag !== TAG.SEQUENCE || p[1].tag !== TAG.OCTET_STRING || p[2].tag !== TAG.OCTET_STRING || p[3].tag !== TAG.INTEGER) {
    fail('CertID is not { AlgorithmIdentifier, OCTET STRING, OCTET STRING, INTEGER }');
  }
  const alg = children(der, p[0]);
  if (alg.length < 1 || alg.length > 2 || alg[0].tag !== TAG.OID || (alg[1] && alg[1].tag !== TAG.NULL)) fail('CertID hashAlgorithm is not { OID, NULL }');
  const serialBytes = read.bytes(der, p[3]);
  // RFC 5280 §4.1.2.2: serials are positive; a negative one cannot name a certificate.
  if (serialBytes[0] & 0x80) fail('negative serial number');
  let s = 0;
  while (s < serialBytes.length - 1 && serialBytes[s] === 0) s++;
  return {
    der: read.whole(der, t),
    hashAlgorithm: read.oid(der, alg[0]),
    issuerNameHash: read.bytes(der, p[1]),
    issuerKeyHash: read.bytes(der, p[2]),
    serial: serialBytes.subarray(s).toString('hex'),
  };
}
