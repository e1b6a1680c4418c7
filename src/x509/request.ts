/**
 * Any request a client can submit, decoded: a bare PKCS#10 (RFC 2986), a CMC full PKI
 * request (RFC 5272), or a PKCS#7 SignedData wrapping a PKCS#10 (the Windows
 * enroll-on-behalf and renewal form). AD CS's CR_IN_FORMATANY: the format is sniffed.
 */
import { TesseraError } from '../errors/TesseraError.js';
import { decodeCmsRequest } from './cmc/decodeCmsRequest.js';
import { parseCsr, parseCsrAsync, type ParsedCsr } from './csr.js';
import { checkDer, children, read, readTlv, TAG } from './der.js';
import { OID } from './oids.js';

export type RequestFormat = 'pkcs10' | 'cmc' | 'pkcs7';

/** A signature on a CMC / PKCS#7 request made by a certificate (an enrollment agent's). */
export interface RequestSigner {
  /** The signer's certificate (DER), found in the SignedData certificates by issuer+serial or SKI. */
  readonly certificate: Buffer;
  /** Whether the SignerInfo signature verified with that certificate's key over the content. */
  readonly signatureValid: boolean;
  /** The application policy attribute the signer asserted (Certipy-style PKCS#7), if any. */
  readonly detail?: string;
}

export interface DecodedRequest {
  readonly format: RequestFormat;
  /** The whole submitted object. */
  readonly der: Buffer;
  readonly csr: ParsedCsr;
  /** RequesterName (CMC id-cmc-regInfo or the PKCS#7 name-value pair), for enroll on behalf. */
  readonly requesterName: string | null;
  /** Signatures by certificates other than the request key. */
  readonly signers: readonly RequestSigner[];
  /** Attributes carried inside the request (CMC regInfo / add-attributes), names lower-cased. */
  readonly attributes: Readonly<Record<string, string>>;
  /** CMC bodyPartID of the TaggedCertificationRequest, for the response's status. */
  readonly bodyPartId: number | null;
}

/** Decode DER bytes of any supported request format. */
export function decodeRequest(der: Buffer): DecodedRequest {
  const top = checkDer(der, { maxDepth: 48, maxNodes: 50_000 });
  if (top.tag !== TAG.SEQUENCE) throw new TesseraError('REQUEST_MALFORMED', 'a request is a SEQUENCE');
  const first = children(der, top)[0];
  if (first && first.tag === TAG.OID) {
    // ContentInfo { contentType, [0] content } — CMS (RFC 5652 §3).
    const type = read.oid(der, first);
    if (type !== OID.signedData) throw new TesseraError('REQUEST_FORMAT_UNSUPPORTED', `CMS content type ${type}`);
    return decodeCmsRequest(der);
  }
  return {
    format: 'pkcs10',
    der,
    csr: parseCsr(der),
    requesterName: null,
    signers: [],
    attributes: {},
    bodyPartId: null,
  };
}

/**
 * decodeRequest for the issuance path: a bare PKCS#10 has its signature checked off the
 * event loop (csr.ts parseCsrAsync); CMS requests go through decodeRequest unchanged.
 */
export async function decodeRequestAsync(der: Buffer): Promise<DecodedRequest> {
  const top = checkDer(der, { maxDepth: 48, maxNodes: 50_000 });
  if (top.tag !== TAG.SEQUENCE) throw new TesseraError('REQUEST_MALFORMED', 'a request is a SEQUENCE');
  const first = children(der, top)[0];
  if (first && first.tag === TAG.OID) return decodeRequest(der);
  return {
    format: 'pkcs10',
    der,
    csr: await parseCsrAsync(der),
    requesterName: null,
    signers: [],
    attributes: {},
    bodyPartId: null,
  };
}

/** True when the bytes look like a CMS ContentInfo rather than a PKCS#10. */
export function looksLikeCms(der: Buffer): boolean {
  try {
    const top = readTlv(der, 0, der.length);
    const first = children(der, top)[0];
    return first?.tag === TAG.OID;
  } catch {
    return false;
  }
}
