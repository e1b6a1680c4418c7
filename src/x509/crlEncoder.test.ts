/**
 * The streaming CRL encoder byte for byte against @peculiar/asn1-x509's CertificateList
 * (an independent DER encoder), for the entry shapes that matter: serials with the top
 * bit set (sign octet), leading zero octets, 1 and 20 octets; every reason; dates from
 * 2050 (GeneralizedTime, RFC 5280 §5.1.2.6); no entries at all.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { CrlEncoder } from './crl.js';
import { encodeName } from './name.js';
import { checkDer, integer, time } from './der.js';
import { extension } from './extensions.js';
import { signatureAlgorithmDer } from './publicKey.js';

const fields = {
  issuer: encodeName([
    { type: 'O', value: 'Tessera Tests' },
    { type: 'CN', value: 'Encoder CA' },
  ]),
  signatureAlgorithm: signatureAlgorithmDer('ecdsa', 'sha256'),
  thisUpdate: new Date('2026-11-25T10:00:00Z'),
  nextUpdate: new Date('2026-12-02T10:00:00Z'),
};

function roundTrip(der: Buffer): Buffer {
  return Buffer.from(AsnConvert.serialize(AsnConvert.parse(der, CertificateList)));
}

describe('CrlEncoder', () => {
  it('encodes entries exactly as an independent DER encoder does', () => {
    const enc = new CrlEncoder(fields, 16); // tiny initial buffer: growth is exercised too
    const rows: [string, number, number | null][] = [
      ['01', Date.UTC(2026, 0, 1), null],
      ['ff', Date.UTC(2026, 0, 2), 1],
      ['000012', Date.UTC(2026, 0, 3), 0],
      [`7f${'ab'.repeat(19)}`, Date.UTC(2049, 11, 31, 23, 59, 59), 6],
      [`80${'00'.repeat(19)}`, Date.UTC(2050, 0, 1), 9],
      ...[2, 3, 4, 5, 8, 10].map((r, i): [string, number, number | null] => [
        `4${i}${'11'.repeat(15)}`,
        Date.UTC(2026, 5, i + 1, 12, 30, 15),
        r,
      ]),
    ];
    for (let i = 0; i < 600; i++)
      rows.push([
        (0x40 + (i % 64)).toString(16) + i.toString(16).padStart(30, '0'),
        Date.UTC(2026, 3, 1) + i * 1000,
        i % 3 ? 1 : null,
      ]);
    for (const [s, at, r] of rows) enc.add(s, at, r);
    const tbs = enc.finishTbs([extension('2.5.29.20', false, integer(42))]);
    const der = enc.certificateList(Buffer.from([1, 2, 3, 4]));
    expect(roundTrip(der).equals(der)).toBe(true);
    const parsed = AsnConvert.parse(der, CertificateList);
    expect(Buffer.from(AsnConvert.serialize(parsed.tbsCertList)).equals(tbs)).toBe(true);
    const list = parsed.tbsCertList.revokedCertificates!;
    expect(list.length).toBe(rows.length);
    expect(Buffer.from(list[1].userCertificate).toString('hex')).toBe('00ff'); // sign octet
    expect(Buffer.from(list[2].userCertificate).toString('hex')).toBe('12'); // leading zero octets dropped
    expect(list[2].crlEntryExtensions).toBeUndefined(); // unspecified: no reasonCode
    expect(list[0].crlEntryExtensions).toBeUndefined();
    expect(list[4].revocationDate.generalTime).toEqual(new Date(Date.UTC(2050, 0, 1)));
    expect(list[3].revocationDate.utcTime).toEqual(new Date(Date.UTC(2049, 11, 31, 23, 59, 59)));
    expect(parsed.tbsCertList.version).toBe(1);
  });

  it('encodes revocation dates like x509/der.ts time() across 1950–2149, leap days and the 2050 switch', () => {
    const enc = new CrlEncoder(fields);
    const dates: number[] = [
      Date.UTC(1950, 0, 1),
      Date.UTC(2000, 1, 29, 23, 59, 59),
      Date.UTC(2049, 11, 31, 23, 59, 59),
      Date.UTC(2050, 0, 1),
      Date.UTC(2100, 1, 28),
      Date.UTC(2149, 11, 31),
    ];
    for (let i = 0; i < 400; i++)
      dates.push(
        Math.floor((Date.UTC(1950, 0, 1) + Math.random() * (Date.UTC(2150, 0, 1) - Date.UTC(1950, 0, 1))) / 1000) *
          1000,
      );
    dates.forEach((d, i) => {
      enc.add((0x10 + i).toString(16), d, null);
    });
    enc.finishTbs([]);
    const der = enc.certificateList(Buffer.from([1]));
    const list = AsnConvert.parse(der, CertificateList).tbsCertList.revokedCertificates!;
    list.forEach((e, i) => {
      expect(e.revocationDate.getTime().getTime(), new Date(dates[i]).toISOString()).toBe(dates[i]);
      expect(Buffer.from(AsnConvert.serialize(e.revocationDate)).equals(time(new Date(dates[i])))).toBe(true);
    });
  });

  it('writes correct 4-octet lengths for a CRL past 16 MB (the header space reserved in front)', () => {
    const enc = new CrlEncoder(fields);
    for (let i = 0; i < 420_000; i++)
      enc.add(`4${i.toString(16).padStart(31, '0')}`, Date.UTC(2026, 0, 1) + i * 1000, 1);
    enc.finishTbs([extension('2.5.29.20', false, integer(7))]);
    const der = enc.certificateList(Buffer.alloc(72, 1));
    expect(der.length).toBeGreaterThan(16 * 1024 * 1024);
    expect(der.subarray(0, 2).toString('hex')).toBe('3084');
    const top = checkDer(der, { maxNodes: 10_000_000, maxDepth: 12 });
    expect(top.end).toBe(der.length);
  });

  it('leaves revokedCertificates out when there are none (RFC 5280 §5.1.2.6)', () => {
    const enc = new CrlEncoder(fields);
    enc.finishTbs([]);
    const der = enc.certificateList(Buffer.from([9]));
    expect(roundTrip(der).equals(der)).toBe(true);
    expect(AsnConvert.parse(der, CertificateList).tbsCertList.revokedCertificates).toBeUndefined();
  });

  it(
    'refuses serials that are not 1–20 octets of hex, ' + 'reasons that are not CRLReasons, and fractional seconds',
    () => {
      const enc = new CrlEncoder(fields);
      expect(() => enc.add('ab'.repeat(21), 0, null)).toThrow();
      expect(() => enc.add('zz', 0, null)).toThrow();
      expect(() => enc.add('01', 0, 7)).toThrow();
      expect(() => new CrlEncoder({ ...fields, thisUpdate: new Date(1500) })).toThrow();
    },
  );
});
