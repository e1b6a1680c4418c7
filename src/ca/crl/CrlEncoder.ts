/**
 * An incremental CertificateList encoder (RFC 5280 §5.1) for CRLs of any size.
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
 * Entries are written straight into one growing buffer as rows stream from the
 * database, so memory is the CRL's own size (about 39 bytes an entry) and never a list
 * of row objects. The header, whose lengths are only known at the end, is written
 * backwards into space reserved in front of the first entry, so nothing is copied
 * when the CRL is finished. Fixed parts use the lean DER writer (x509/der.ts); the
 * per-entry path writes bytes directly and is checked against it in the tests.
 */
import { explicit, integer, seq, tlv, time } from '../../x509/der.js';
import { extension } from '../../x509/extensions.js';
import { OID } from '../../x509/oids.js';

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
export const REMOVE_FROM_CRL = 8;

/**
 * The crlEntryExtensions of an entry with a reason: Extensions { reasonCode }. RFC 5280
 * §5.3.1: "the reason code CRL entry extension SHOULD be absent instead of using the
 * unspecified (0) reasonCode value", so there is none for 0.
 */
const REASON_EXTENSIONS: (Buffer | undefined)[] = Array.from({ length: 11 }, (_, r) =>
  r === 0 || r === 7 ? undefined : seq(extension(OID.cRLReason, false, tlv(0x0a, Buffer.from([r])))),
);

function lengthOctets(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const header = (tag: number, len: number) => Buffer.concat([Buffer.from([tag]), lengthOctets(len)]);

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
    this.#fixed = Buffer.concat([integer(1), fields.signatureAlgorithm, fields.issuer, time(fields.thisUpdate), time(fields.nextUpdate)]);
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
    if (hex.length & 1) hex = '0' + hex;
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
