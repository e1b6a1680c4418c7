/**
 * Building a CMC Full PKI Request (RFC 5272 §3.2) around a PKCS#10, in the shape Windows
 * certreq / CertEnroll produce (learn.microsoft.com "CMC Encoded ASN.1" and "CMC EOBO
 * Encoded ASN.1"; docs/certsrv.md §7):
 *
 *   ContentInfo { signedData, SignedData v3 {
 *     digestAlgorithms, encapContentInfo { id-cct-PKIData, PKIData {
 *       controlSequence { [regInfo "RequesterName=DOMAIN%5Cuser&"] },
 *       reqSequence { tcr { bodyPartID, PKCS#10 } }, {}, {} } },
 *     certificates { [enrollment agent certificate] },
 *     signerInfos {
 *       v3, sid = subjectKeyIdentifier of the request key, signed with the request key (POP),
 *       [v1, sid = issuerAndSerialNumber of the agent certificate, signed with the agent key] } } }
 *
 * Browser-safe: no node: imports, only @peculiar/asn1-*, WebCrypto digests and
 * Uint8Array. Keys sign through callbacks (WebCrypto, the card agent's PKCS#11, a file key),
 * as in x509/buildCsr.ts.
 */
import {
  ContentInfo,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  SignerInfos,
  type SignerInfo,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { signatureAlgorithm, type RequestHash, type SignCallback } from '../buildCsr.js';
import { CMC_OID, MAX_BODY_PART_ID } from './cmcOids.js';
import { compareBytes, digest, toArrayBuffer } from './cmsBytes.js';
import { makeSignerInfo } from './makeSignerInfo.js';
import { PKIData } from './PKIData.js';
import { RequestSignedData } from './RequestSignedData.js';
import { TaggedAttribute } from './TaggedAttribute.js';
import { TaggedCertificationRequest } from './TaggedCertificationRequest.js';
import { TaggedRequest } from './TaggedRequest.js';

export { requesterNameRegInfo } from './regInfo.js';

const SIGNED_DATA = '1.2.840.113549.1.7.2';

export interface CmcAgentSigner {
  /** The enrollment agent certificate (DER). */
  readonly certificate: Uint8Array;
  readonly keyKind: 'rsa' | 'ec';
  readonly hash: RequestHash;
  readonly sign: SignCallback;
}

export interface CmcRequestOptions {
  /** The PKCS#10 (DER), already signed by the new key (x509/buildCsr.ts). */
  readonly csr: Uint8Array;
  /** SubjectPublicKeyInfo DER of the new key (the request key). */
  readonly spki: Uint8Array;
  readonly keyKind: 'rsa' | 'ec';
  readonly hash: RequestHash;
  /** Signs with the new key: the proof-of-possession SignerInfo. */
  readonly sign: SignCallback;
  /** id-cmc-regInfo text, e.g. requesterNameRegInfo('TESSERA\\bob') for enroll on behalf. */
  readonly regInfo?: string;
  /** bodyPartID of the TaggedCertificationRequest (Windows uses 1). */
  readonly bodyPartId?: number;
  /** Enroll on behalf: a second SignerInfo by the agent, and its certificate in `certificates`. */
  readonly agent?: CmcAgentSigner;
}

/** PKIData with the request and the optional regInfo control (RFC 5272 §3.2.1). */
export function encodePkiData(o: {
  readonly csr: Uint8Array;
  readonly regInfo?: string;
  readonly bodyPartId?: number;
}): Uint8Array {
  const requestId = o.bodyPartId ?? 1;
  if (!Number.isInteger(requestId) || requestId < 1 || requestId >= MAX_BODY_PART_ID)
    throw new RangeError('bodyPartId must be an integer from 1 to 4294967294');
  const controls: TaggedAttribute[] = [];
  if (o.regInfo !== undefined) {
    // RFC 5272 §6.11 RegInfo ::= OCTET STRING; a bodyPartID distinct from the request's.
    const value = AsnConvert.serialize(new OctetString(toArrayBuffer(new TextEncoder().encode(o.regInfo))));
    controls.push(new TaggedAttribute({ bodyPartID: requestId + 1, attrType: CMC_OID.regInfo, attrValues: [value] }));
  }
  const pki = new PKIData({
    controlSequence: controls,
    reqSequence: [
      new TaggedRequest({
        tcr: new TaggedCertificationRequest({ bodyPartID: requestId, certificationRequest: toArrayBuffer(o.csr) }),
      }),
    ],
  });
  return new Uint8Array(AsnConvert.serialize(pki));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (what certreq puts in the sid). */
export async function requestKeyIdentifier(spki: Uint8Array): Promise<Uint8Array> {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  return digest('SHA-1', new Uint8Array(info.subjectPublicKey));
}

export async function buildCmcRequest(o: CmcRequestOptions): Promise<Uint8Array> {
  const pkiData = encodePkiData(o);
  const eContentType = CMC_OID.idCctPKIData;
  const signers = [
    await makeSignerInfo({
      sid: { subjectKeyIdentifier: await requestKeyIdentifier(o.spki) },
      hash: o.hash,
      signatureAlgorithm: signatureAlgorithm(o.keyKind, o.hash),
      eContentType,
      eContent: pkiData,
      sign: o.sign,
    }),
  ];
  if (o.agent) {
    signers.push(
      await makeSignerInfo({
        sid: { certificate: o.agent.certificate },
        hash: o.agent.hash,
        signatureAlgorithm: signatureAlgorithm(o.agent.keyKind, o.agent.hash),
        eContentType,
        eContent: pkiData,
        sign: o.agent.sign,
      }),
    );
  }
  return encodeSignedData({
    eContentType,
    eContent: pkiData,
    certificates: o.agent ? [o.agent.certificate] : [],
    signerInfos: signers,
  });
}

/**
 * ContentInfo { signedData } around content, certificates and signers, with every SET OF
 * in DER order (X.690 §11.6). RFC 5652 §5.1: version 3 when eContentType is not id-data or
 * a SignerInfo is version 3; otherwise 1.
 */
export function encodeSignedData(o: {
  readonly eContentType: string;
  readonly eContent: Uint8Array;
  readonly certificates: readonly Uint8Array[];
  readonly signerInfos: readonly SignerInfo[];
}): Uint8Array {
  const sortDer = <T>(items: readonly T[], enc: (t: T) => Uint8Array) =>
    items
      .map((t) => ({ t, der: enc(t) }))
      .sort((a, b) => compareBytes(a.der, b.der))
      .map((x) => x.t);
  const digests = new Map<string, Uint8Array>();
  for (const si of o.signerInfos) {
    const der = new Uint8Array(AsnConvert.serialize(si.digestAlgorithm));
    digests.set(Array.from(der).join(','), der);
  }
  const digestAlgorithms = new DigestAlgorithmIdentifiers(
    sortDer([...digests.values()], (d) => d).map((d) => AsnConvert.parse(d, DigestAlgorithmIdentifier)),
  );
  const v3 = o.eContentType !== '1.2.840.113549.1.7.1' || o.signerInfos.some((s) => s.version === 3);
  const sd = new RequestSignedData({
    version: v3 ? 3 : 1,
    digestAlgorithms,
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: o.eContentType,
      eContent: new EncapsulatedContent({ single: new OctetString(toArrayBuffer(o.eContent)) }),
    }),
    certificates: o.certificates.length ? sortDer(o.certificates, (c) => c).map(toArrayBuffer) : undefined,
    signerInfos: new SignerInfos(sortDer(o.signerInfos, (s) => new Uint8Array(AsnConvert.serialize(s)))),
  });
  return new Uint8Array(
    AsnConvert.serialize(new ContentInfo({ contentType: SIGNED_DATA, content: AsnConvert.serialize(sd) })),
  );
}
