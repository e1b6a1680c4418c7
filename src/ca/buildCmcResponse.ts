/**
 * The CMC Full PKI Response (RFC 5272 §4.2): a SignedData signed by the CA over a
 * PKIResponse (eContentType id-cct-PKIResponse, 1.3.6.1.5.5.7.12.3) whose controls carry
 * the request's status, with the issued certificate and its chain in the SignedData
 * `certificates`. This is what AD CS returns as FR_PROP_FULLRESPONSE for "Install this
 * certificate" and what CertEnroll's InstallResponse accepts (docs/certsrv.md §4);
 * the REST API serves it for `Accept: application/pkcs7-mime`.
 *
 * Controls written:
 *  - id-cmc-statusInfo (RFC 5272 §6.1.1, the version Windows reads) with bodyList naming
 *    the request's bodyPartID: success, failed (with CMCFailInfo) or pending (PendInfo
 *    carrying the request ID, as AD CS does);
 *  - id-cmc-transactionId and id-cmc-recipientNonce when the request carried a
 *    transactionId / senderNonce (RFC 5272 §6.6);
 *  - on success, Microsoft's CMC add-attributes with szOID_ISSUED_CERT_HASH (the SHA-1
 *    thumbprint of the issued certificate), which Windows uses to match the response.
 *
 * The CA's key never leaves keys/: the signature is made through CertificateAuthority.signData.
 */
import { createHash } from 'node:crypto';
import { Attribute } from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { ErrorCode } from '../errors/registry.js';
import { encodeSignedData } from '../x509/cmc/buildCmcRequest.js';
import { CmcAddAttributesInfo } from '../x509/cmc/CmcAddAttributesInfo.js';
import { CMC_FAIL_INFO, CMC_OID, CMC_STATUS } from '../x509/cmc/cmcOids.js';
import { CMCStatusInfo, CMCStatusInfoOtherInfo } from '../x509/cmc/CMCStatusInfo.js';
import { toArrayBuffer, type CmsHash } from '../x509/cmc/cmsBytes.js';
import { makeSignerInfo } from '../x509/cmc/makeSignerInfo.js';
import { PendInfo } from '../x509/cmc/PendInfo.js';
import { PKIResponse } from '../x509/cmc/PKIResponse.js';
import { TaggedAttribute } from '../x509/cmc/TaggedAttribute.js';
import { integerFromUnsigned } from '../x509/der.js';
import { decodeSignatureAlgorithm, type HashName } from '../x509/publicKey.js';
import type { CertificateAuthority } from './CertificateAuthority.js';

export type CmcResponseStatus = 'success' | 'failed' | 'pending';

export interface CmcResponseInput {
  readonly status: CmcResponseStatus;
  /** The request's TaggedCertificationRequest bodyPartID; 1 for a PKCS#10 or PKCS#7 request. */
  readonly bodyPartId: number | null;
  /** The issued certificate (status success). */
  readonly certificate?: Uint8Array;
  /** CA certificates to include: the issuing CA first, root last (Tessera.chain()). */
  readonly chain: readonly Uint8Array[];
  /** Human-readable text (the disposition message). */
  readonly statusString?: string;
  /** CMCFailInfo for status failed (RFC 5272 §6.1.4); badRequest when absent. */
  readonly failInfo?: number;
  /** The request ID; for status pending it becomes the pendToken. */
  readonly requestId?: number;
  /** From the request (hex of the INTEGER / OCTET STRING contents, as decodeCmsRequest records them). */
  readonly transactionId?: string;
  readonly senderNonce?: string;
  readonly now?: Date;
}

const HASHES: Record<HashName, CmsHash> = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

/** CMCFailInfo for a Tessera error code (RFC 5272 §6.1.4 meanings). */
export function cmcFailInfo(code: ErrorCode | null): number {
  switch (code) {
    case 'CSR_BAD_SIGNATURE':
    case 'CMC_POP_INVALID':
      return CMC_FAIL_INFO.popFailed;
    case 'SIGNATURE_ALGORITHM_UNSUPPORTED':
    case 'KEY_ALGORITHM_UNSUPPORTED':
    case 'KEY_EC_EXPLICIT_PARAMETERS':
      return CMC_FAIL_INFO.badAlg;
    case 'AGENT_SIGNATURE_INVALID':
    case 'CMC_SIGNER_UNKNOWN':
      return CMC_FAIL_INFO.badMessageCheck;
    case 'STORAGE_UNAVAILABLE':
    case 'DIRECTORY_UNAVAILABLE':
    case 'CA_KEY_UNAVAILABLE':
      return CMC_FAIL_INFO.tryLater;
    case 'INTERNAL':
    case 'STORAGE_FULL':
      return CMC_FAIL_INFO.internalCAError;
    default:
      return CMC_FAIL_INFO.badRequest;
  }
}

/** The response status for a stored disposition. */
export function cmcStatusOf(disposition: string): CmcResponseStatus {
  return disposition === 'issued'
    ? 'success'
    : disposition === 'pending' || disposition === 'issuing'
      ? 'pending'
      : 'failed';
}

const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

export async function buildCmcResponse(ca: CertificateAuthority, o: CmcResponseInput): Promise<Buffer> {
  const bodyPartId = o.bodyPartId ?? 1;
  const controls: TaggedAttribute[] = [];
  const control = (attrType: string, value: ArrayBuffer) =>
    controls.push(new TaggedAttribute({ bodyPartID: controls.length + 1, attrType, attrValues: [value] }));

  let otherInfo: CMCStatusInfoOtherInfo | undefined;
  if (o.status === 'failed')
    otherInfo = new CMCStatusInfoOtherInfo({ failInfo: o.failInfo ?? CMC_FAIL_INFO.badRequest });
  if (o.status === 'pending') {
    const token = new Uint8Array(4);
    new DataView(token.buffer).setUint32(0, o.requestId ?? 0);
    // GeneralizedTime without fractional seconds (RFC 5280 §4.1.2.5.2 practice).
    otherInfo = new CMCStatusInfoOtherInfo({
      pendInfo: new PendInfo({ pendToken: new OctetString(token.buffer), pendTime: wholeSeconds(o.now ?? new Date()) }),
    });
  }
  const status = new CMCStatusInfo({
    cMCStatus: CMC_STATUS[o.status],
    bodyList: [bodyPartId],
    ...(o.statusString ? { statusString: o.statusString } : {}),
    ...(otherInfo ? { otherInfo } : {}),
  });
  control(CMC_OID.statusInfo, AsnConvert.serialize(status));
  // RFC 5272 §6.6: the transactionId is copied; the sender's nonce comes back as recipientNonce.
  if (o.transactionId)
    control(CMC_OID.transactionId, toArrayBuffer(integerFromUnsigned(Buffer.from(o.transactionId, 'hex'))));
  if (o.senderNonce)
    control(
      CMC_OID.recipientNonce,
      AsnConvert.serialize(new OctetString(toArrayBuffer(Buffer.from(o.senderNonce, 'hex')))),
    );
  if (o.status === 'success' && o.certificate) {
    const thumbprint = createHash('sha1').update(o.certificate).digest();
    const info = new CmcAddAttributesInfo({
      pkiDataReference: 0,
      certReferences: [bodyPartId],
      attributes: [
        new Attribute({
          attrType: CMC_OID.msIssuedCertHash,
          attrValues: [AsnConvert.serialize(new OctetString(toArrayBuffer(thumbprint)))],
        }),
      ],
    });
    control(CMC_OID.msAddAttributes, AsnConvert.serialize(info));
  }

  const eContent = new Uint8Array(AsnConvert.serialize(new PKIResponse({ controlSequence: controls })));
  const algorithm = decodeSignatureAlgorithm(ca.signatureAlgorithm);
  const signer = await makeSignerInfo({
    sid: { certificate: ca.certificate.der },
    hash: HASHES[algorithm.hash],
    signatureAlgorithm: AsnConvert.parse(ca.signatureAlgorithm, AlgorithmIdentifier),
    eContentType: CMC_OID.idCctPKIResponse,
    eContent,
    sign: (data) => ca.signData(data),
  });
  const certificates = [...(o.certificate ? [o.certificate] : []), ...o.chain];
  return Buffer.from(
    encodeSignedData({ eContentType: CMC_OID.idCctPKIResponse, eContent, certificates, signerInfos: [signer] }),
  );
}

/** What a request came to: ra/submit's SubmitResult, or a stored request with its certificate. */
export interface RequestOutcome {
  readonly requestId: number;
  readonly disposition: string;
  readonly code: string | null;
  readonly message: string;
  readonly certificate: Uint8Array | null;
}

/**
 * The full response for a request's outcome — what the REST API answers for
 * `Accept: application/pkcs7-mime` and certsrv's install flow returns. `request` is the
 * decoded request (bodyPartID) and its stored attributes (the transactionId and
 * senderNonce decodeCmsRequest recorded), when known.
 */
export function cmcResponseFor(
  ca: CertificateAuthority,
  chain: readonly Uint8Array[],
  outcome: RequestOutcome,
  request?: { readonly bodyPartId: number | null; readonly attributes: Readonly<Record<string, string>> },
): Promise<Buffer> {
  const status = cmcStatusOf(outcome.disposition);
  return buildCmcResponse(ca, {
    status,
    bodyPartId: request?.bodyPartId ?? null,
    certificate: status === 'success' && outcome.certificate ? outcome.certificate : undefined,
    chain,
    statusString: outcome.message,
    failInfo: status === 'failed' ? cmcFailInfo(outcome.code as ErrorCode | null) : undefined,
    requestId: outcome.requestId,
    transactionId: request?.attributes['cmc-transactionid'],
    senderNonce: request?.attributes['cmc-sendernonce'],
  });
}
