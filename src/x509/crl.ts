/**
 * The one CRL codec (RFC 5280 §5): the structure's constants, the streaming encoder the
 * CA publishes with (ca/crl/generateCrl.ts) and the strict decoder the relying party
 * reads CRLs with (signin/crl.ts, signin/crlStatus.ts, signin/RevocationChecker.ts).
 *
 *   CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertList ::= SEQUENCE {
 *     version Version OPTIONAL (v2), signature AlgorithmIdentifier, issuer Name,
 *     thisUpdate Time, nextUpdate Time OPTIONAL,
 *     revokedCertificates SEQUENCE OF SEQUENCE {
 *       userCertificate CertificateSerialNumber, revocationDate Time,
 *       crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 *
 * Encoding: entries are written straight into one growing buffer as rows stream from the
 * database, so memory is the CRL's own size (about 39 bytes an entry) and never a list
 * of row objects. The header, whose lengths are only known at the end, is written
 * backwards into space reserved in front of the first entry, so nothing is copied
 * when the CRL is finished. Fixed parts use the lean DER writer (x509/der.ts); the
 * per-entry path writes bytes directly and is checked against it in the tests.
 *
 * Decoding: the strict, iterative DER reader (der.ts checkDer) walks the whole CRL first,
 * then the fields are read off its TLVs, with the shared time and extension readers
 * (time.ts, readExtensions.ts). Not @peculiar/asn1-x509's CertificateList: asn1js 4 under
 * it stops at 10,000 ASN.1 elements by default, so it refuses every CRL of more than
 * about 2,000 entries, and it reads a 100-entry CRL about 13 times slower than this does.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { ErrorCode } from '../errors/registry.js';
import { distributionPointUrls } from './certificate.js';
import { nameKey } from './compareNames.js';
import { checkDer, children, derHeader, explicit, integer, read, seq, tlv, time, TAG, type Tlv } from './der.js';
import { distributionPointNameKeys, reasonFlags, type DistributionPointNameKeys } from './distributionPoints.js';
import { extension } from './extensions.js';
import { decodeGeneralName } from './generalNames.js';
import { OID } from './oids.js';
import { readExtensions } from './readExtensions.js';
import { readTime } from './time.js';

/** CRLReason (RFC 5280 §5.3.1); 7 is not used. */
export const CRL_REASONS: Record<number, string> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};
/** removeFromCRL (RFC 5280 §5.3.1): used only in delta CRLs, for a certificate taken off hold. */
export const REMOVE_FROM_CRL = 8;

/**
 * The crlEntryExtensions of an entry with a reason: Extensions { reasonCode }. RFC 5280
 * §5.3.1: "the reason code CRL entry extension SHOULD be absent instead of using the
 * unspecified (0) reasonCode value", so there is none for 0.
 */
const REASON_EXTENSIONS: (Buffer | undefined)[] = Array.from({ length: 11 }, (_, r) =>
  r === 0 || r === 7 ? undefined : seq(extension(OID.cRLReason, false, tlv(0x0a, Buffer.from([r])))),
);

const header = (tag: number, len: number) => Buffer.from(derHeader(tag, len));

export interface CrlHeaderFields {
  /** The issuer Name DER: the CA certificate's subject, byte for byte (RFC 5280 §5.1.2.3). */
  readonly issuer: Buffer;
  /** AlgorithmIdentifier DER of the CA's signature (the same in TBSCertList and outside). */
  readonly signatureAlgorithm: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

export class CrlEncoder {
  #buf: Buffer;
  #pos: number;
  readonly #entriesStart: number;
  readonly #fixed: Buffer;
  #count = 0;
  #lastSecond = -1;
  readonly #lastTime = Buffer.alloc(32);
  #lastTimeLen = 0;

  constructor(
    readonly fields: CrlHeaderFields,
    initialCapacity = 64 * 1024,
  ) {
    if (fields.thisUpdate.getUTCMilliseconds() || fields.nextUpdate.getUTCMilliseconds()) {
      throw new Error('CRL times must be whole seconds (RFC 5280 §5.1.2.4)');
    }
    // version v2 (INTEGER 1): RFC 5280 §5.1.2.1, required because we write extensions.
    this.#fixed = Buffer.concat([
      integer(1),
      fields.signatureAlgorithm,
      fields.issuer,
      time(fields.thisUpdate),
      time(fields.nextUpdate),
    ]);
    // Room in front for: the CertificateList, TBSCertList and revokedCertificates headers
    // (a tag octet and up to 5 length octets each) and the fixed fields.
    this.#entriesStart = this.#fixed.length + 3 * 6;
    this.#buf = Buffer.allocUnsafe(Math.max(initialCapacity, this.#entriesStart + 1024));
    this.#pos = this.#entriesStart;
  }

  get count(): number {
    return this.#count;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#pos - this.#entriesStart;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  /**
   * Append one revoked certificate. `serialHex` is the serial's unsigned magnitude in
   * hex (as the store keeps it); `reason` null or 0 writes no reasonCode.
   */
  add(serialHex: string, revokedAtMs: number, reason: number | null): void {
    let hex = serialHex;
    if (hex.length & 1) hex = `0${hex}`;
    if (hex.charCodeAt(0) === 48 && hex.charCodeAt(1) === 48) {
      let skip = 0;
      while (skip < hex.length - 2 && hex.charCodeAt(skip) === 48 && hex.charCodeAt(skip + 1) === 48) skip += 2;
      hex = hex.slice(skip);
    }
    const n = hex.length >> 1;
    if (n === 0 || n > 20) throw new Error(`serial ${serialHex} is not 1–20 octets (RFC 5280 §4.1.2.2)`);
    // INTEGER is signed (X.690 §8.3): a first octet ≥ 0x80 needs a leading 0x00.
    const c0 = hex.charCodeAt(0) | 0x20; // lower-case
    const pad = (c0 >= 56 && c0 <= 57) || (c0 >= 97 && c0 <= 102) ? 1 : 0; // '8'–'9', 'a'–'f'
    const intLen = n + pad;
    const timeLen = this.#time(revokedAtMs);
    const ext = reason ? REASON_EXTENSIONS[reason] : undefined;
    if (reason && !ext) throw new Error(`revocation reason ${reason} is not a CRLReason`);
    const body = 2 + intLen + timeLen + (ext ? ext.length : 0);
    this.#ensure(body + 2);
    const b = this.#buf;
    let p = this.#pos;
    b[p++] = 0x30;
    b[p++] = body; // ≤ 2+21+17+14 < 128: always the short form
    b[p++] = 0x02;
    b[p++] = intLen;
    if (pad) b[p++] = 0;
    if (b.write(hex, p, 'hex') !== n) throw new Error(`serial ${serialHex} is not hex`);
    p += n;
    this.#lastTime.copy(b, p, 0, timeLen);
    p += timeLen;
    if (ext) {
      ext.copy(b, p);
      p += ext.length;
    }
    this.#pos = p;
    this.#count++;
  }

  /**
   * Encode revocationDate into #lastTime; returns its length. RFC 5280 §5.1.2.6 (as
   * §4.1.2.5): UTCTime YYMMDDHHMMSSZ for 1950–2049, GeneralizedTime YYYYMMDDHHMMSSZ
   * otherwise, whole seconds. Computed with integer arithmetic (the civil-from-days
   * algorithm), no Date or string per entry: a million entries allocate nothing here.
   * The tests compare it with x509/der.ts time() over many dates.
   */
  #time(ms: number): number {
    const s = Math.floor(ms / 1000);
    if (s === this.#lastSecond) return this.#lastTimeLen;
    this.#lastSecond = s;
    const days = Math.floor(s / 86_400);
    let rem = s - days * 86_400;
    const hh = Math.floor(rem / 3600);
    rem -= hh * 3600;
    const mi = Math.floor(rem / 60);
    const ss = rem - mi * 60;
    const z = days + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const dd = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const mm = mp < 10 ? mp + 3 : mp - 9;
    const yy = yoe + era * 400 + (mm <= 2 ? 1 : 0);
    const b = this.#lastTime;
    let p = 0;
    const two = (v: number) => {
      b[p++] = 48 + Math.floor(v / 10);
      b[p++] = 48 + (v % 10);
    };
    if (yy >= 1950 && yy < 2050) {
      b[p++] = 0x17;
      b[p++] = 13;
      two(yy % 100);
    } else {
      if (yy < 0 || yy > 9999) throw new Error(`revocation date ${ms} is out of range`);
      b[p++] = 0x18;
      b[p++] = 15;
      two(Math.floor(yy / 100));
      two(yy % 100);
    }
    two(mm);
    two(dd);
    two(hh);
    two(mi);
    two(ss);
    b[p++] = 0x5a; // 'Z'
    this.#lastTimeLen = p;
    return p;
  }

  /**
   * Close the list with the CRL extensions and return the TBSCertList (a view into the
   * buffer). Then call `sign`'s result into `certificateList`.
   */
  finishTbs(crlExtensions: readonly Buffer[]): Buffer {
    const entriesLen = this.#pos - this.#entriesStart;
    // RFC 5280 §5.1.2.6: "When there are no revoked certificates, the revoked
    // certificates list MUST be absent."
    const revokedHeader = this.#count ? header(0x30, entriesLen) : Buffer.alloc(0);
    const exts = crlExtensions.length ? explicit(0, seq(...crlExtensions)) : Buffer.alloc(0);
    this.#ensure(exts.length);
    exts.copy(this.#buf, this.#pos);
    this.#pos += exts.length;
    const contentLen = this.#fixed.length + revokedHeader.length + entriesLen + exts.length;
    const tbsHeader = header(0x30, contentLen);
    let start = this.#entriesStart - revokedHeader.length;
    revokedHeader.copy(this.#buf, start);
    start -= this.#fixed.length;
    this.#fixed.copy(this.#buf, start);
    start -= tbsHeader.length;
    tbsHeader.copy(this.#buf, start);
    this.#tbsStart = start;
    this.#tbsEnd = this.#pos;
    return this.#buf.subarray(start, this.#pos);
  }

  #tbsStart = -1;
  #tbsEnd = -1;

  /** The signed CertificateList: SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }. */
  certificateList(signature: Buffer): Buffer {
    if (this.#tbsStart < 0) throw new Error('finishTbs first');
    const tail = Buffer.concat([this.fields.signatureAlgorithm, tlv(0x03, Buffer.from([0]), signature)]);
    this.#ensure(tail.length);
    tail.copy(this.#buf, this.#tbsEnd);
    const end = this.#tbsEnd + tail.length;
    const outer = header(0x30, end - this.#tbsStart);
    const start = this.#tbsStart - outer.length;
    outer.copy(this.#buf, start);
    return this.#buf.subarray(start, end);
  }
}

// ----------------------------------------------------------------------------------------
// Decoder
// ----------------------------------------------------------------------------------------

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
  /**
   * Serial (unsigned hex, no leading zero octets) → entry, for the entries about the CRL issuer's own certificates.
   */
  readonly entries: ReadonlyMap<string, CrlEntry>;
  /** RFC 5280 §7.1 key of the issuer Name. */
  readonly issuerKey: string;
  /**
   * Every entry as `${certificate issuer key}|${serial}` → entry
   * (§5.3.3: certificateIssuer carries over to the entries that follow).
   */
  readonly entriesByIssuer: ReadonlyMap<string, CrlEntry>;
  /** Some entry names another certificate issuer (an indirect CRL, §5.3.3). */
  readonly hasIndirectEntries: boolean;
  /** The CRL has a freshestCRL extension (delta CRLs exist for it), whatever its URL forms. */
  readonly hasFreshest?: boolean;
}

/** The entry extensions this reader processes (§5.3); any other one marked critical makes the CRL unusable. */
const ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([OID.cRLReason, OID.certificateIssuer]);
/** The CRL extensions this reader processes (§5.2). */
const CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.cRLNumber,
  OID.deltaCRLIndicator,
  OID.authorityKeyIdentifier,
  OID.freshestCRL,
  OID.issuingDistributionPoint,
]);

/**
 * Read a DER CRL strictly; any failure throws TesseraError(`errorCode`) saying why. The
 * CRL's signature and its fitness for a purpose are the caller's (signin/crl.ts).
 */
export function readCrl(input: Uint8Array, errorCode: ErrorCode = 'REQUEST_MALFORMED'): ParsedCrl {
  const bad = (detail: string): never => {
    throw new TesseraError(errorCode, detail);
  };
  const der = Buffer.from(input);
  let top: Tlv;
  try {
    // A large CRL has many entries but never deep nesting.
    top = checkDer(der, { maxDepth: 16, maxNodes: 8_000_000 });
  } catch (e) {
    return bad(`the CRL is not DER: ${(e as TesseraError).detail ?? (e as Error).message}`);
  }
  try {
    return decode(der, top, bad, errorCode);
  } catch (e) {
    if (e instanceof TesseraError && e.code === errorCode) throw e;
    return bad(`the CRL cannot be read: ${e instanceof TesseraError ? (e.detail ?? e.code) : (e as Error).message}`);
  }
}

function decode(der: Buffer, top: Tlv, bad: (detail: string) => never, errorCode: ErrorCode): ParsedCrl {
  const bigUnsigned = (buf: Uint8Array, t: Tlv): bigint => {
    if (t.tag !== TAG.INTEGER) bad('expected an INTEGER');
    const c = read.bytes(buf, t);
    if (c[0] & 0x80) bad('negative INTEGER');
    return BigInt(`0x${c.toString('hex') || '0'}`);
  };
  const outer = children(der, top);
  if (
    top.tag !== TAG.SEQUENCE ||
    outer.length !== 3 ||
    outer[0].tag !== TAG.SEQUENCE ||
    outer[2].tag !== TAG.BIT_STRING
  ) {
    bad('CertificateList is not { TBSCertList, AlgorithmIdentifier, BIT STRING }');
  }
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
  if (!algT || !issuerT || !thisT || algT.tag !== TAG.SEQUENCE || issuerT.tag !== TAG.SEQUENCE)
    bad('TBSCertList is missing fields');
  // RFC 5280 §5.1.1.2: the same algorithm as signatureAlgorithm.
  if (!read.whole(der, algT).equals(read.whole(der, outer[1])))
    bad('the TBS signature algorithm differs from signatureAlgorithm');
  const thisUpdate = readTime(der, thisT, errorCode);
  let nextUpdate: Date | undefined;
  if (f[i]?.tag === TAG.UTCTime || f[i]?.tag === TAG.GeneralizedTime) nextUpdate = readTime(der, f[i++], errorCode);
  const entries = new Map<string, CrlEntry>();
  const entriesByIssuer = new Map<string, CrlEntry>();
  const issuer = read.whole(der, issuerT);
  const crlIssuerKey = nameKey(issuer);
  let entryIssuer = crlIssuerKey;
  let hasIndirectEntries = false;
  if (f[i]?.tag === TAG.SEQUENCE) {
    for (const e of children(der, f[i++])) {
      const p = e.tag === TAG.SEQUENCE ? children(der, e) : [];
      const shape = p.length >= 2 && p.length <= 3 && p[0].tag === TAG.INTEGER;
      if (!shape) bad('a revoked certificate entry is not { serial, date, extensions }');
      const c = read.bytes(der, p[0]);
      // A negative serial (which conforming CAs do not issue) never matches a certificate's
      // serial: certificates with negative serials are refused, and 0xFF (-1) is not 0x00FF (PKITS 4.4.14).
      const serial =
        c[0] & 0x80 ? `-${c.toString('hex')}` : (c.length > 1 && c[0] === 0 ? c.subarray(1) : c).toString('hex');
      let reason: number | undefined;
      if (p[2]) {
        if (!v2) bad('entry extensions in a v1 CRL');
        // §5.3: "If a CRL contains a critical CRL entry extension that the application
        // cannot process, then the application MUST NOT use that CRL".
        const { extensions } = readExtensions(der, p[2], { errorCode, understood: ENTRY_EXTENSIONS });
        const r = extensions.get(OID.cRLReason)?.value;
        if (r) {
          if (r.length !== 3 || r[0] !== TAG.ENUMERATED || r[1] !== 1) bad('cRLReason is not an ENUMERATED');
          reason = r[2];
        }
        const ci = extensions.get(OID.certificateIssuer)?.value;
        if (ci) {
          // §5.3.3: the entry and those after it are about certificates of this issuer.
          const names = children(ci, checkDer(ci)).map((g) => decodeGeneralName(ci, g));
          const dn = names.find((g) => g.type === 'dn');
          if (dn?.type !== 'dn') bad('certificateIssuer entry extension without a directoryName');
          entryIssuer = nameKey(dn.value);
          hasIndirectEntries = true;
        }
      }
      const entry = { revokedAt: readTime(der, p[1], errorCode), ...(reason !== undefined ? { reason } : {}) };
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
    // §5.2: no extension twice, and none marked critical that this reader does not process.
    const { extensions } = readExtensions(der, list, { errorCode, understood: CRL_EXTENSIONS });
    for (const [id, { value: v }] of extensions) {
      if (id === OID.cRLNumber) crlNumber = bigUnsigned(v, checkDer(v));
      else if (id === OID.deltaCRLIndicator) baseCrlNumber = bigUnsigned(v, checkDer(v));
      else if (id === OID.authorityKeyIdentifier) {
        const keyId = children(v, checkDer(v)).find((p) => p.tag === 0x80);
        if (keyId) authorityKeyId = Buffer.from(read.bytes(v, keyId));
      } else if (id === OID.freshestCRL) {
        freshestCrlUrls = distributionPointUrls(v);
        hasFreshest = true;
      } else if (id === OID.issuingDistributionPoint) idp = issuingDistributionPoint(v, issuer, bad);
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
    issuer: Buffer.from(issuer),
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

/**
 * IssuingDistributionPoint (§5.2.5): the scope of the CRL.
 *
 *   IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL,
 *       onlyContainsUserCerts [1] BOOLEAN DEFAULT FALSE, onlyContainsCACerts [2] BOOLEAN DEFAULT FALSE,
 *       onlySomeReasons [3] ReasonFlags OPTIONAL, indirectCRL [4] BOOLEAN DEFAULT FALSE,
 *       onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
 */
type Idp = NonNullable<ParsedCrl['idp']>;

function issuingDistributionPoint(v: Buffer, crlIssuer: Buffer, bad: (detail: string) => never): Idp {
  const out: { -readonly [K in keyof Idp]: Idp[K] } = {
    urls: [],
    onlyUser: false,
    onlyCa: false,
    partial: false,
    indirect: false,
    onlyAttribute: false,
    der: Buffer.from(v),
  };
  const boolIn = (t: Tlv) => v[t.contentStart] === 0xff;
  for (const p of children(v, checkDer(v))) {
    const t = p.tag & 0x1f;
    if (t === 0) {
      const [choice] = children(v, p);
      if (choice?.tag === 0xa0) {
        for (const gn of children(v, choice)) {
          const n = decodeGeneralName(v, gn);
          if (n.type === 'uri') (out.urls as string[]).push(n.value);
        }
      }
      // nameRelativeToCRLIssuer is relative to the CRL issuer (§5.2.5).
      out.names = distributionPointNameKeys(v, p, crlIssuer);
    } else if (t === 1) out.onlyUser = boolIn(p);
    else if (t === 2) out.onlyCa = boolIn(p);
    else if (t === 3) {
      out.onlySomeReasons = reasonFlags(v, p);
      out.partial = true;
    } else if (t === 4) {
      out.indirect = boolIn(p);
      out.partial = true;
    } else if (t === 5) {
      out.onlyAttribute = boolIn(p);
      out.partial = true;
    } else bad('unexpected field in issuingDistributionPoint');
  }
  return out;
}
