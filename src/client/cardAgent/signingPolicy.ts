/**
 * What the card agent agrees to sign with a key it generated: only a certificate request
 * for that same key. A web page that may use the agent still cannot make the card sign
 * arbitrary data (a login challenge, a document) with the new key.
 *
 *  - pkcs10: `data` is a CertificationRequestInfo (RFC 2986 §4.1) whose
 *    subjectPKInfo is the session key.
 *  - cmc: `data` is the SignerInfo's signedAttrs (RFC 5652 §5.4, a SET OF Attribute) with
 *    contentType id-cct-PKIData (RFC 5272 §3.2) and a messageDigest equal to the hash of
 *    `content`, the PKIData, which must carry the session key's SubjectPublicKeyInfo.
 */
import { createHash } from 'node:crypto';
import { TesseraError } from '../../errors/TesseraError.js';
import { checkDer, children, read, TAG, type Tlv } from '../../x509/der.js';
import type { CardHash } from '../../card/cardKeys.js';

const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_PKIDATA = '1.3.6.1.5.5.7.12.2';

function refuse(detail: string): never {
  throw new TesseraError('CARD_AGENT_REQUEST_REFUSED', detail);
}

export function checkPkcs10Info(data: Buffer, spki: Buffer): void {
  let parts: Tlv[];
  try {
    const top = checkDer(data, { maxDepth: 32, maxNodes: 10_000 });
    if (top.tag !== TAG.SEQUENCE) refuse('not a CertificationRequestInfo');
    parts = children(data, top);
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'CARD_AGENT_REQUEST_REFUSED') throw e;
    refuse('the data to sign is not DER');
  }
  if (
    parts.length !== 4 ||
    parts[0].tag !== TAG.INTEGER ||
    parts[1].tag !== TAG.SEQUENCE ||
    parts[2].tag !== TAG.SEQUENCE ||
    parts[3].tag !== 0xa0
  ) {
    refuse('the data to sign is not a CertificationRequestInfo');
  }
  if (!read.whole(data, parts[2]).equals(spki))
    refuse('the request is for a different public key than the one generated in this operation');
}

export function checkCmcSignedAttributes(
  data: Buffer,
  content: Buffer | undefined,
  hash: CardHash,
  spki: Buffer,
): void {
  if (!content) refuse('a CMC signature needs the PKIData content it covers');
  let contentType: string | undefined;
  let digest: Buffer | undefined;
  try {
    const top = checkDer(data, { maxDepth: 16, maxNodes: 1_000 });
    if (top.tag !== 0x31) refuse('CMC signed attributes are a SET OF Attribute');
    for (const attr of children(data, top)) {
      const [type, values] = children(data, attr);
      const oid = read.oid(data, type);
      const vals = children(data, values);
      if (oid === OID_CONTENT_TYPE && vals.length === 1) contentType = read.oid(data, vals[0]);
      if (oid === OID_MESSAGE_DIGEST && vals.length === 1 && vals[0].tag === TAG.OCTET_STRING)
        digest = read.bytes(data, vals[0]);
    }
    checkDer(content, { maxDepth: 48, maxNodes: 50_000 });
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'CARD_AGENT_REQUEST_REFUSED') throw e;
    refuse('the CMC data to sign is not DER');
  }
  if (contentType !== OID_PKIDATA) refuse('CMC signed attributes must name id-cct-PKIData as the content type');
  if (!digest?.equals(createHash(hash).update(content).digest()))
    refuse('the messageDigest does not match the PKIData');
  if (!content.includes(spki)) refuse('the PKIData does not carry the public key generated in this operation');
}
