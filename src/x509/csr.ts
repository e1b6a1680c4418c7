/**
 * PKCS#10 certification requests (RFC 2986) with the Microsoft request attributes
 * (learn.microsoft.com "CMC Request"; docs/certsrv.md §7), decoded with the strict reader
 * in der.ts.
 *
 * The signature is verified over the original certificationRequestInfo bytes, never a
 * re-encoding (RFC 2986 §4.2: the signature is over the requester's DER of it), before
 * anything else in the request is
 * believed.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { ClientInfo } from './clientInfo.js';
import { checkDer, children, read, readTlv, TAG, type Tlv } from './der.js';
import { decodeName, formatName, type NameAttribute } from './name.js';
import { OID } from './oids.js';
import { readExtensions, type Extension } from './readExtensions.js';
import {
  decodeSignatureAlgorithm,
  decodeSpki,
  publicKeyObject,
  verifySignature,
  verifySignatureAsync,
  type PublicKeyInfo,
  type SignatureAlgorithm,
} from './publicKey.js';

/** An extension of the extensionRequest attribute (readExtensions.ts). */
export type RequestExtension = Extension;

export interface RequestAttribute {
  readonly oid: string;
  /** Each value as a whole DER TLV. */
  readonly values: readonly Buffer[];
}

/** AT_KEYEXCHANGE = 1, AT_SIGNATURE = 2 (wincrypt.h; docs/certsrv.md §8). */
export type KeySpecNumber = 1 | 2;

export interface MicrosoftRequestInfo {
  /** szOID_ENROLLMENT_NAME_VALUE_PAIR pairs, e.g. ["CertificateTemplate", "User"]. */
  readonly nameValuePairs: readonly (readonly [string, string])[];
  readonly csp?: { readonly keySpec: number; readonly provider: string };
  readonly osVersion?: string;
  readonly clientInfo?: ClientInfo;
  /** From the 1.3.6.1.4.1.311.20.2 (v1 name) or 1.3.6.1.4.1.311.21.7 (v2) extension. */
  readonly templateName?: string;
  readonly templateOid?: string;
}

export interface ParsedCsr {
  readonly der: Buffer;
  readonly info: Buffer;
  readonly subjectDer: Buffer;
  readonly subject: readonly NameAttribute[];
  readonly spki: Buffer;
  readonly key: PublicKeyInfo;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Buffer;
  readonly attributes: readonly RequestAttribute[];
  readonly extensions: readonly RequestExtension[];
  readonly microsoft: MicrosoftRequestInfo;
}

/** Microsoft's older extension-request attribute (szOID_CERT_EXTENSIONS), used by XEnroll. */
const MS_CERT_EXTENSIONS = '1.3.6.1.4.1.311.2.1.14';

const bad = (detail: string): never => {
  throw new TesseraError('REQUEST_MALFORMED', detail);
};

/**
 * Decode and verify a DER PKCS#10. Throws a TesseraError with the precise code for
 * every failure: malformed or non-DER input, nesting limits, unsupported or weak key
 * algorithms, and a signature that does not verify with the request's own key.
 */
export function parseCsr(der: Buffer): ParsedCsr {
  const head = parseSigned(der);
  if (!verifySignature(head.signatureAlgorithm, publicKeyObject(head.spki), head.key, head.info, head.signature)) {
    throw new TesseraError('CSR_BAD_SIGNATURE');
  }
  return parseContent(der, head);
}

/**
 * parseCsr with the signature checked off the event loop for EC keys (verifyPool.ts): the
 * same checks in the same order, with the same errors. The issuance path uses it.
 */
export async function parseCsrAsync(der: Buffer): Promise<ParsedCsr> {
  const head = parseSigned(der);
  if (!(await verifySignatureAsync(head.signatureAlgorithm, head.spki, head.key, head.info, head.signature))) {
    throw new TesseraError('CSR_BAD_SIGNATURE');
  }
  return parseContent(der, head);
}

interface SignedParts {
  readonly infoParts: readonly Tlv[];
  readonly attrsT: Tlv | undefined;
  readonly spki: Buffer;
  readonly key: PublicKeyInfo;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Buffer;
  readonly info: Buffer;
}

/** What the signature check needs: structure, key, algorithm, signature, the signed bytes. */
function parseSigned(der: Buffer): SignedParts {
  // A CSR has a few dozen TLVs and nests about 8 deep; 32 leaves room for attributes.
  const top = checkDer(der, { maxDepth: 32, maxNodes: 20_000 });
  if (top.tag !== TAG.SEQUENCE) bad('a certification request is a SEQUENCE');
  const parts = children(der, top);
  if (parts.length !== 3) bad('CertificationRequest is not { info, algorithm, signature }');
  const [infoT, algT, sigT] = parts;
  if (infoT.tag !== TAG.SEQUENCE || algT.tag !== TAG.SEQUENCE || sigT.tag !== TAG.BIT_STRING)
    bad('CertificationRequest fields have the wrong types');

  const infoParts = children(der, infoT);
  if (infoParts.length < 3 || infoParts.length > 4) bad('CertificationRequestInfo has the wrong number of fields');
  const [verT, subjT, spkiT, attrsT] = infoParts;
  if (verT.tag !== TAG.INTEGER || read.smallInt(der, verT) !== 0) bad('CertificationRequestInfo version is not v1 (0)');
  if (subjT.tag !== TAG.SEQUENCE || spkiT.tag !== TAG.SEQUENCE) bad('subject or subjectPKInfo has the wrong type');
  if (attrsT && attrsT.tag !== 0xa0) bad('attributes are not [0] IMPLICIT SET OF');

  const spki = read.whole(der, spkiT);
  const key = decodeSpki(spki);
  const signatureAlgorithm = decodeSignatureAlgorithm(read.whole(der, algT));
  const sigBits = read.bytes(der, sigT);
  if (sigBits[0] !== 0) bad('signature BIT STRING has unused bits');
  const signature = sigBits.subarray(1);
  const info = read.whole(der, infoT);
  return { infoParts, attrsT, spki, key, signatureAlgorithm, signature, info };
}

/** Everything else, read only once the signature holds. */
function parseContent(der: Buffer, h: SignedParts): ParsedCsr {
  const subjT = h.infoParts[1];
  const attributes = h.attrsT ? decodeAttributes(der, h.attrsT) : [];
  const extensions = decodeExtensionRequest(attributes);
  const subjectDer = read.whole(der, subjT);
  const subject = decodeName(der, subjT);
  return {
    der,
    info: h.info,
    subjectDer,
    subject,
    spki: h.spki,
    key: h.key,
    signatureAlgorithm: h.signatureAlgorithm,
    signature: h.signature,
    attributes,
    extensions,
    microsoft: decodeMicrosoft(attributes, extensions),
  };
}

function decodeAttributes(der: Buffer, set: Tlv): RequestAttribute[] {
  return children(der, set).map((a) => {
    // children() reads whatever the content holds: a primitive must not pass for a SEQUENCE.
    if (a.tag !== TAG.SEQUENCE) bad('Attribute is not a SEQUENCE');
    const [typeT, valuesT] = children(der, a);
    if (!typeT || !valuesT || valuesT.tag !== TAG.SET) bad('Attribute is not { type, SET OF values }');
    return { oid: read.oid(der, typeT), values: children(der, valuesT).map((v) => read.whole(der, v)) };
  });
}

/** PKCS#9 extensionRequest (RFC 2985 §5.4.2): one SEQUENCE OF Extension, no duplicates across attributes. */
function decodeExtensionRequest(attrs: readonly RequestAttribute[]): RequestExtension[] {
  const seen = new Map<string, Extension>();
  for (const a of attrs) {
    if (a.oid !== OID.extensionRequest && a.oid !== MS_CERT_EXTENSIONS) continue;
    for (const v of a.values) {
      const top = readTlv(v, 0, v.length);
      if (top.tag !== TAG.SEQUENCE) bad('extensionRequest value is not a SEQUENCE');
      const before = seen.size;
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      readExtensions(v, top, { into: seen, duplicateCode: 'CSR_DUPLICATE_EXTENSION', notDerCode: 'REQUEST_NOT_DER' });
      for (const e of [...seen.values()].slice(before)) checkExtensionValue(e.oid, e.value);
    }
  }
  return [...seen.values()];
}

/** Empty EKU or SAN sequences are invalid (RFC 5280 §4.2.1.6, §4.2.1.12; step-ca CVE-2026-40097). */
function checkExtensionValue(id: string, value: Buffer): void {
  if (value.length === 0) throw new TesseraError('CSR_INVALID_EXTENSION', `${id} has an empty value`);
  let top: Tlv;
  try {
    top = checkDer(value, { maxDepth: 16, maxNodes: 10_000 });
  } catch (e) {
    if (e instanceof TesseraError && (e.code === 'REQUEST_TOO_DEEP' || e.code === 'REQUEST_TOO_LARGE')) throw e;
    throw new TesseraError('CSR_INVALID_EXTENSION', `${id} is not valid DER`);
  }
  if (
    (id === OID.extKeyUsage || id === OID.subjectAltName) &&
    (top.tag !== TAG.SEQUENCE || top.end === top.contentStart)
  ) {
    throw new TesseraError(
      'CSR_INVALID_EXTENSION',
      `${id === OID.extKeyUsage ? 'extKeyUsage' : 'subjectAltName'} is empty`,
    );
  }
}

function decodeMicrosoft(attrs: readonly RequestAttribute[], exts: readonly RequestExtension[]): MicrosoftRequestInfo {
  const nameValuePairs: [string, string][] = [];
  let csp: MicrosoftRequestInfo['csp'];
  let osVersion: string | undefined;
  let clientInfo: MicrosoftRequestInfo['clientInfo'];
  // These attributes are informational; a malformed one is recorded as absent rather
  // than failing the request, as AD CS tolerates them.
  for (const a of attrs) {
    for (const v of a.values) {
      try {
        const top = readTlv(v, 0, v.length);
        if (a.oid === OID.enrollmentNameValuePair) {
          const [n, val] = children(v, top);
          nameValuePairs.push([read.string(v, n), read.string(v, val)]);
        } else if (a.oid === OID.enrollmentCspProvider) {
          const [spec, name] = children(v, top);
          csp = { keySpec: read.smallInt(v, spec), provider: read.string(v, name) };
        } else if (a.oid === OID.osVersion) {
          osVersion = read.string(v, top);
        } else if (a.oid === OID.requestClientInfo) {
          const [id, m, u, p] = children(v, top);
          clientInfo = {
            clientId: read.smallInt(v, id),
            machine: m ? read.string(v, m) : '',
            user: u ? read.string(v, u) : '',
            process: p ? read.string(v, p) : '',
          };
        }
      } catch {
        /* tolerated, see above */
      }
    }
  }
  let templateName: string | undefined;
  let templateOid: string | undefined;
  for (const e of exts) {
    try {
      const top = readTlv(e.value, 0, e.value.length);
      if (e.oid === OID.certificateTemplateName) templateName = read.string(e.value, top);
      else if (e.oid === OID.certificateTemplate) templateOid = read.oid(e.value, children(e.value, top)[0]);
    } catch {
      /* tolerated */
    }
  }
  return { nameValuePairs, csp, osVersion, clientInfo, templateName, templateOid };
}

export function describeSubject(csr: ParsedCsr): string {
  return formatName(csr.subject);
}
