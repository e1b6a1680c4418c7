/**
 * The one strict X.509 certificate reader (RFC 5280 §4.1). Everything that reads a
 * certificate — the relying party (signin/), CMC signer matching, the CA's own and issued
 * certificates, and the CA's lint of the TBS it is about to sign — reads it here.
 *
 *   Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm AlgorithmIdentifier,
 *       signatureValue BIT STRING }
 *   TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, serialNumber CertificateSerialNumber,
 *       signature AlgorithmIdentifier, issuer Name, validity Validity, subject Name,
 *       subjectPublicKeyInfo SubjectPublicKeyInfo, issuerUniqueID [1] IMPLICIT OPTIONAL,
 *       subjectUniqueID [2] IMPLICIT OPTIONAL, extensions [3] EXPLICIT Extensions OPTIONAL }
 *
 * The whole value is first walked by the iterative DER reader (der.ts checkDer: definite
 * minimal lengths, canonical primitives, depth and element caps, no trailing bytes); then
 * every field is read, refusing what RFC 5280 refuses: an extension twice (§4.2), an
 * unrecognised critical extension (§4.2), an empty EKU or key usage, a signature algorithm
 * in the TBS that differs from the outer one (§4.1.1.2), times that are not the two exact
 * forms of §4.1.2.5 (time.ts). Every failure is one TesseraError with the caller's code.
 */
import { createHash } from 'node:crypto';
import { TesseraError } from '../errors/TesseraError.js';
import type { ErrorCode } from '../errors/registry.js';
import { checkDer, children, read, readTlv, TAG, type Tlv } from './der.js';
import {
  decodeGeneralName,
  decodeGeneralNames,
  decodeSidExtensionValue,
  isSid,
  SID_URI_PREFIX,
  type GeneralName,
} from './generalNames.js';
import { decodeName, formatName, type NameAttribute } from './name.js';
import { nameKey } from './compareNames.js';
import { decodeDistributionPoints, type DistributionPoint } from './distributionPoints.js';
import {
  decodeCertificatePolicies,
  decodeInhibitAnyPolicy,
  decodePolicyConstraints,
  decodePolicyMappings,
  type PolicyConstraints,
  type PolicyMapping,
} from './certificatePolicies.js';
import { decodeNameConstraints, type NameConstraints } from './nameConstraints.js';
import { OID } from './oids.js';
import { decodeSpki, keyIdentifier, type PublicKeyInfo } from './publicKey.js';
import { decodeKeyUsage, type KeyUsageBit } from './keyUsage.js';
import { readExtensions, type Extension } from './readExtensions.js';
import { readTime } from './time.js';

export type { Extension } from './readExtensions.js';

/** Limits on one certificate (smart card certificates are 1–3 KB, CA certificates alike). */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;
const DER_LIMITS = { maxDepth: 24, maxNodes: 4_000 };

/** The fields of a TBSCertificate, read from the signed bytes themselves. */
export interface TbsCertificate {
  readonly version: 1 | 2 | 3;
  /** The TBS `signature` AlgorithmIdentifier TLV (RFC 5280 §4.1.2.3). */
  readonly tbsSignatureAlgorithm: Buffer;
  /**
   * The unsigned magnitude in lower-case hex, without the INTEGER's sign octet: the one
   * serial form (the certificates table, CRL entries, OCSP lookups; serialFromInteger).
   */
  readonly serial: string;
  /** The serialNumber INTEGER TLV exactly as encoded (the OCSP CertID repeats it). */
  readonly serialTlv: Buffer;
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly issuerText: string;
  readonly subjectText: string;
  /** The subject's attributes in sequence order (x509/name.ts). */
  readonly subjectAttributes: readonly NameAttribute[];
  /**
   * The issuer Name in X.500 sequence order, as Windows writes it in altSecurityIdentities (`DC=com,DC=contoso,CN=CA`).
   */
  readonly issuerWindowsText: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Buffer;
  readonly key: PublicKeyInfo;
  readonly extensions: ReadonlyMap<string, Extension>;
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  readonly keyUsage?: ReadonlySet<KeyUsageBit>;
  readonly extKeyUsage?: readonly string[];
  /** szOID_APPLICATION_CERT_POLICIES (1.3.6.1.4.1.311.21.10) policy identifiers. */
  readonly applicationPolicies?: readonly string[];
  readonly subjectAltNames: readonly GeneralName[];
  /** KB5014754: the SID from szOID_NTDS_CA_SECURITY_EXT (1.3.6.1.4.1.311.25.2). */
  readonly sidExtension?: string;
  /** The SIDs of SAN URIs `tag:microsoft.com,2022-09-14:sid:<SID>`. */
  readonly sidUris: readonly string[];
  readonly upns: readonly string[];
  readonly subjectKeyId?: Buffer;
  readonly authorityKeyId?: Buffer;
  /** cRLDistributionPoints URIs of complete, direct distribution points (no reasons, no cRLIssuer). */
  readonly crlUrls: readonly string[];
  /** Every cRLDistributionPoints entry, for RFC 5280 §6.3.3 scope matching (distributionPoints.ts). */
  readonly distributionPoints: readonly DistributionPoint[];
  /** freshestCRL (RFC 5280 §4.2.1.15): where delta CRLs are. */
  readonly freshestCrlUrls: readonly string[];
  readonly ocspUrls: readonly string[];
  readonly caIssuersUrls: readonly string[];
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1). */
  readonly ocspNoCheck: boolean;
  /** Subject and issuer are the same name (RFC 5280 §6.1: self-issued, compared as §7.1 says). */
  readonly selfIssued: boolean;
  /** RFC 5280 §7.1 comparison keys of the subject and issuer (x509/compareNames.ts). */
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** The subject Name has no RDN. */
  readonly emptySubject: boolean;
  /** nameConstraints (§4.2.1.10), critical or not. */
  readonly nameConstraints?: NameConstraints;
  /** certificatePolicies policy identifiers (§4.2.1.4). */
  readonly policies?: readonly string[];
  readonly policyMappings?: readonly PolicyMapping[];
  readonly policyConstraints?: PolicyConstraints;
  readonly inhibitAnyPolicy?: number;
  /**
   * Critical extensions this code does not recognise. Empty unless the certificate was
   * read with `unknownCritical: 'record'`: path validation then refuses the certificate
   * only if it is on the path (RFC 5280 §6.1.4 (o), §6.1.5 (f)).
   */
  readonly unknownCritical: readonly string[];
}

/** A whole certificate: the TBS fields and what surrounds them. */
export interface ParsedCertificate extends TbsCertificate {
  readonly der: Buffer;
  /** SHA-256 of the DER, lower-case hex (audit records, rate limiting). */
  readonly fingerprint: string;
  /** The signed bytes (the whole TBSCertificate TLV). */
  readonly tbs: Buffer;
  /** The outer signatureAlgorithm TLV. */
  readonly signatureAlgorithm: Buffer;
  /** signatureValue without its unused-bits octet. */
  readonly signature: Buffer;
}

export interface ReadCertificateOptions {
  /** The code of the TesseraError every failure becomes. Default REQUEST_MALFORMED. */
  readonly errorCode?: ErrorCode;
  /**
   * 'refuse' (default): an unrecognised critical extension makes the certificate
   * unreadable. 'record': it is listed in `unknownCritical` for path validation to refuse
   * — for certificates that are only candidates for a path (a client's extra certificates).
   */
  readonly unknownCritical?: 'refuse' | 'record';
}

/**
 * Extensions this relying party processes, so it may accept them marked critical
 * (RFC 5280 §4.2: "MUST reject the certificate if it encounters a critical extension it
 * does not recognize"). Name constraints and the policy extensions are processed by
 * path validation (validatePath.ts), critical or not.
 */
const UNDERSTOOD = new Set<string>([
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.keyUsage,
  OID.basicConstraints,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.certificatePolicies,
  OID.policyMappings,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
  OID.nameConstraints,
  OID.cRLDistributionPoints,
  OID.freshestCRL,
  OID.authorityInfoAccess,
  OID.applicationPolicies,
  OID.ntdsCaSecurityExt,
  OID.ocspNoCheck,
]);

// Helpers throw REQUEST_MALFORMED; readCertificate turns every failure into the caller's code.
function malformed(detail: string): never {
  throw new TesseraError('REQUEST_MALFORMED', detail);
}

/** The serial form of TbsCertificate.serial from INTEGER contents (DER: at most one sign octet). */
export function serialFromInteger(content: Uint8Array): string {
  const mag = content.length > 1 && content[0] === 0 ? content.subarray(1) : content;
  return Buffer.from(mag.buffer, mag.byteOffset, mag.length).toString('hex');
}

/** A URI GeneralName (tag [6]) → its text; anything else → undefined. */
function uriOf(der: Buffer, t: Tlv): string | undefined {
  if (t.tag !== 0x86) return undefined;
  const n = decodeGeneralName(der, t);
  return n.type === 'uri' ? n.value : undefined;
}

/** cRLDistributionPoints / freshestCRL (RFC 5280 §4.2.1.13): URIs of direct, complete distribution points. */
export function distributionPointUrls(v: Buffer): string[] {
  const top = readTlv(v, 0, v.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== v.length) malformed('CRLDistributionPoints is not a SEQUENCE');
  const dps = children(v, top);
  if (dps.length === 0) malformed('empty CRLDistributionPoints');
  const urls: string[] = [];
  for (const dp of dps) {
    if (dp.tag !== TAG.SEQUENCE) malformed('DistributionPoint is not a SEQUENCE');
    const parts = children(v, dp);
    // reasons [1] or cRLIssuer [2]: a partitioned or indirect CRL, which this RP does not use.
    if (parts.some((p) => p.tag === 0xa1 || p.tag === 0x81 || p.tag === 0xa2)) continue;
    const name = parts.find((p) => p.tag === 0xa0);
    if (!name) continue;
    const choice = children(v, name)[0];
    // DistributionPointName: fullName [0] IMPLICIT GeneralNames; nameRelativeToCRLIssuer [1] is not used.
    if (choice?.tag !== 0xa0) continue;
    for (const gn of children(v, choice)) {
      const u = uriOf(v, gn);
      if (u) urls.push(u);
    }
  }
  return urls;
}

function oidList(v: Buffer, what: string): string[] {
  const top = readTlv(v, 0, v.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== v.length) malformed(`${what} is not a SEQUENCE`);
  const items = children(v, top);
  // RFC 5280 §4.2.1.12: SIZE (1..MAX); an empty one crashed step-ca (CVE-2026-40097).
  if (items.length === 0) malformed(`empty ${what}`);
  return items.map((i) => read.oid(v, i));
}

function policyIds(v: Buffer): string[] {
  const top = readTlv(v, 0, v.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== v.length) malformed('application policies are not a SEQUENCE');
  const items = children(v, top);
  if (items.length === 0) malformed('empty application policies');
  return items.map((p) => {
    const [id] = p.tag === TAG.SEQUENCE ? children(v, p) : [];
    if (!id) return malformed('a PolicyInformation is not { policyIdentifier, qualifiers }');
    return read.oid(v, id);
  });
}

function basicConstraints(v: Buffer): { ca: boolean; pathLen?: number } {
  const top = readTlv(v, 0, v.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== v.length) malformed('basicConstraints is not a SEQUENCE');
  const parts = children(v, top);
  let i = 0;
  let ca = false;
  if (parts[i]?.tag === TAG.BOOLEAN) {
    ca = v[parts[i].contentStart] === 0xff;
    // X.690 §11.5: a DEFAULT value is not encoded in DER, so an explicit FALSE is not DER.
    if (!ca) malformed('basicConstraints encodes cA FALSE (DER omits the default)');
    i++;
  }
  let pathLen: number | undefined;
  if (parts[i]?.tag === TAG.INTEGER) {
    pathLen = read.smallInt(v, parts[i]);
    if (pathLen < 0) malformed('negative pathLenConstraint');
    // RFC 5280 §4.2.1.9: pathLenConstraint only when cA is TRUE.
    if (!ca) malformed('pathLenConstraint without cA');
    i++;
  }
  if (i !== parts.length) malformed('unexpected field in basicConstraints');
  return pathLen === undefined ? { ca } : { ca, pathLen };
}

function octetStringValue(v: Buffer, what: string): Buffer {
  const t = readTlv(v, 0, v.length);
  if (t.tag !== TAG.OCTET_STRING || t.end !== v.length) malformed(`${what} is not an OCTET STRING`);
  return Buffer.from(read.bytes(v, t));
}

function authorityKeyId(v: Buffer): Buffer | undefined {
  const top = readTlv(v, 0, v.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== v.length) malformed('authorityKeyIdentifier is not a SEQUENCE');
  const id = children(v, top).find((p) => p.tag === 0x80);
  return id ? Buffer.from(read.bytes(v, id)) : undefined;
}

function accessUrls(v: Buffer): { ocsp: string[]; caIssuers: string[] } {
  const top = readTlv(v, 0, v.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== v.length) malformed('authorityInfoAccess is not a SEQUENCE');
  const out = { ocsp: [] as string[], caIssuers: [] as string[] };
  for (const ad of children(v, top)) {
    const [method, location] = ad.tag === TAG.SEQUENCE ? children(v, ad) : [];
    if (!method || !location) malformed('AccessDescription is not { accessMethod, accessLocation }');
    const m = read.oid(v, method);
    const u = uriOf(v, location);
    if (!u) continue;
    if (m === OID.ocsp) out.ocsp.push(u);
    else if (m === OID.caIssuers) out.caIssuers.push(u);
  }
  return out;
}

/** Read one certificate strictly. Every failure is a TesseraError with `o.errorCode`. */
export function readCertificate(input: Uint8Array, o: ReadCertificateOptions = {}): ParsedCertificate {
  return failingAs(o.errorCode ?? 'REQUEST_MALFORMED', () => {
    const der = sized(input);
    const top = checkDer(der, DER_LIMITS);
    if (top.tag !== TAG.SEQUENCE) malformed('Certificate is not a SEQUENCE');
    const outer = children(der, top);
    const [a, b, c] = outer;
    if (outer.length !== 3 || a.tag !== TAG.SEQUENCE || b.tag !== TAG.SEQUENCE || c.tag !== TAG.BIT_STRING) {
      malformed('Certificate is not { TBSCertificate, AlgorithmIdentifier, BIT STRING }');
    }
    const [tbsT, sigAlgT, sigT] = outer;
    const sigBits = read.bytes(der, sigT);
    if (sigBits[0] !== 0) malformed('signatureValue has unused bits');
    const signatureAlgorithm = read.whole(der, sigAlgT);
    const fields = readTbs(der, tbsT, o.unknownCritical ?? 'refuse');
    // RFC 5280 §4.1.1.2: the signature field "MUST contain the same algorithm identifier" as signatureAlgorithm.
    if (!fields.tbsSignatureAlgorithm.equals(signatureAlgorithm)) {
      malformed('the TBS signature algorithm differs from signatureAlgorithm');
    }
    return {
      der,
      fingerprint: createHash('sha256').update(der).digest('hex'),
      tbs: read.whole(der, tbsT),
      signatureAlgorithm,
      signature: sigBits.subarray(1),
      ...fields,
    };
  });
}

/**
 * Read a TBSCertificate alone, as strictly as readCertificate reads it inside a
 * certificate: the CA lints the bytes it is about to sign with this (ca/lintTbs.ts).
 */
export function readTbsCertificate(input: Uint8Array, o: ReadCertificateOptions = {}): TbsCertificate {
  return failingAs(o.errorCode ?? 'REQUEST_MALFORMED', () => {
    const der = sized(input);
    const top = checkDer(der, DER_LIMITS);
    if (top.tag !== TAG.SEQUENCE) malformed('TBSCertificate is not a SEQUENCE');
    return readTbs(der, top, o.unknownCritical ?? 'refuse');
  });
}

function sized(input: Uint8Array): Buffer {
  const max = MAX_CERTIFICATE_BYTES;
  if (input.length > max) malformed(`a certificate of ${input.length} bytes (at most ${max})`);
  return Buffer.from(input);
}

/** Run `f`; whatever it throws (the DER, name, SPKI decoders speak in request codes) becomes `code`. */
function failingAs<T>(code: ErrorCode, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TesseraError && e.code === code) throw e;
    const detail = e instanceof TesseraError ? (e.detail ?? e.code) : (e as Error).message;
    throw new TesseraError(code, detail);
  }
}

function readTbs(der: Buffer, tbsT: Tlv, unknownCriticalMode: 'refuse' | 'record'): TbsCertificate {
  const f = children(der, tbsT);
  let i = 0;
  let version: 1 | 2 | 3 = 1;
  if (f[i]?.tag === 0xa0) {
    const v = children(der, f[i]);
    if (v.length !== 1 || v[0].tag !== TAG.INTEGER) malformed('version is not [0] { INTEGER }');
    const n = read.smallInt(der, v[0]);
    // X.690 §11.5: v1 is the DEFAULT and is not encoded in DER.
    if (n !== 1 && n !== 2) malformed(`version ${n + 1}`);
    version = (n + 1) as 2 | 3;
    i++;
  }
  const [serialT, algT, issuerT, validityT, subjectT, spkiT] = f.slice(i, i + 6);
  if (!spkiT) malformed('TBSCertificate is missing fields');
  if (
    serialT.tag !== TAG.INTEGER ||
    algT.tag !== TAG.SEQUENCE ||
    issuerT.tag !== TAG.SEQUENCE ||
    validityT.tag !== TAG.SEQUENCE ||
    subjectT.tag !== TAG.SEQUENCE ||
    spkiT.tag !== TAG.SEQUENCE
  ) {
    malformed('TBSCertificate fields have the wrong types');
  }
  const serialContent = read.bytes(der, serialT);
  // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets.
  if (serialContent[0] & 0x80) malformed('negative serial number');
  if (serialContent.length > 21 || (serialContent.length === 21 && serialContent[0] !== 0))
    malformed('serial number longer than 20 octets');
  const validity = children(der, validityT);
  if (validity.length !== 2) malformed('Validity is not { notBefore, notAfter }');
  const notBefore = readTime(der, validity[0]);
  const notAfter = readTime(der, validity[1]);
  let rest = f.slice(i + 6);
  // issuerUniqueID [1] / subjectUniqueID [2] (v2/v3 only; RFC 5280 CAs do not emit them).
  while (rest[0] && (rest[0].tag === 0x81 || rest[0].tag === 0xa1 || rest[0].tag === 0x82 || rest[0].tag === 0xa2)) {
    if (version === 1) malformed('unique identifiers in a v1 certificate');
    rest = rest.slice(1);
  }
  let extensions = new Map<string, Extension>();
  let unknownCritical: string[] = [];
  if (rest[0]?.tag === 0xa3) {
    // RFC 5280 §4.1.2.9: extensions only in v3.
    if (version !== 3) malformed('extensions in a certificate that is not v3');
    const [list] = children(der, rest[0]);
    if (!list || list.tag !== TAG.SEQUENCE || children(der, rest[0]).length !== 1)
      malformed('extensions is not [3] { SEQUENCE }');
    const found = readExtensions(der, list, { understood: UNDERSTOOD, unknownCritical: unknownCriticalMode });
    ({ extensions, unknownCritical } = found);
    if (extensions.size === 0) malformed('empty Extensions');
    rest = rest.slice(1);
  }
  if (rest.length) malformed('unexpected field after the extensions');

  const ext = (id: string) => extensions.get(id)?.value;
  const san = ext(OID.subjectAltName);
  const names = san ? decodeGeneralNames(san) : [];
  const sidExt = ext(OID.ntdsCaSecurityExt);
  let sidExtension: string | undefined;
  if (sidExt) {
    sidExtension = decodeSidExtensionValue(sidExt);
    if (!isSid(sidExtension)) malformed('the SID extension does not hold a SID');
  }
  const sidUris: string[] = [];
  for (const n of names) {
    if (n.type !== 'uri' || !n.value.toLowerCase().startsWith(SID_URI_PREFIX)) continue;
    const sid = n.value.slice(SID_URI_PREFIX.length);
    if (!isSid(sid)) malformed('a SID URI does not hold a SID');
    sidUris.push(sid);
  }
  const aia = ext(OID.authorityInfoAccess);
  const access = aia ? accessUrls(aia) : { ocsp: [], caIssuers: [] };
  const cdp = ext(OID.cRLDistributionPoints);
  const freshest = ext(OID.freshestCRL);
  const ski = ext(OID.subjectKeyIdentifier);
  const aki = ext(OID.authorityKeyIdentifier);
  const bc = ext(OID.basicConstraints);
  const ku = ext(OID.keyUsage);
  const eku = ext(OID.extKeyUsage);
  const apps = ext(OID.applicationPolicies);
  const noCheck = ext(OID.ocspNoCheck);
  const nc = ext(OID.nameConstraints);
  const cp = ext(OID.certificatePolicies);
  const pm = ext(OID.policyMappings);
  const pc = ext(OID.policyConstraints);
  const iap = ext(OID.inhibitAnyPolicy);
  if (noCheck && !(noCheck.length === 2 && noCheck[0] === TAG.NULL && noCheck[1] === 0))
    malformed('id-pkix-ocsp-nocheck is not NULL');

  const issuer = read.whole(der, issuerT);
  const subject = read.whole(der, subjectT);
  const issuerFacts = nameFacts(issuer);
  const subjectFacts = nameFacts(subject);
  const spki = read.whole(der, spkiT);
  const subjectKey = subjectFacts.key;
  const issuerKey = issuerFacts.key;
  return {
    version,
    tbsSignatureAlgorithm: read.whole(der, algT),
    serial: serialFromInteger(serialContent),
    serialTlv: read.whole(der, serialT),
    issuer,
    subject,
    issuerText: issuerFacts.text,
    subjectText: subjectFacts.text,
    subjectAttributes: subjectFacts.attrs,
    issuerWindowsText: issuerFacts.windowsText,
    notBefore,
    notAfter,
    spki,
    key: decodeSpki(spki),
    extensions,
    ...(bc ? { basicConstraints: basicConstraints(bc) } : {}),
    ...(ku ? { keyUsage: decodeKeyUsage(ku) } : {}),
    ...(eku ? { extKeyUsage: oidList(eku, 'extKeyUsage') } : {}),
    ...(apps ? { applicationPolicies: policyIds(apps) } : {}),
    subjectAltNames: names,
    ...(sidExtension ? { sidExtension } : {}),
    sidUris,
    upns: names.filter((n) => n.type === 'upn').map((n) => n.value as string),
    ...(ski ? { subjectKeyId: octetStringValue(ski, 'subjectKeyIdentifier') } : {}),
    ...(aki ? { authorityKeyId: authorityKeyId(aki) } : {}),
    crlUrls: cdp ? distributionPointUrls(cdp) : [],
    distributionPoints: cdp ? decodeDistributionPoints(cdp, issuer) : [],
    freshestCrlUrls: freshest ? distributionPointUrls(freshest) : [],
    ocspUrls: access.ocsp,
    caIssuersUrls: access.caIssuers,
    ocspNoCheck: !!noCheck,
    subjectKey,
    issuerKey,
    selfIssued: issuer.equals(subject) || subjectKey === issuerKey,
    emptySubject: children(der, subjectT).length === 0,
    ...(nc ? { nameConstraints: decodeNameConstraints(nc) } : {}),
    ...(cp ? { policies: decodeCertificatePolicies(cp) } : {}),
    ...(pm ? { policyMappings: decodePolicyMappings(pm) } : {}),
    ...(pc ? { policyConstraints: decodePolicyConstraints(pc) } : {}),
    ...(iap ? { inhibitAnyPolicy: decodeInhibitAnyPolicy(iap) } : {}),
    unknownCritical,
  };
}

interface NameFacts {
  readonly attrs: readonly NameAttribute[];
  readonly text: string;
  readonly windowsText: string;
  readonly key: string;
}

/**
 * The texts and RFC 5280 §7.1 key of a Name, by its DER. Issuer names repeat on every
 * certificate read (the CA's lint of each TBS, a relying party's chains), so they are
 * remembered; the cache is bounded like der.ts's OID cache.
 */
const namesSeen = new Map<string, NameFacts>();
function nameFacts(der: Buffer): NameFacts {
  const id = der.toString('latin1');
  let f = namesSeen.get(id);
  if (!f) {
    const attrs = decodeName(der);
    // Windows writes the issuer in X.500 sequence order in altSecurityIdentities (`DC=com,DC=contoso,CN=CA`).
    const windowsText = attrs.map((a) => `${a.type}=${a.value}`).join(',');
    f = { attrs, text: formatName(attrs), windowsText, key: nameKey(der) };
    if (namesSeen.size >= 1024) namesSeen.clear();
    namesSeen.set(id, f);
  }
  return f;
}

/** The key identifier: subjectKeyIdentifier when present, else RFC 5280 §4.2.1.2 method 1 (SHA-1 of the key bits). */
export function keyIdOf(c: Pick<TbsCertificate, 'subjectKeyId' | 'spki'>): Buffer {
  return c.subjectKeyId ?? keyIdentifier(c.spki);
}
