/**
 * Hand-assembled CMC for negative tests: any controls, any number or kind of
 * TaggedRequests, any signers (right or wrong keys), built from the same schema classes
 * and signer code the encoder uses, so only the deliberate defect differs.
 */
import type { SignerInfo } from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { signatureAlgorithm } from '../../src/x509/buildCsr.js';
import { encodeSignedData, requestKeyIdentifier } from '../../src/x509/cmc/buildCmcRequest.js';
import { CertReqMsg } from '../../src/x509/cmc/CertReqMsg.js';
import { CMC_OID } from '../../src/x509/cmc/cmcOids.js';
import { toArrayBuffer } from '../../src/x509/cmc/cmsBytes.js';
import { makeSignerInfo } from '../../src/x509/cmc/makeSignerInfo.js';
import { PKIData } from '../../src/x509/cmc/PKIData.js';
import { TaggedAttribute } from '../../src/x509/cmc/TaggedAttribute.js';
import { TaggedCertificationRequest } from '../../src/x509/cmc/TaggedCertificationRequest.js';
import { TaggedContentInfo } from '../../src/x509/cmc/TaggedContentInfo.js';
import { TaggedRequest } from '../../src/x509/cmc/TaggedRequest.js';
import { children, explicit, integer, readTlv, seq, tlv, TAG, type Tlv } from '../../src/x509/der.js';
import type { TestKey } from '../agents/support.js';

const ab = toArrayBuffer;

export const tcr = (bodyPartID: number, csr: Uint8Array) =>
  new TaggedRequest({ tcr: new TaggedCertificationRequest({ bodyPartID, certificationRequest: ab(csr) }) });
/** A syntactically plausible CRMF CertReqMsg (RFC 4211): certReq SEQUENCE { certReqId 0, certTemplate {} }. */
export const crm = () =>
  new TaggedRequest({
    crm: new CertReqMsg({ certReq: ab(new Uint8Array([0x30, 0x05, 0x02, 0x01, 0x00, 0x30, 0x00])) }),
  });
export const control = (bodyPartID: number, attrType: string, ...values: Uint8Array[]) =>
  new TaggedAttribute({ bodyPartID, attrType, attrValues: values.map(ab) });
export const octets = (text: string) =>
  new Uint8Array(AsnConvert.serialize(new OctetString(ab(new TextEncoder().encode(text)))));
export const regInfo = (bodyPartID: number, text: string) => control(bodyPartID, CMC_OID.regInfo, octets(text));
export const nestedContent = (bodyPartID: number) =>
  new TaggedContentInfo({
    bodyPartID,
    contentInfo: ab(new Uint8Array([0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01])),
  });

export function pkiData(o: {
  controls?: TaggedAttribute[];
  requests?: TaggedRequest[];
  cms?: TaggedContentInfo[];
}): Uint8Array {
  return new Uint8Array(
    AsnConvert.serialize(
      new PKIData({ controlSequence: o.controls ?? [], reqSequence: o.requests ?? [], cmsSequence: o.cms ?? [] }),
    ),
  );
}

export interface CraftSigner {
  /** Whose identity the SignerInfo claims: the request key (SKI) or a certificate. */
  readonly as: { readonly requestSpki: Uint8Array } | { readonly certificate: Uint8Array };
  /** The key that actually signs (the wrong one for negative tests). */
  readonly key: TestKey;
}

export async function signerFor(s: CraftSigner, eContentType: string, eContent: Uint8Array): Promise<SignerInfo> {
  return makeSignerInfo({
    sid:
      'requestSpki' in s.as
        ? { subjectKeyIdentifier: await requestKeyIdentifier(s.as.requestSpki) }
        : { certificate: s.as.certificate },
    hash: s.key.hash,
    signatureAlgorithm: signatureAlgorithm(s.key.keyKind, s.key.hash),
    eContentType,
    eContent,
    sign: s.key.sign,
  });
}

/** SignedData { id-cct-PKIData, content, certificates, signers }. */
export async function signedCmc(
  content: Uint8Array,
  signers: readonly CraftSigner[],
  certificates: readonly Uint8Array[] = [],
): Promise<Buffer> {
  const infos = [];
  for (const s of signers) infos.push(await signerFor(s, CMC_OID.idCctPKIData, content));
  return Buffer.from(
    encodeSignedData({ eContentType: CMC_OID.idCctPKIData, eContent: content, certificates, signerInfos: infos }),
  );
}

export interface SignedDataTampering {
  /** SignedData.version, any INTEGER (negative ones too). */
  readonly version?: number;
  /** Each SignerInfo.version, by position in the encoded SignerInfos. */
  readonly signerVersions?: readonly number[];
  /** The whole digestAlgorithms TLV, in place of the encoder's (it need not be a SET). */
  readonly digestAlgorithms?: Uint8Array;
}

/**
 * The same signed CMC with fields outside every signature changed: the versions and the
 * digestAlgorithms set are not covered by any SignerInfo's signature (RFC 5652 §5.4 signs
 * the content or the signed attributes), so each signature still verifies and only the
 * deliberate defect differs.
 */
export function tamperSignedData(der: Uint8Array, o: SignedDataTampering): Buffer {
  const whole = (t: Tlv) => Buffer.from(der.subarray(t.start, t.end));
  const top = readTlv(der, 0, der.length);
  const [contentType, wrapper] = children(der, top);
  const [signedData] = children(der, wrapper);
  const fields = children(der, signedData);
  const [version, digests, ...rest] = fields;
  const infosTlv = rest[rest.length - 1];
  const infos = children(der, infosTlv).map((si, i) => {
    const parts = children(der, si);
    const v = o.signerVersions?.[i];
    return seq(v === undefined ? whole(parts[0]) : signedInteger(v), ...parts.slice(1).map(whole));
  });
  const body = seq(
    o.version === undefined ? whole(version) : signedInteger(o.version),
    o.digestAlgorithms === undefined ? whole(digests) : Buffer.from(o.digestAlgorithms),
    ...rest.slice(0, -1).map(whole),
    tlv(TAG.SET, ...infos),
  );
  return seq(whole(contentType), explicit(0, body));
}

/** An INTEGER of any sign, two's complement in the fewest octets (X.690 §8.3). */
function signedInteger(n: number): Buffer {
  if (n >= 0) return integer(n);
  const bytes: number[] = [];
  let v = BigInt(n);
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v !== -1n || !(bytes[0] & 0x80));
  return tlv(TAG.INTEGER, Buffer.from(bytes));
}
