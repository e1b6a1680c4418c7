/**
 * Verify every SignerInfo of a request's SignedData (RFC 5652 §5.4, §5.6) and say who
 * made each signature: the request key itself (proof of possession, RFC 5272 §3.2 and
 * §6.3.1) or a certificate carried in SignedData.certificates (an enrollment agent,
 * learn.microsoft.com "CMC EOBO Request", `IX509CertificateRequestPkcs7::put_RequesterName`;
 * docs/certsrv.md §7).
 */
import { createHash } from 'node:crypto';
import type { Attribute, SignerInfo } from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { TesseraError } from '../../errors/TesseraError.js';
import { checkDer, readTlv, read, TAG } from '../der.js';
import { OID } from '../oids.js';
import {
  decodeSignatureAlgorithm,
  decodeSpki,
  HASH_OID,
  publicKeyObject,
  verifySignature,
  type HashName,
  type SignatureAlgorithm,
} from '../publicKey.js';
import type { SignedContent } from './readSignedData.js';
import { serialFromInteger } from '../certificate.js';
import { readSignerCertificate, type SignerCertificate } from './signerCertificate.js';

export interface SignerCheck {
  /** Position in SignerInfos (0-based), for messages. */
  readonly index: number;
  /** 'pop': made with the request key; 'certificate': made with a carried certificate's key. */
  readonly kind: 'pop' | 'certificate';
  readonly certificate: SignerCertificate | null;
  readonly valid: boolean;
  /** Why the signature does not verify; null when it does. */
  readonly problem: string | null;
  readonly signedAttrs: readonly Attribute[];
}

const HASH_BY_OID: Record<string, HashName> = Object.fromEntries(
  Object.entries(HASH_OID).map(([h, o]) => [o, h as HashName]),
);

/** DigestAlgorithmIdentifier → hash name (RFC 5754 §2). */
function digestHash(si: SignerInfo): HashName {
  const h = HASH_BY_OID[si.digestAlgorithm.algorithm];
  if (!h)
    throw new TesseraError(
      'SIGNATURE_ALGORITHM_UNSUPPORTED',
      `SignerInfo digest algorithm ${si.digestAlgorithm.algorithm}`,
    );
  return h;
}

/**
 * The SignerInfo signatureAlgorithm. CMS signers commonly write the key algorithm
 * (rsaEncryption, RFC 3370 §3.2; id-ecPublicKey) and leave the hash to digestAlgorithm;
 * the combined OIDs (sha256WithRSAEncryption, ecdsa-with-SHA256, RSASSA-PSS) are decoded
 * as for certificates.
 */
function signatureAlgorithmOf(si: SignerInfo, hash: HashName): SignatureAlgorithm {
  const o = si.signatureAlgorithm.algorithm;
  if (o === OID.rsaEncryption) return { kind: 'rsa-pkcs1', hash, oid: o };
  if (o === OID.ecPublicKey) return { kind: 'ecdsa', hash, oid: o };
  return decodeSignatureAlgorithm(new Uint8Array(AsnConvert.serialize(si.signatureAlgorithm)));
}

const attrsOf = (attrs: readonly Attribute[], type: string) => attrs.filter((a) => a.attrType === type);

/**
 * RFC 5652 §5.3 and §11: with signed attributes, contentType must be present once and
 * equal eContentType, and messageDigest must be present once and equal the digest of
 * the content; the signature then covers the DER of the attributes with a SET OF tag.
 */
function signedInput(
  si: SignerInfo,
  raw: Buffer | null,
  sc: SignedContent,
  hash: HashName,
): { bytes: Buffer; problem: string | null } {
  if (!si.signedAttrs || !raw) {
    // §5.3: signedAttrs MUST be present when eContentType is not id-data.
    if (sc.eContentType !== OID.data)
      return {
        bytes: sc.eContent,
        problem: 'signed attributes are missing; RFC 5652 §5.3 requires them for this content type',
      };
    return { bytes: sc.eContent, problem: null };
  }
  const bytes = Buffer.from(raw);
  // §5.4: "the DER encoding of the SET OF ... not the IMPLICIT [0] tag".
  bytes[0] = TAG.SET;
  const ct = attrsOf(si.signedAttrs, OID.contentType);
  const md = attrsOf(si.signedAttrs, OID.messageDigest);
  if (ct.length !== 1 || ct[0].attrValues.length !== 1)
    return { bytes, problem: 'the contentType signed attribute must appear once with one value (RFC 5652 §11.1)' };
  if (md.length !== 1 || md[0].attrValues.length !== 1)
    return { bytes, problem: 'the messageDigest signed attribute must appear once with one value (RFC 5652 §11.2)' };
  const ctValue = new Uint8Array(ct[0].attrValues[0]);
  const ctT = readTlv(ctValue, 0, ctValue.length);
  if (ctT.tag !== TAG.OID || read.oid(ctValue, ctT) !== sc.eContentType)
    return { bytes, problem: 'the contentType signed attribute does not match eContentType' };
  let digest: Buffer;
  try {
    digest = Buffer.from(AsnConvert.parse(md[0].attrValues[0], OctetString).buffer);
  } catch {
    return { bytes, problem: 'the messageDigest signed attribute is not an OCTET STRING' };
  }
  const actual = createHash(hash).update(sc.eContent).digest();
  if (!actual.equals(digest))
    return { bytes, problem: 'the messageDigest signed attribute does not match the content' };
  return { bytes, problem: null };
}

const nameKey = (name: Name) => Buffer.from(AsnConvert.serialize(name)).toString('hex');

/**
 * Check all signers. `requestSpki` is the PKCS#10 key; `requestKeyIds` the identifiers
 * that name it (RFC 5280 method-1 hash, and the request's own SKI extension value).
 * Throws CMC_SIGNER_UNKNOWN when a SignerInfo names neither the request key nor a
 * carried certificate: such a signature cannot even be checked.
 */
export function checkSigners(sc: SignedContent, requestSpki: Buffer, requestKeyIds: readonly Buffer[]): SignerCheck[] {
  const certs = sc.certificates.map((c) => readSignerCertificate(c));
  const byIssuer = new Map<string, SignerCertificate[]>();
  for (const c of certs) {
    let key: string;
    try {
      key = nameKey(AsnConvert.parse(c.issuerDer, Name));
    } catch {
      continue;
    }
    byIssuer.set(key, [...(byIssuer.get(key) ?? []), c]);
  }
  return Array.from(sc.signedData.signerInfos).map((si, index) => {
    const hash = digestHash(si);
    let cert: SignerCertificate | undefined;
    let pop = false;
    const ski = si.sid.subjectKeyIdentifier;
    const ias = si.sid.issuerAndSerialNumber;
    if (ski) {
      const id = Buffer.from(ski.buffer);
      if (requestKeyIds.some((k) => k.equals(id))) pop = true;
      else cert = certs.find((c) => c.keyId.equals(id));
    } else if (ias) {
      const serial = serialFromInteger(new Uint8Array(ias.serialNumber));
      cert = (byIssuer.get(nameKey(ias.issuer)) ?? []).find((c) => c.serial === serial);
    }
    // A certificate for the request key itself is proof of possession, not an agent.
    if (cert?.spki.equals(requestSpki)) {
      pop = true;
      cert = undefined;
    }
    if (!pop && !cert) {
      throw new TesseraError(
        'CMC_SIGNER_UNKNOWN',
        `SignerInfo ${index + 1} names ${ski ? 'a subject key identifier' : 'an issuer and serial number'} ` +
          'that matches neither the request key nor a certificate in the request',
      );
    }
    const spki = pop ? requestSpki : cert!.spki;
    const { bytes, problem: attrProblem } = signedInput(si, sc.signedAttrsRaw[index], sc, hash);
    let problem = attrProblem;
    if (!problem) {
      const alg = signatureAlgorithmOf(si, hash);
      const ok = verifySignature(
        alg,
        publicKeyObject(spki),
        decodeSpki(spki),
        bytes,
        new Uint8Array(si.signature.buffer),
      );
      if (!ok) problem = `the signature does not verify with the ${pop ? 'request' : 'signer certificate'} key`;
    }
    return {
      index,
      kind: pop ? 'pop' : 'certificate',
      certificate: cert ?? null,
      valid: problem === null,
      problem,
      signedAttrs: si.signedAttrs ?? [],
    };
  });
}

/** Confirm a nested value is sane DER before the library parses it (x509/der.ts guard). */
export function guardDer(bytes: Uint8Array, what: string, limits = { maxDepth: 40, maxNodes: 50_000 }): void {
  try {
    checkDer(bytes, limits);
  } catch (e) {
    if (e instanceof TesseraError) throw new TesseraError(e.code, `${what}: ${e.detail ?? e.message}`);
    throw e;
  }
}
