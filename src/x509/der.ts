/**
 * A small, strict DER reader and writer.
 *
 * Why not only @peculiar/asn1-schema: the issuance hot path parses a CSR and encodes a
 * TBSCertificate per request, and the library layer spends 75–80% of issuance time in
 * generic ASN.1 (a CPU profile of the library path; bench/README.md says how to profile
 * issuance). The writer below builds the few structures
 * we emit on that path; tests check its output byte for byte against the library
 * encoder. The reader is also the guard in front of every library parse: asn1js
 * recurses on nested constructed types (PeculiarVentures/ASN1.js#131, node-forge
 * CVE-2025-66031), so untrusted input is first walked iteratively here with a depth
 * and node cap, DER-only (X.690 §10: definite, minimal lengths), no trailing bytes.
 */
import { TesseraError } from '../errors/TesseraError.js';
import { derHeader } from './derLength.js';

// ----------------------------------------------------------------------------------------
// Writer
// ----------------------------------------------------------------------------------------

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export { derHeader, derLength } from './derLength.js';

/** One TLV from a tag byte and its contents. */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = content.length === 1 ? content[0] : Buffer.concat(content);
  return Buffer.concat([derHeader(tag, body.length), body]);
}

export const seq = (...items: Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, ...items);

/** SET OF, with elements sorted as X.690 §11.6 requires for DER. */
export function setOf(...items: Uint8Array[]): Buffer {
  const sorted = [...items].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return tlv(TAG.SET, ...sorted);
}

/** [n] EXPLICIT (constructed context tag wrapping a whole TLV). */
export const explicit = (n: number, ...inner: Uint8Array[]): Buffer => tlv(0xa0 | n, ...inner);

/** [n] IMPLICIT over the contents of `inner` (a full TLV), keeping its constructed bit. */
export function implicit(n: number, inner: Uint8Array): Buffer {
  const t = readTlv(Buffer.from(inner), 0, inner.length);
  const constructed = t.constructed ? 0x20 : 0;
  return tlv(0x80 | constructed | n, Buffer.from(inner).subarray(t.contentStart, t.end));
}

const oidCache = new Map<string, Buffer>();

/** An OBJECT IDENTIFIER TLV, cached: the same few OIDs are written on every issuance. */
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new Error(`bad OID ${dotted}`);
    return BigInt(a);
  });
  if (arcs.length < 2) throw new Error(`bad OID ${dotted}`);
  const bytes: number[] = [];
  const push = (v: bigint) => {
    const groups: number[] = [Number(v & 0x7fn)];
    v >>= 7n;
    while (v > 0n) {
      groups.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(...groups);
  };
  push(arcs[0] * 40n + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  const out = tlv(TAG.OID, Buffer.from(bytes));
  oidCache.set(dotted, out);
  return out;
}

/** INTEGER from unsigned big-endian magnitude bytes (adds the 0x00 sign byte if needed). */
export function integerFromUnsigned(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let body = Buffer.from(magnitude.subarray(i));
  if (body.length === 0) body = Buffer.from([0]);
  if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(TAG.INTEGER, body);
}

export function integer(n: number | bigint): Buffer {
  let v = BigInt(n);
  if (v < 0n) throw new Error('negative INTEGER not supported');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return integerFromUnsigned(Buffer.from(bytes));
}

export const enumerated = (n: number): Buffer => {
  const i = integer(n);
  i[0] = TAG.ENUMERATED;
  return i;
};
export const bool = (v: boolean): Buffer => tlv(TAG.BOOLEAN, Buffer.from([v ? 0xff : 0x00]));
export const nul = (): Buffer => Buffer.from([TAG.NULL, 0]);
export const octets = (b: Uint8Array): Buffer => tlv(TAG.OCTET_STRING, b);
export const bitString = (b: Uint8Array, unusedBits = 0): Buffer => tlv(TAG.BIT_STRING, Buffer.from([unusedBits]), b);
export const utf8 = (s: string): Buffer => tlv(TAG.UTF8String, Buffer.from(s, 'utf8'));
export const ia5 = (s: string): Buffer => tlv(TAG.IA5String, Buffer.from(s, 'ascii'));
export const printable = (s: string): Buffer => tlv(TAG.PrintableString, Buffer.from(s, 'ascii'));
export function bmp(s: string): Buffer {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return tlv(TAG.BMPString, b);
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/** MMDDHHMMSSZ in UTC: what UTCTime and GeneralizedTime share after the year (RFC 5280 §4.1.2.5). */
const monthToSecond = (d: Date) =>
  pad2(d.getUTCMonth() + 1) +
  pad2(d.getUTCDate()) +
  pad2(d.getUTCHours()) +
  pad2(d.getUTCMinutes()) +
  pad2(d.getUTCSeconds()) +
  'Z';

/**
 * RFC 5280 §4.1.2.5: UTCTime for dates through 2049, GeneralizedTime from 2050, always
 * in Zulu with seconds and never with fractional seconds (§4.1.2.5.2).
 */
export function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const rest = monthToSecond(d);
  if (y >= 1950 && y < 2050) return tlv(TAG.UTCTime, Buffer.from(pad2(y % 100) + rest, 'ascii'));
  return generalizedTime(d);
}

/** GeneralizedTime without fractions (RFC 5280 §4.1.2.5.2, RFC 6960 uses the same). */
export function generalizedTime(d: Date): Buffer {
  const s = String(d.getUTCFullYear()).padStart(4, '0') + monthToSecond(d);
  return tlv(TAG.GeneralizedTime, Buffer.from(s, 'ascii'));
}

// ----------------------------------------------------------------------------------------
// Reader
// ----------------------------------------------------------------------------------------

export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  readonly constructed: boolean;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

const malformed = (detail: string): never => {
  throw new TesseraError('REQUEST_MALFORMED', detail);
};
const notDer = (detail: string): never => {
  throw new TesseraError('REQUEST_NOT_DER', detail);
};

/** Read one TLV at `offset`, which must end at or before `limit`. DER rules only. */
export function readTlv(buf: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) malformed(`truncated at byte ${offset}`);
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) malformed(`high tag numbers are not used by these structures (byte ${offset})`);
  let pos = offset + 1;
  const first = buf[pos++];
  let len: number;
  if (first < 0x80) {
    len = first;
  } else if (first === 0x80) {
    return notDer(`indefinite length at byte ${offset}`);
  } else {
    const n = first & 0x7f;
    if (n > 4) malformed(`length of ${n} octets at byte ${offset}`);
    if (pos + n > limit) malformed(`truncated length at byte ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos++];
    // X.690 §10.1: the minimum number of length octets.
    if (len < 0x80 || buf[pos - n] === 0) notDer(`non-minimal length at byte ${offset}`);
  }
  const end = pos + len;
  if (end > limit) malformed(`length ${len} at byte ${offset} runs past the end of its container`);
  return { tag, constructed: (tag & 0x20) !== 0, start: offset, contentStart: pos, end };
}

/** The direct children of a constructed TLV. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const t = readTlv(buf, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

export interface DerLimits {
  maxDepth?: number;
  maxNodes?: number;
}

/**
 * Walk a whole DER value without recursion and check that it is exactly one TLV with
 * no trailing bytes, nesting no deeper than `maxDepth` and with at most `maxNodes`
 * TLVs. Primitive encodings are checked where DER fixes them (BOOLEAN, INTEGER
 * minimality, BIT STRING unused bits). Returns the top-level TLV.
 */
export function checkDer(buf: Uint8Array, limits: DerLimits = {}): Tlv {
  const maxDepth = limits.maxDepth ?? 32;
  const maxNodes = limits.maxNodes ?? 100_000;
  if (buf.length === 0) throw new TesseraError('REQUEST_EMPTY');
  const top = readTlv(buf, 0, buf.length);
  if (top.end !== buf.length) malformed(`${buf.length - top.end} trailing bytes after the outer structure`);
  const stack: { t: Tlv; pos: number }[] = [{ t: top, pos: top.contentStart }];
  let nodes = 1;
  checkPrimitive(buf, top);
  while (stack.length) {
    const frame = stack[stack.length - 1];
    if (!frame.t.constructed || frame.pos >= frame.t.end) {
      stack.pop();
      continue;
    }
    const child = readTlv(buf, frame.pos, frame.t.end);
    frame.pos = child.end;
    // Too many elements is a size problem, not a nesting one: REQUEST_TOO_LARGE says so.
    if (++nodes > maxNodes) throw new TesseraError('REQUEST_TOO_LARGE', `more than ${maxNodes} ASN.1 elements`);
    checkPrimitive(buf, child);
    if (child.constructed) {
      if (stack.length >= maxDepth) throw new TesseraError('REQUEST_TOO_DEEP', `ASN.1 nesting deeper than ${maxDepth}`);
      stack.push({ t: child, pos: child.contentStart });
    }
  }
  return top;
}

function checkPrimitive(buf: Uint8Array, t: Tlv): void {
  const len = t.end - t.contentStart;
  switch (t.tag) {
    case TAG.BOOLEAN:
      if (len !== 1 || (buf[t.contentStart] !== 0 && buf[t.contentStart] !== 0xff))
        notDer('BOOLEAN is not 0x00 or 0xFF');
      break;
    case TAG.INTEGER:
    case TAG.ENUMERATED:
      if (len === 0) malformed('empty INTEGER');
      if (len > 1) {
        const a = buf[t.contentStart];
        const b = buf[t.contentStart + 1];
        if ((a === 0 && (b & 0x80) === 0) || (a === 0xff && (b & 0x80) !== 0)) notDer('non-minimal INTEGER');
      }
      break;
    case TAG.BIT_STRING:
      if (len === 0 || buf[t.contentStart] > 7 || (len === 1 && buf[t.contentStart] !== 0))
        notDer('bad BIT STRING unused-bits octet');
      // X.690 §11.2.1: in DER the unused bits of the last octet are zero.
      if (len > 1 && (buf[t.end - 1] & ((1 << buf[t.contentStart]) - 1)) !== 0)
        notDer('BIT STRING with non-zero unused bits');
      break;
    case TAG.NULL:
      if (len !== 0) notDer('NULL with contents');
      break;
    case TAG.OID:
      decodeOid(buf.subarray(t.contentStart, t.end));
      break;
    default:
      // X.690 §10.2: BIT STRING, OCTET STRING and the restricted character strings
      // (UTF8String 12, NumericString 18 … BMPString 30, CHARACTER STRING 29 excepted)
      // use the primitive form only in DER.
      if (t.tag === 0x23 || t.tag === 0x24 || t.tag === 0x2c || (t.tag >= 0x32 && t.tag <= 0x3e && t.tag !== 0x3d))
        notDer('constructed string encoding');
  }
}

/** Largest sub-identifier accepted: 64 bits, or 128 bits for the X.667 UUID arc under 2.25. */
const MAX_ARC = 2n ** 64n;
const MAX_UUID_ARC = 2n ** 128n;

/**
 * OBJECT IDENTIFIER contents to dotted text. Arcs are decoded exactly (as BigInt once
 * they outgrow a double), so an oversized arc can never alias a known OID (node-forge
 * CVE-2025-66030); padding (0x80 lead octets) is refused, arcs above 2^64 are refused
 * except the X.667 UUID arc of 2.25.<UUID> (up to 2^128, which `template create`
 * assigns to new templates), and the whole OID is capped at 64 octets so a 100 KB arc
 * costs nothing (OpenSSL CVE-2023-2650; docs/security.md §7.4).
 */
export function decodeOid(c: Uint8Array): string {
  if (c.length === 0 || c.length > 64) malformed('OID of unreasonable length');
  // The same few dozen OIDs arrive in every request: decoded once, looked up by their
  // octets afterwards (2.6% of the event loop per certificate before; bench/README.md).
  const key = Buffer.from(c.buffer, c.byteOffset, c.length).toString('latin1');
  const known = decodedOids.get(key);
  if (known !== undefined) return known;
  const dotted = decodeOidUncached(c);
  if (decodedOids.size >= 4096) decodedOids.clear();
  decodedOids.set(key, dotted);
  return dotted;
}

const decodedOids = new Map<string, string>();

function decodeOidUncached(c: Uint8Array): string {
  const arcs: bigint[] = [];
  // `n` holds the arc while n * 128 + 127 stays below 2^53; `big` takes over after that.
  let n = 0;
  let big: bigint | undefined;
  let started = false;
  for (let i = 0; i < c.length; i++) {
    const byte = c[i];
    if (!started && byte === 0x80) notDer('OID arc with leading padding');
    started = true;
    const low = byte & 0x7f;
    if (big !== undefined) big = (big << 7n) | BigInt(low);
    else if (n < 2 ** 45) n = n * 128 + low;
    else big = (BigInt(n) << 7n) | BigInt(low);
    if ((byte & 0x80) === 0) {
      arcs.push(big ?? BigInt(n));
      n = 0;
      big = undefined;
      started = false;
    } else if (i === c.length - 1) {
      malformed('truncated OID');
    }
  }
  // X.690 §8.19.4: the first subidentifier packs the first two arcs.
  const first = arcs[0];
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  const all = [...head, ...arcs.slice(1)];
  const uuid = all[0] === 2n && all[1] === 25n;
  for (let k = 1; k < all.length; k++) {
    if (all[k] >= (uuid && k === 2 ? MAX_UUID_ARC : MAX_ARC)) malformed('OID arc too large');
  }
  return all.join('.');
}

/** Helpers for reading primitive values out of a checked buffer. */
export const read = {
  bytes: (buf: Uint8Array, t: Tlv): Buffer =>
    Buffer.from(buf.buffer, buf.byteOffset + t.contentStart, t.end - t.contentStart),
  whole: (buf: Uint8Array, t: Tlv): Buffer => Buffer.from(buf.buffer, buf.byteOffset + t.start, t.end - t.start),
  oid: (buf: Uint8Array, t: Tlv): string => {
    if (t.tag !== TAG.OID) malformed('expected an OBJECT IDENTIFIER');
    return decodeOid(buf.subarray(t.contentStart, t.end));
  },
  string: (buf: Uint8Array, t: Tlv): string => {
    const c = buf.subarray(t.contentStart, t.end);
    if (t.tag === TAG.BMPString) {
      if (c.length % 2) malformed('odd-length BMPString');
      let s = '';
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i] << 8) | c[i + 1]);
      return s;
    }
    return Buffer.from(c).toString(t.tag === TAG.UTF8String ? 'utf8' : 'latin1');
  },
  /** Unsigned magnitude of a non-negative INTEGER. */
  unsigned: (buf: Uint8Array, t: Tlv): Buffer => {
    if (t.tag !== TAG.INTEGER) malformed('expected an INTEGER');
    let c = Buffer.from(buf.subarray(t.contentStart, t.end));
    if (c[0] & 0x80) malformed('negative INTEGER');
    if (c.length > 1 && c[0] === 0) c = c.subarray(1);
    return c;
  },
  smallInt: (buf: Uint8Array, t: Tlv): number => {
    if (t.tag !== TAG.INTEGER && t.tag !== TAG.ENUMERATED) malformed('expected an INTEGER');
    const c = buf.subarray(t.contentStart, t.end);
    if (c.length > 6) malformed('INTEGER too large');
    return Number(BigInt.asIntN(c.length * 8, BigInt(`0x${Buffer.from(c).toString('hex')}`)));
  },
};
