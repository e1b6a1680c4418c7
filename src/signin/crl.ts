/**
 * CRLs for the relying party (RFC 5280 §5 and §6.3), the fallback when OCSP does not
 * answer:
 *
 *   CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 *   TBSCertList ::= SEQUENCE { version Version OPTIONAL, signature AlgorithmIdentifier, issuer Name,
 *       thisUpdate Time, nextUpdate Time OPTIONAL,
 *       revokedCertificates SEQUENCE OF SEQUENCE { userCertificate CertificateSerialNumber,
 *           revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *       crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 *
 * A CRL is used only when (§6.3.3): its issuer is the certificate's issuer and the CA's
 * key verifies its signature under the allow-list; the CA may sign CRLs (keyUsage
 * cRLSign, §4.2.1.3); nextUpdate is present and has not passed (a stale CRL is no answer,
 * Vault HCSEC-2021-09 shows what trusting one costs); its scope (issuingDistributionPoint)
 * covers the certificate and it is neither indirect nor limited to some reasons; it has
 * no critical extension this code does not process. A delta CRL (§5.2.4) is applied on
 * top of the complete CRL it names as its base.
 */
import { TesseraError } from '../errors/TesseraError.js';
import { checkDer, children, read, TAG, type Tlv } from '../x509/der.js';
import { decodeGeneralName } from '../x509/generalNames.js';
import { nameKey } from '../x509/compareNames.js';
import { distributionPointNameKeys, reasonFlags, type DistributionPointNameKeys } from './distributionPoints.js';
import { OID } from '../x509/oids.js';
import { distributionPointUrls, parseTime, type ParsedCertificate } from './parseCertificate.js';
import { verifyWith } from './signatures.js';

/** RFC 5280 §5.3.1 CRLReason removeFromCRL: used only in delta CRLs. */
export const REMOVE_FROM_CRL = 8;

export interface CrlEntry {
  readonly revokedAt: Date;
  readonly reason?: number;
}

export interface ParsedCrl {
  readonly der: Buffer;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: Buffer;
  readonly signature: Buffer;
  readonly issuer: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly crlNumber?: bigint;
  /** deltaCRLIndicator: the BaseCRLNumber (only in a delta CRL). */
  readonly baseCrlNumber?: bigint;
  readonly authorityKeyId?: Buffer;
  /** freshestCRL (§5.2.6): where the delta CRLs of this complete CRL are. */
  readonly freshestCrlUrls: readonly string[];
  readonly idp?: {
    readonly urls: readonly string[];
    readonly onlyUser: boolean;
    readonly onlyCa: boolean;
    /** onlySomeReasons, indirectCRL or onlyContainsAttributeCerts: not a complete, direct CRL. */
    readonly partial: boolean;
    /** The distribution point name as comparison keys (distributionPoints.ts), when present. */
    readonly names?: DistributionPointNameKeys;
    /** onlySomeReasons as a ReasonFlags mask (distributionPoints.ts ALL_REASONS when absent). */
    readonly onlySomeReasons?: number;
    readonly indirect: boolean;
    readonly onlyAttribute: boolean;
    /** The DER of the extension value: two CRLs have the same scope when these are equal (§5.2.4). */
    readonly der: Buffer;
  };
  /** Serial (unsigned hex, no leading zero octets) → entry, for the entries about the CRL issuer's own certificates. */
  readonly entries: ReadonlyMap<string, CrlEntry>;
  /** RFC 5280 §7.1 key of the issuer Name. */
  readonly issuerKey: string;
  /** Every entry as `${certificate issuer key}|${serial}` → entry (§5.3.3: certificateIssuer carries over to the entries that follow). */
  readonly entriesByIssuer: ReadonlyMap<string, CrlEntry>;
  /** Some entry names another certificate issuer (an indirect CRL, §5.3.3). */
  readonly hasIndirectEntries: boolean;
  /** The CRL has a freshestCRL extension (delta CRLs exist for it), whatever its URL forms. */
  readonly hasFreshest?: boolean;
}

const UNUSABLE = 'SIGNIN_REVOCATION_UNKNOWN';
function bad(detail: string): never {
  throw new TesseraError(UNUSABLE, detail);
}

function bigUnsigned(buf: Uint8Array, t: Tlv): bigint {
  if (t.tag !== TAG.INTEGER) bad('expected an INTEGER');
  const c = read.bytes(buf, t);
  if (c[0] & 0x80) bad('negative INTEGER');
  return BigInt('0x' + (c.toString('hex') || '0'));
}

const boolIn = (buf: Uint8Array, t: Tlv) => buf[t.contentStart] === 0xff;

/** Parse a DER CRL (throws SIGNIN_REVOCATION_UNKNOWN: a CRL that cannot be read is no answer). */
export function parseCrl(input: Uint8Array): ParsedCrl {
  const der = Buffer.from(input);
  let top: Tlv;
  try {
    // A large CRL has many entries but never deep nesting.
    top = checkDer(der, { maxDepth: 16, maxNodes: 8_000_000 });
  } catch (e) {
    return bad(`the CRL is not DER: ${(e as TesseraError).detail ?? (e as Error).message}`);
  }
  try {
    return parse(der, top);
  } catch (e) {
    if (e instanceof TesseraError && e.code === UNUSABLE) throw e;
    return bad(`the CRL cannot be read: ${e instanceof TesseraError ? (e.detail ?? e.code) : (e as Error).message}`);
  }
}

function parse(der: Buffer, top: Tlv): ParsedCrl {
  const outer = children(der, top);
  if (top.tag !== TAG.SEQUENCE || outer.length !== 3 || outer[0].tag !== TAG.SEQUENCE || outer[2].tag !== TAG.BIT_STRING) bad('CertificateList is not { TBSCertList, AlgorithmIdentifier, BIT STRING }');
  const f = children(der, outer[0]);
  let i = 0;
  let v2 = false;
  if (f[i]?.tag === TAG.INTEGER) {
    if (read.smallInt(der, f[i]) !== 1) bad('CRL version is not v2');
    v2 = true;
    i++;
  }
  const algT = f[i++];
  const issuerT = f[i++];
  const thisT = f[i++];
  if (!algT || !issuerT || !thisT || algT.tag !== TAG.SEQUENCE || issuerT.tag !== TAG.SEQUENCE) bad('TBSCertList is missing fields');
  // RFC 5280 §5.1.1.2: the same algorithm as signatureAlgorithm.
  if (!read.whole(der, algT).equals(read.whole(der, outer[1]))) bad('the TBS signature algorithm differs from signatureAlgorithm');
  const thisUpdate = parseTime(der, thisT);
  let nextUpdate: Date | undefined;
  if (f[i] && (f[i].tag === TAG.UTCTime || f[i].tag === TAG.GeneralizedTime)) nextUpdate = parseTime(der, f[i++]);
  const entries = new Map<string, CrlEntry>();
  const entriesByIssuer = new Map<string, CrlEntry>();
  const crlIssuerKey = nameKey(read.whole(der, issuerT));
  let entryIssuer = crlIssuerKey;
  let hasIndirectEntries = false;
  if (f[i]?.tag === TAG.SEQUENCE) {
    for (const e of children(der, f[i++])) {
      const p = e.tag === TAG.SEQUENCE ? children(der, e) : [];
      if (p.length < 2 || p[0].tag !== TAG.INTEGER) bad('a revoked certificate entry is not { serial, date, extensions }');
      const c = read.bytes(der, p[0]);
      // A negative serial (which conforming CAs do not issue) never matches a certificate's
      // serial: certificates with negative serials are refused, and 0xFF (-1) is not 0x00FF (PKITS 4.4.14).
      const serial = c[0] & 0x80 ? `-${c.toString('hex')}` : (c.length > 1 && c[0] === 0 ? c.subarray(1) : c).toString('hex');
      let reason: number | undefined;
      if (p[2]) {
        if (!v2) bad('entry extensions in a v1 CRL');
        for (const x of extensionList(der, p[2])) {
          if (x.id === OID.cRLReason) {
            const r = x.value;
            if (r.length !== 3 || r[0] !== TAG.ENUMERATED || r[1] !== 1) bad('cRLReason is not an ENUMERATED');
            reason = r[2];
          } else if (x.id === OID.certificateIssuer) {
            // §5.3.3: the entry and those after it are about certificates of this issuer.
            const names = children(x.value, checkDer(x.value)).map((g) => decodeGeneralName(x.value, g));
            const dn = names.find((g) => g.type === 'dn');
            if (!dn || dn.type !== 'dn') bad('certificateIssuer entry extension without a directoryName');
            entryIssuer = nameKey(dn.value);
            hasIndirectEntries = true;
          }
          // §5.3: "If a CRL contains a critical CRL entry extension that the application cannot process, then the application MUST NOT use that CRL".
          else if (x.critical) bad(`unrecognised critical entry extension ${x.id}`);
        }
      }
      const entry = { revokedAt: parseTime(der, p[1]), ...(reason !== undefined ? { reason } : {}) };
      if (entryIssuer === crlIssuerKey) entries.set(serial, entry);
      entriesByIssuer.set(`${entryIssuer}|${serial}`, entry);
    }
  }
  let crlNumber: bigint | undefined;
  let baseCrlNumber: bigint | undefined;
  let authorityKeyId: Buffer | undefined;
  let freshestCrlUrls: string[] = [];
  let idp: ParsedCrl['idp'];
  let hasFreshest = false;
  if (f[i]?.tag === 0xa0) {
    if (!v2) bad('extensions in a v1 CRL');
    const [list] = children(der, f[i++]);
    if (!list || list.tag !== TAG.SEQUENCE) bad('crlExtensions is not [0] { Extensions }');
    const seen = new Set<string>();
    for (const x of extensionList(der, list)) {
      if (seen.has(x.id)) bad(`CRL extension ${x.id} appears twice`);
      seen.add(x.id);
      const v = x.value;
      if (x.id === OID.cRLNumber) crlNumber = bigUnsigned(v, checkDer(v));
      else if (x.id === OID.deltaCRLIndicator) baseCrlNumber = bigUnsigned(v, checkDer(v));
      else if (x.id === OID.authorityKeyIdentifier) {
        const id = children(v, checkDer(v)).find((p) => p.tag === 0x80);
        if (id) authorityKeyId = Buffer.from(read.bytes(v, id));
      } else if (x.id === OID.freshestCRL) {
        freshestCrlUrls = distributionPointUrls(v);
        hasFreshest = true;
      }
      else if (x.id === OID.issuingDistributionPoint) idp = issuingDistributionPoint(v, read.whole(der, issuerT));
      else if (x.critical) bad(`unrecognised critical CRL extension ${x.id}`);
    }
  }
  if (i !== f.length) bad('unexpected field in TBSCertList');
  const sig = read.bytes(der, outer[2]);
  if (sig[0] !== 0) bad('the CRL signature has unused bits');
  return {
    der,
    tbs: Buffer.from(read.whole(der, outer[0])),
    signatureAlgorithm: Buffer.from(read.whole(der, outer[1])),
    signature: Buffer.from(sig.subarray(1)),
    issuer: Buffer.from(read.whole(der, issuerT)),
    thisUpdate,
    ...(nextUpdate ? { nextUpdate } : {}),
    ...(crlNumber !== undefined ? { crlNumber } : {}),
    ...(baseCrlNumber !== undefined ? { baseCrlNumber } : {}),
    ...(authorityKeyId ? { authorityKeyId } : {}),
    freshestCrlUrls,
    ...(idp ? { idp } : {}),
    entries,
    issuerKey: crlIssuerKey,
    entriesByIssuer,
    hasIndirectEntries,
    hasFreshest,
  };
}

function extensionList(der: Buffer, list: Tlv): { id: string; critical: boolean; value: Buffer }[] {
  return children(der, list).map((e) => {
    const p = e.tag === TAG.SEQUENCE ? children(der, e) : [];
    if (p.length < 2 || p.length > 3 || p[0].tag !== TAG.OID || p[p.length - 1].tag !== TAG.OCTET_STRING) bad('an Extension is not { OID, critical, OCTET STRING }');
    return { id: read.oid(der, p[0]), critical: p.length === 3 && boolIn(der, p[1]), value: Buffer.from(read.bytes(der, p[p.length - 1])) };
  });
}

/**
 * IssuingDistributionPoint (§5.2.5): the scope of the CRL.
 *
 *   IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL,
 *       onlyContainsUserCerts [1] BOOLEAN DEFAULT FALSE, onlyContainsCACerts [2] BOOLEAN DEFAULT FALSE,
 *       onlySomeReasons [3] ReasonFlags OPTIONAL, indirectCRL [4] BOOLEAN DEFAULT FALSE,
 *       onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
 */
function issuingDistributionPoint(v: Buffer, crlIssuer: Buffer): NonNullable<ParsedCrl['idp']> {
  const out: { -readonly [K in keyof NonNullable<ParsedCrl['idp']>]: NonNullable<ParsedCrl['idp']>[K] } = { urls: [], onlyUser: false, onlyCa: false, partial: false, indirect: false, onlyAttribute: false, der: Buffer.from(v) };
  for (const p of children(v, checkDer(v))) {
    const t = p.tag & 0x1f;
    if (t === 0) {
      const [choice] = children(v, p);
      if (choice?.tag === 0xa0) for (const gn of children(v, choice)) {
        const n = decodeGeneralName(v, gn);
        if (n.type === 'uri') (out.urls as string[]).push(n.value);
      }
      // nameRelativeToCRLIssuer is relative to the CRL issuer (§5.2.5).
      out.names = distributionPointNameKeys(v, p, crlIssuer);
    } else if (t === 1) out.onlyUser = boolIn(v, p);
    else if (t === 2) out.onlyCa = boolIn(v, p);
    else if (t === 3) {
      out.onlySomeReasons = reasonFlags(v, p);
      out.partial = true;
    } else if (t === 4) {
      out.indirect = boolIn(v, p);
      out.partial = true;
    } else if (t === 5) {
      out.onlyAttribute = boolIn(v, p);
      out.partial = true;
    } else bad('unexpected field in issuingDistributionPoint');
  }
  return out;
}

export interface CrlUseOptions {
  readonly now: Date;
  readonly skewMs: number;
  /** Oldest acceptable thisUpdate as an age; 0 for no limit beyond nextUpdate. */
  readonly maxAgeMs: number;
}

/**
 * Whether `crl` may decide the status of `cert` issued by `issuer` (fetched from `url`).
 * Throws SIGNIN_REVOCATION_UNKNOWN saying why not.
 */
export async function checkCrl(crl: ParsedCrl, cert: ParsedCertificate, issuer: ParsedCertificate, url: string, o: CrlUseOptions, kind: 'complete' | 'delta'): Promise<void> {
  // §6.3.3 (f): the CRL issuer is the certificate issuer (no indirect CRLs here).
  if (!crl.issuer.equals(cert.issuer)) bad(`the CRL at ${url} is issued by another CA`);
  if (crl.authorityKeyId && issuer.subjectKeyId && !crl.authorityKeyId.equals(issuer.subjectKeyId)) bad(`the CRL at ${url} names another key of its CA`);
  // §4.2.1.3 / §6.3.3 (f): the key that signs CRLs has cRLSign.
  if (issuer.keyUsage && !issuer.keyUsage.has('cRLSign')) bad(`"${issuer.subjectText}" may not sign CRLs (no cRLSign)`);
  const sig = await verifyWith(crl.signatureAlgorithm, crl.tbs, crl.signature, issuer.spki);
  if (!sig.ok) bad(`the CRL at ${url} is not signed acceptably by "${issuer.subjectText}": ${sig.reason}`);
  if (kind === 'complete' && crl.baseCrlNumber !== undefined) bad(`the CRL at ${url} is a delta CRL, not a complete one`);
  if (kind === 'delta' && crl.baseCrlNumber === undefined) bad(`the CRL at ${url} is not a delta CRL`);
  const now = o.now.getTime();
  if (crl.thisUpdate.getTime() > now + o.skewMs) bad(`the CRL at ${url} has thisUpdate in the future`);
  // A CRL without nextUpdate could be any age; §5.1.2.5 requires conforming CAs to include it.
  if (!crl.nextUpdate) bad(`the CRL at ${url} has no nextUpdate`);
  if (crl.nextUpdate.getTime() + o.skewMs < now) bad(`the CRL at ${url} is stale: nextUpdate ${crl.nextUpdate.toISOString()} has passed`);
  if (o.maxAgeMs > 0 && now - crl.thisUpdate.getTime() > o.maxAgeMs) bad(`the CRL at ${url} is older than ${Math.round(o.maxAgeMs / 1000)} s`);
  // This URL-based path uses direct CRLs only; indirect ones are for crlStatus.ts.
  if (crl.hasIndirectEntries) bad(`the CRL at ${url} is indirect (certificateIssuer entries)`);
  if (crl.idp) {
    const isCa = !!cert.basicConstraints?.ca;
    if (crl.idp.partial) bad(`the CRL at ${url} is partial or indirect (issuingDistributionPoint)`);
    if ((crl.idp.onlyUser && isCa) || (crl.idp.onlyCa && !isCa)) bad(`the CRL at ${url} does not cover this kind of certificate`);
    // §6.3.3 (b)(2)(i): the IDP's name must be one of the certificate's distribution points.
    if (crl.idp.urls.length && !crl.idp.urls.some((u) => cert.crlUrls.includes(u) || cert.freshestCrlUrls.includes(u))) bad(`the CRL at ${url} is for another distribution point`);
  }
}
