/**
 * Check 1 of the relying party (research/security.md §2 "What our RP must check, in
 * order", item 1): a presented certificate, untrusted input from anyone who opens a TLS
 * connection, is read strictly before anything looks at it.
 *
 *   Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 *   TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, serialNumber CertificateSerialNumber,
 *       signature AlgorithmIdentifier, issuer Name, validity Validity, subject Name,
 *       subjectPublicKeyInfo SubjectPublicKeyInfo, issuerUniqueID [1] IMPLICIT OPTIONAL,
 *       subjectUniqueID [2] IMPLICIT OPTIONAL, extensions [3] EXPLICIT Extensions OPTIONAL }
 *
 * The whole value is first walked by the iterative DER reader (x509/der.ts checkDer:
 * definite minimal lengths, canonical primitives, depth and element caps, no trailing
 * bytes); then every field is read here, refusing what RFC 5280 refuses: an extension
 * twice (§4.2), an unrecognised critical extension (§4.2), an empty EKU or key usage,
 * a signature algorithm in the TBS that differs from the outer one (§4.1.1.2), times
 * that are not the two exact forms of §4.1.2.5. Any failure is SIGNIN_CERT_MALFORMED.
 */
import { createHash } from 'node:crypto';
import { TesseraError } from '../errors/TesseraError.js';
import { checkDer, children, read, readTlv, TAG, type Tlv } from '../x509/der.js';
import { decodeGeneralName, decodeGeneralNames, decodeSidExtensionValue, isSid, SID_URI_PREFIX, type GeneralName } from '../x509/generalNames.js';
import { decodeName, formatName } from '../x509/name.js';
import { nameKey } from '../x509/compareNames.js';
import { decodeDistributionPoints, type DistributionPoint } from './distributionPoints.js';
import { decodeCertificatePolicies, decodeInhibitAnyPolicy, decodePolicyConstraints, decodePolicyMappings, type PolicyConstraints, type PolicyMapping } from '../x509/certificatePolicies.js';
import { decodeNameConstraints, type NameConstraints } from '../x509/nameConstraints.js';
import { OID } from '../x509/oids.js';
import { decodeSpki, type PublicKeyInfo } from '../x509/publicKey.js';

/** Limits on one presented certificate (smart card certificates are 1–3 KB). */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;
const DER_LIMITS = { maxDepth: 24, maxNodes: 4_000 };

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';
const KU_NAMES: readonly KeyUsageName[] = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

export interface Extension {
  readonly critical: boolean;
  readonly value: Buffer;
}

export interface ParsedCertificate {
  readonly der: Buffer;
  /** SHA-256 of the DER, lower-case hex (audit records, rate limiting). */
  readonly fingerprint: string;
  /** The signed bytes (the whole TBSCertificate TLV). */
  readonly tbs: Buffer;
  /** The outer signatureAlgorithm TLV. */
  readonly signatureAlgorithm: Buffer;
  /** signatureValue without its unused-bits octet. */
  readonly signature: Buffer;
  readonly version: 1 | 2 | 3;
  /** Unsigned magnitude in lower-case hex without leading zero octets (as the store keeps serials). */
  readonly serial: string;
  /** The serialNumber INTEGER TLV exactly as encoded (the OCSP CertID repeats it). */
  readonly serialTlv: Buffer;
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly issuerText: string;
  readonly subjectText: string;
  /** The issuer Name in X.500 sequence order, as Windows writes it in altSecurityIdentities (`DC=com,DC=contoso,CN=CA`). */
  readonly issuerWindowsText: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Buffer;
  readonly key: PublicKeyInfo;
  readonly extensions: ReadonlyMap<string, Extension>;
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  readonly keyUsage?: ReadonlySet<KeyUsageName>;
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

export interface ParseOptions {
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

function malformed(detail: string): never {
  throw new TesseraError('SIGNIN_CERT_MALFORMED', detail);
}

/** RFC 5280 §4.1.2.5.1 UTCTime YYMMDDHHMMSSZ and §4.1.2.5.2 GeneralizedTime YYYYMMDDHHMMSSZ, nothing else. */
export function parseTime(buf: Uint8Array, t: Tlv): Date {
  const s = Buffer.from(buf.subarray(t.contentStart, t.end)).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === TAG.UTCTime) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) return malformed(`UTCTime "${s.slice(0, 20)}" is not YYMMDDHHMMSSZ`);
    year = Number(m[1]);
    year += year < 50 ? 2000 : 1900; // RFC 5280 §4.1.2.5.1
  } else if (t.tag === TAG.GeneralizedTime) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) return malformed(`GeneralizedTime "${s.slice(0, 20)}" is not YYYYMMDDHHMMSSZ`);
    year = Number(m[1]);
  } else {
    return malformed('a time is neither UTCTime nor GeneralizedTime');
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number);
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  // Reject 31 February, hour 24, second 60: the fields must survive a round trip.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || date.getUTCHours() !== h || date.getUTCMinutes() !== mi || date.getUTCSeconds() !== se) {
    return malformed(`time "${s}" names no instant`);
  }
  return date;
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
    if (!choice || choice.tag !== 0xa0) continue;
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

function keyUsage(v: Buffer): Set<KeyUsageName> {
  const t = readTlv(v, 0, v.length);
  if (t.tag !== TAG.BIT_STRING || t.end !== v.length) malformed('keyUsage is not a BIT STRING');
  const bytes = read.bytes(v, t).subarray(1);
  const out = new Set<KeyUsageName>();
  KU_NAMES.forEach((name, bit) => {
    const byte = bytes[bit >> 3];
    if (byte !== undefined && byte & (0x80 >> (bit & 7))) out.add(name);
  });
  // RFC 5280 §4.2.1.3: "at least one of the bits in the keyUsage extension MUST be set to 1".
  if (out.size === 0) malformed('keyUsage with no bit set');
  return out;
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

/** Read one certificate strictly. Throws TesseraError SIGNIN_CERT_MALFORMED. */
export function parseCertificate(input: Uint8Array, options: ParseOptions = {}): ParsedCertificate {
  const der = Buffer.from(input);
  if (der.length > MAX_CERTIFICATE_BYTES) malformed(`a certificate of ${der.length} bytes (at most ${MAX_CERTIFICATE_BYTES})`);
  try {
    return parse(der, options.unknownCritical ?? 'refuse');
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'SIGNIN_CERT_MALFORMED') throw e;
    // The DER reader and the GeneralName/SPKI decoders speak in request codes; here they
    // all mean one thing: this certificate cannot be read.
    const detail = e instanceof TesseraError ? (e.detail ?? e.code) : (e as Error).message;
    throw new TesseraError('SIGNIN_CERT_MALFORMED', detail);
  }
}

function parse(der: Buffer, unknownCriticalMode: 'refuse' | 'record'): ParsedCertificate {
  const top = checkDer(der, DER_LIMITS);
  if (top.tag !== TAG.SEQUENCE) malformed('Certificate is not a SEQUENCE');
  const outer = children(der, top);
  if (outer.length !== 3 || outer[0].tag !== TAG.SEQUENCE || outer[1].tag !== TAG.SEQUENCE || outer[2].tag !== TAG.BIT_STRING) {
    malformed('Certificate is not { TBSCertificate, AlgorithmIdentifier, BIT STRING }');
  }
  const [tbsT, sigAlgT, sigT] = outer;
  const sigBits = read.bytes(der, sigT);
  if (sigBits[0] !== 0) malformed('signatureValue has unused bits');
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
  if (serialT.tag !== TAG.INTEGER || algT.tag !== TAG.SEQUENCE || issuerT.tag !== TAG.SEQUENCE || validityT.tag !== TAG.SEQUENCE || subjectT.tag !== TAG.SEQUENCE || spkiT.tag !== TAG.SEQUENCE) {
    malformed('TBSCertificate fields have the wrong types');
  }
  // RFC 5280 §4.1.1.2: the signature field "MUST contain the same algorithm identifier" as signatureAlgorithm.
  if (!read.whole(der, algT).equals(read.whole(der, sigAlgT))) malformed('the TBS signature algorithm differs from signatureAlgorithm');
  const serialContent = read.bytes(der, serialT);
  // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets.
  if (serialContent[0] & 0x80) malformed('negative serial number');
  if (serialContent.length > 21 || (serialContent.length === 21 && serialContent[0] !== 0)) malformed('serial number longer than 20 octets');
  const serialMag = serialContent.length > 1 && serialContent[0] === 0 ? serialContent.subarray(1) : serialContent;
  const validity = children(der, validityT);
  if (validity.length !== 2) malformed('Validity is not { notBefore, notAfter }');
  const notBefore = parseTime(der, validity[0]);
  const notAfter = parseTime(der, validity[1]);
  let rest = f.slice(i + 6);
  // issuerUniqueID [1] / subjectUniqueID [2] (v2/v3 only; RFC 5280 CAs do not emit them).
  while (rest[0] && (rest[0].tag === 0x81 || rest[0].tag === 0xa1 || rest[0].tag === 0x82 || rest[0].tag === 0xa2)) {
    if (version === 1) malformed('unique identifiers in a v1 certificate');
    rest = rest.slice(1);
  }
  const extensions = new Map<string, Extension>();
  const unknownCritical: string[] = [];
  if (rest[0]?.tag === 0xa3) {
    // RFC 5280 §4.1.2.9: extensions only in v3.
    if (version !== 3) malformed('extensions in a certificate that is not v3');
    const [list] = children(der, rest[0]);
    if (!list || list.tag !== TAG.SEQUENCE || children(der, rest[0]).length !== 1) malformed('extensions is not [3] { SEQUENCE }');
    const exts = children(der, list);
    if (exts.length === 0) malformed('empty Extensions');
    for (const e of exts) {
      const p = e.tag === TAG.SEQUENCE ? children(der, e) : [];
      if (p.length < 2 || p.length > 3 || p[0].tag !== TAG.OID || p[p.length - 1].tag !== TAG.OCTET_STRING || (p.length === 3 && p[1].tag !== TAG.BOOLEAN)) {
        malformed('Extension is not { OID, critical, OCTET STRING }');
      }
      const id = read.oid(der, p[0]);
      const critical = p.length === 3 && der[p[1].contentStart] === 0xff;
      // X.690 §11.5: critical DEFAULT FALSE is omitted in DER.
      if (p.length === 3 && !critical) malformed(`extension ${id} encodes critical FALSE`);
      // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
      if (extensions.has(id)) malformed(`extension ${id} appears twice`);
      if (critical && !UNDERSTOOD.has(id)) {
        if (unknownCriticalMode === 'refuse') malformed(`unrecognised critical extension ${id}`);
        unknownCritical.push(id);
      }
      extensions.set(id, { critical, value: Buffer.from(read.bytes(der, p[p.length - 1])) });
    }
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
  if (noCheck && !(noCheck.length === 2 && noCheck[0] === TAG.NULL && noCheck[1] === 0)) malformed('id-pkix-ocsp-nocheck is not NULL');

  const issuer = read.whole(der, issuerT);
  const subject = read.whole(der, subjectT);
  const issuerAttrs = decodeName(der, issuerT);
  const spki = Buffer.from(read.whole(der, spkiT));
  const subjectKey = nameKey(subject);
  const issuerKey = nameKey(issuer);
  return {
    der,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    tbs: Buffer.from(read.whole(der, tbsT)),
    signatureAlgorithm: Buffer.from(read.whole(der, sigAlgT)),
    signature: Buffer.from(sigBits.subarray(1)),
    version,
    serial: Buffer.from(serialMag).toString('hex'),
    serialTlv: Buffer.from(read.whole(der, serialT)),
    issuer: Buffer.from(issuer),
    subject: Buffer.from(subject),
    issuerText: formatName(issuerAttrs),
    subjectText: formatName(decodeName(der, subjectT)),
    issuerWindowsText: issuerAttrs.map((a) => `${a.type}=${a.value}`).join(','),
    notBefore,
    notAfter,
    spki,
    key: decodeSpki(spki),
    extensions,
    ...(bc ? { basicConstraints: basicConstraints(bc) } : {}),
    ...(ku ? { keyUsage: keyUsage(ku) } : {}),
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

/** A short, safe description for pages and logs. */
export function certificateSummary(c: ParsedCertificate): { subject: string; issuer: string; serial: string; notBefore: string; notAfter: string; fingerprint: string } {
  return { subject: c.subjectText, issuer: c.issuerText, serial: c.serial, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), fingerprint: c.fingerprint };
}
