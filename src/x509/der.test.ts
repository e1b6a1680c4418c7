/**
 * The strict DER writer and reader (der.ts). The writer is checked byte for byte against
 * @peculiar/asn1-schema, the library encoder the issuance path replaced; the reader is
 * checked against the malformed-input classes of docs/security.md §7 (X.690 §10 DER rules,
 * node-forge CVE-2025-66031 / CVE-2025-66030, OpenSSL CVE-2023-2650).
 */
import {
  AsnIntegerBigIntConverter,
  AsnProp,
  AsnPropTypes,
  AsnSerializer,
  AsnType,
  AsnTypeTypes,
  type IAsnConverter,
} from '@peculiar/asn1-schema';
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../errors/TesseraError.js';
import {
  bitString,
  bmp,
  bool,
  checkDer,
  children,
  decodeOid,
  enumerated,
  explicit,
  generalizedTime,
  ia5,
  implicit,
  integer,
  integerFromUnsigned,
  nul,
  octets,
  oid,
  printable,
  read,
  readTlv,
  seq,
  setOf,
  time,
  tlv,
  utf8,
} from './der.js';
import { codeOf } from '../../test/support/codeOf.js';

/** SEQUENCE { value } encoded by asn1-schema, with `value` of the given ASN.1 type. */
function libraryEncoding(type: AsnPropTypes, value: unknown, converter?: IAsnConverter<unknown>): Buffer {
  class Holder {
    value: unknown = value;
  }
  AsnProp({ type, converter })(Holder.prototype, 'value');
  AsnType({ type: AsnTypeTypes.Sequence })(Holder);
  return Buffer.from(AsnSerializer.serialize(new Holder()));
}

const ab = (b: Uint8Array) => Uint8Array.from(b).buffer as ArrayBuffer;

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

describe('DER writer', () => {
  it.each([0, 1, 127, 128, 255, 256, 65535, 2 ** 31, Number.MAX_SAFE_INTEGER])(
    'writes INTEGER %d as asn1-schema does',
    (n) => {
      expect(seq(integer(n))).toEqual(
        libraryEncoding(AsnPropTypes.Integer, BigInt(n), AsnIntegerBigIntConverter as IAsnConverter<unknown>),
      );
    },
  );

  it('writes INTEGERs from unsigned magnitudes with the sign octet asn1-schema adds', () => {
    for (const m of [
      hex('7f'),
      hex('80'),
      hex('00ff'),
      hex('0000ab'),
      hex('ff'.repeat(20)),
      hex(`40${'11'.repeat(15)}`),
    ]) {
      const value = BigInt(`0x${m.toString('hex')}`);
      expect(seq(integerFromUnsigned(m))).toEqual(
        libraryEncoding(AsnPropTypes.Integer, value, AsnIntegerBigIntConverter as IAsnConverter<unknown>),
      );
    }
    // A top-bit-set 20-octet magnitude is 21 content octets (X.690 §8.3: two's complement).
    expect(integerFromUnsigned(hex('ff'.repeat(20))).length).toBe(2 + 21);
    expect(integerFromUnsigned(hex('0000ab'))).toEqual(hex('0202 00ab'));
    expect(integerFromUnsigned(new Uint8Array(0))).toEqual(hex('020100'));
  });

  it('refuses to write negative INTEGERs', () => {
    expect(() => integer(-1)).toThrow(/negative/);
  });

  it('writes BOOLEAN, NULL, ENUMERATED, OCTET STRING and BIT STRING as asn1-schema does', () => {
    expect(seq(bool(true))).toEqual(libraryEncoding(AsnPropTypes.Boolean, true));
    expect(seq(bool(false))).toEqual(libraryEncoding(AsnPropTypes.Boolean, false));
    expect(seq(nul())).toEqual(libraryEncoding(AsnPropTypes.Null, null));
    expect(seq(enumerated(1))).toEqual(libraryEncoding(AsnPropTypes.Enumerated, 1));
    expect(seq(enumerated(200))).toEqual(libraryEncoding(AsnPropTypes.Enumerated, 200));
    const data = Buffer.alloc(300, 7);
    expect(seq(octets(data))).toEqual(libraryEncoding(AsnPropTypes.OctetString, ab(data)));
    expect(seq(bitString(data))).toEqual(libraryEncoding(AsnPropTypes.BitString, ab(data)));
  });

  it('writes UTF8String, PrintableString, IA5String and BMPString as asn1-schema does', () => {
    expect(seq(utf8('Zoë Ångström ✓'))).toEqual(libraryEncoding(AsnPropTypes.Utf8String, 'Zoë Ångström ✓'));
    expect(seq(printable('DE'))).toEqual(libraryEncoding(AsnPropTypes.PrintableString, 'DE'));
    expect(seq(ia5('alice@example.com'))).toEqual(libraryEncoding(AsnPropTypes.IA5String, 'alice@example.com'));
    expect(seq(bmp('SmartcardUser'))).toEqual(libraryEncoding(AsnPropTypes.BmpString, 'SmartcardUser'));
  });

  it.each([
    '1.2.840.113549.1.1.11',
    '2.5.29.37.0',
    '1.3.6.1.4.1.311.25.2.1',
    '2.999.3',
    '0.9.2342.19200300.100.1.25',
    '2.25.329800735698586629295641978511506172918',
  ])('writes OID %s as asn1-schema does and reads it back', (o) => {
    expect(seq(oid(o))).toEqual(libraryEncoding(AsnPropTypes.ObjectIdentifier, o));
    const t = oid(o);
    expect(decodeOid(t.subarray(2))).toBe(o);
  });

  it('refuses to write an OID that is not dotted digits', () => {
    expect(() => oid('1.2.x')).toThrow(/bad OID/);
    expect(() => oid('1')).toThrow(/bad OID/);
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050, whole seconds in Zulu (RFC 5280 §4.1.2.5)', () => {
    const d2049 = new Date(Date.UTC(2049, 11, 31, 23, 59, 59));
    const d2050 = new Date(Date.UTC(2050, 0, 1, 0, 0, 0));
    expect(seq(time(d2049))).toEqual(libraryEncoding(AsnPropTypes.UTCTime, d2049));
    expect(time(d2049).toString('latin1', 2)).toBe('491231235959Z');
    expect(seq(time(d2050))).toEqual(libraryEncoding(AsnPropTypes.GeneralizedTime, d2050));
    expect(time(d2050).toString('latin1', 2)).toBe('20500101000000Z');
    // Milliseconds are dropped rather than written as a fraction (§4.1.2.5.2).
    expect(generalizedTime(new Date(Date.UTC(2030, 5, 1, 12, 0, 0, 731))).toString('latin1', 2)).toBe(
      '20300601120000Z',
    );
  });

  it('sorts SET OF elements as X.690 §11.6 requires', () => {
    const a = utf8('b');
    const b = utf8('a');
    const c = integer(5);
    expect(setOf(a, b, c)).toEqual(tlv(0x31, c, b, a));
  });

  it('writes long lengths minimally', () => {
    expect(octets(Buffer.alloc(127)).subarray(0, 2)).toEqual(hex('047f'));
    expect(octets(Buffer.alloc(128)).subarray(0, 3)).toEqual(hex('048180'));
    expect(octets(Buffer.alloc(256)).subarray(0, 4)).toEqual(hex('04820100'));
    expect(octets(Buffer.alloc(65536)).subarray(0, 5)).toEqual(hex('0483010000'));
  });

  it('tags [n] EXPLICIT and [n] IMPLICIT keeping the constructed bit', () => {
    expect(explicit(3, integer(1))).toEqual(hex('a303 020101'));
    expect(implicit(0, utf8('x'))).toEqual(hex('8001 78'));
    expect(implicit(1, seq(integer(1)))).toEqual(hex('a103 020101'));
  });
});

describe('DER reader', () => {
  it('accepts what the writer produces and walks it', () => {
    const der = seq(integer(1), seq(oid('1.2.3'), utf8('x')), bitString(hex('a0'), 5), bool(true));
    const top = checkDer(der);
    const kids = children(der, top);
    expect(kids.map((k) => k.tag)).toEqual([0x02, 0x30, 0x03, 0x01]);
    expect(read.smallInt(der, kids[0])).toBe(1);
    expect(read.oid(der, children(der, kids[1])[0])).toBe('1.2.3');
  });

  it('rejects an empty input with REQUEST_EMPTY', () => {
    expect(codeOf(() => checkDer(new Uint8Array(0)))).toBe('REQUEST_EMPTY');
  });

  it('rejects indefinite lengths (BER, X.690 §10.1)', () => {
    expect(codeOf(() => checkDer(hex('3080 020101 0000')))).toBe('REQUEST_NOT_DER');
  });

  it('rejects non-minimal lengths', () => {
    expect(codeOf(() => checkDer(hex('308103 020101')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => checkDer(hex('30820003 020101')))).toBe('REQUEST_NOT_DER');
  });

  it('rejects non-minimal INTEGERs (Wycheproof MissingZero / ModifiedInteger)', () => {
    expect(codeOf(() => checkDer(hex('3004 02020001')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => checkDer(hex('3004 0202ff80')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => checkDer(hex('3002 0200')))).toBe('REQUEST_MALFORMED');
    // Minimal forms with a sign octet are fine.
    expect(() => checkDer(hex('3004 02020080'))).not.toThrow();
    expect(() => checkDer(hex('3004 0202ff7f'))).not.toThrow();
  });

  it('rejects trailing bytes after the outer structure', () => {
    expect(codeOf(() => checkDer(hex('3003 020101 00')))).toBe('REQUEST_MALFORMED');
  });

  it('rejects a BIT STRING with more than 7 unused bits or non-zero padding bits', () => {
    expect(codeOf(() => checkDer(hex('3004 03020800')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => checkDer(hex('3003 030101')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => checkDer(hex('3004 030205a1')))).toBe('REQUEST_NOT_DER');
    expect(() => checkDer(hex('3004 030205a0'))).not.toThrow();
  });

  it('rejects constructed strings (X.690 §10.2)', () => {
    expect(codeOf(() => checkDer(hex('3005 2403 040141')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => checkDer(hex('3006 2304 03020041')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => checkDer(hex('3005 2c03 0c0141')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => checkDer(hex('3005 3e03 1e0141')))).toBe('REQUEST_NOT_DER');
  });

  it('rejects BOOLEANs other than 0x00 and 0xFF and NULL with contents', () => {
    expect(codeOf(() => checkDer(hex('3003 010101')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => checkDer(hex('3003 050100')))).toBe('REQUEST_NOT_DER');
  });

  it('rejects truncated input and lengths running past their container', () => {
    const good = seq(integer(1), utf8('hello'));
    for (let cut = 1; cut < good.length; cut++)
      expect(codeOf(() => checkDer(good.subarray(0, cut)))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => checkDer(hex('3003 020501')))).toBe('REQUEST_MALFORMED');
    // A 0x84FFFFFFFF length on a short input.
    expect(codeOf(() => checkDer(hex('3084ffffffff 020101')))).toBe('REQUEST_MALFORMED');
    // Five length octets are never needed here.
    expect(codeOf(() => checkDer(hex('30850000000003 020101')))).toBe('REQUEST_MALFORMED');
  });

  it('rejects high tag numbers', () => {
    expect(codeOf(() => checkDer(hex('3003 1f0100')))).toBe('REQUEST_MALFORMED');
  });

  it('rejects OIDs with 0x80 padding in an arc (node-forge CVE-2025-66030)', () => {
    expect(codeOf(() => checkDer(hex('3005 06032a8001')))).toBe('REQUEST_NOT_DER');
    expect(codeOf(() => decodeOid(hex('80 2a')))).toBe('REQUEST_NOT_DER');
  });

  it('decodes large OID arcs exactly and rejects arcs beyond 2^64, so none aliases a known OID', () => {
    // 1.2.(2^53 + 840) would alias 1.2.840 with 53-bit float arithmetic.
    const big = (2n ** 53n + 840n).toString();
    expect(decodeOid(oid(`1.2.${big}`).subarray(2))).toBe(`1.2.${big}`);
    expect(decodeOid(oid(`1.2.${(2n ** 64n - 1n).toString()}`).subarray(2))).toBe(`1.2.${(2n ** 64n - 1n).toString()}`);
    expect(codeOf(() => checkDer(seq(oid(`1.2.${(2n ** 64n).toString()}`))))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => checkDer(seq(oid(`1.2.${(2n ** 64n + 840n).toString()}`))))).toBe('REQUEST_MALFORMED');
  });

  it('accepts X.667 UUID arcs up to 2^128 under 2.25 only', () => {
    const uuid = (2n ** 128n - 1n).toString();
    expect(() => checkDer(seq(oid(`2.25.${uuid}`)))).not.toThrow();
    expect(codeOf(() => checkDer(seq(oid(`2.25.${(2n ** 128n).toString()}`))))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => checkDer(seq(oid(`2.26.${uuid}`))))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => checkDer(seq(oid(`2.25.1.${uuid}`))))).toBe('REQUEST_MALFORMED');
  });

  it('rejects a truncated OID whose last arc has the continuation bit', () => {
    expect(codeOf(() => decodeOid(hex('2a 86')))).toBe('REQUEST_MALFORMED');
  });

  it('rejects a 100 KB OID arc in bounded time (OpenSSL CVE-2023-2650)', () => {
    const arc = Buffer.alloc(100 * 1024, 0xff);
    arc[arc.length - 1] = 0x7f;
    const der = seq(tlv(0x06, hex('2a'), arc));
    const t0 = performance.now();
    expect(codeOf(() => checkDer(der))).toBe('REQUEST_MALFORMED');
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it(
    'rejects 10,000 nested SEQUENCEs fast with REQUEST_TOO_DEEP ' +
      'and no RangeError (node-forge CVE-2025-66031, asn1js #131)',
    () => {
      let der: Buffer = Buffer.from([0x30, 0x00]);
      for (let i = 1; i < 10_000; i++) der = seq(der);
      const t0 = performance.now();
      let err: unknown;
      try {
        checkDer(der);
      } catch (e) {
        err = e;
      }
      expect(performance.now() - t0).toBeLessThan(50);
      expect(err).toBeInstanceOf(TesseraError);
      expect((err as TesseraError).code).toBe('REQUEST_TOO_DEEP');
      expect((err as TesseraError).detail).toMatch(/deeper than 32/);
    },
  );

  it('accepts nesting up to the limit and rejects one level more', () => {
    const nest = (levels: number) => {
      let der: Buffer = Buffer.from([0x30, 0x00]);
      for (let i = 1; i < levels; i++) der = seq(der);
      return der;
    };
    expect(() => checkDer(nest(8), { maxDepth: 8 })).not.toThrow();
    expect(codeOf(() => checkDer(nest(9), { maxDepth: 8 }))).toBe('REQUEST_TOO_DEEP');
  });

  it('rejects more elements than the node cap with REQUEST_TOO_LARGE', () => {
    const der = seq(...Array.from({ length: 50 }, () => nul()));
    expect(() => checkDer(der, { maxNodes: 51 })).not.toThrow();
    expect(codeOf(() => checkDer(der, { maxNodes: 50 }))).toBe('REQUEST_TOO_LARGE');
  });

  it('reads BMPString, UTF8String and latin1 strings', () => {
    const b = bmp('Smartcard');
    expect(read.string(b, readTlv(b, 0, b.length))).toBe('Smartcard');
    const u = utf8('Zoë');
    expect(read.string(u, readTlv(u, 0, u.length))).toBe('Zoë');
    const odd = hex('1e03 004100');
    expect(codeOf(() => read.string(odd, readTlv(odd, 0, odd.length)))).toBe('REQUEST_MALFORMED');
  });

  it('reads unsigned INTEGER magnitudes and refuses negative ones', () => {
    const i = integerFromUnsigned(hex('80 01'));
    expect(read.unsigned(i, readTlv(i, 0, i.length))).toEqual(hex('8001'));
    const neg = hex('0201 80');
    expect(codeOf(() => read.unsigned(neg, readTlv(neg, 0, neg.length)))).toBe('REQUEST_MALFORMED');
    const n = integer(300);
    expect(read.smallInt(n, readTlv(n, 0, n.length))).toBe(300);
    const minus = hex('0201 ff');
    expect(read.smallInt(minus, readTlv(minus, 0, minus.length))).toBe(-1);
  });
});
