/**
 * The one DER length encoder (derLength.ts, X.690 §8.1.3 / §10.1) and its three users:
 * der.ts tlv(), the CRL encoder's headers and the browser-safe CSR builder. Every
 * boundary of the length form (0x80, 0x100, 0x10000, 0x1000000) and a value above
 * 65,535 bytes is read back by the strict reader (der.ts) and by `openssl asn1parse`.
 */
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openssl, tmpDir } from '../../test/support/openssl.js';
import { CrlEncoder } from './crl.js';
import { buildCsr } from './buildCsr.js';
import { parseCsr } from './csr.js';
import { checkDer, children, nul, oid, read, seq, tlv, TAG } from './der.js';
import { derHeader, derLength } from './derLength.js';
import { EMPTY_NAME } from './name.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** `openssl asn1parse` of DER bytes: the header lines it prints (offset, depth, header length, length). */
interface ParsedLine {
  readonly offset: number;
  readonly depth: number;
  readonly hl: number;
  readonly l: number;
  readonly what: string;
}

function asn1parse(der: Uint8Array): { status: number; lines: ParsedLine[] } {
  const file = join(tmpDir('derlen-'), 'v.der');
  writeFileSync(file, der);
  const r = openssl(['asn1parse', '-inform', 'DER', '-in', file]);
  const lines = r.stdout
    .split('\n')
    .map((s) => /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+\w+:\s*(\S+(?: \S+)?)/.exec(s))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ offset: Number(m[1]), depth: Number(m[2]), hl: Number(m[3]), l: Number(m[4]), what: m[5] }));
  return { status: r.status, lines };
}

describe('derLength', () => {
  it('writes the short form below 0x80 and the minimum number of octets above (X.690 §10.1)', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [0x7f, '7f'],
      [0x80, '8180'],
      [0xff, '81ff'],
      [0x100, '820100'],
      [0xffff, '82ffff'],
      [0x10000, '83010000'],
      [0x1869f, '8301869f'],
      [0xffffff, '83ffffff'],
      [0x1000000, '8401000000'],
      [0xffffffff, '84ffffffff'],
    ];
    for (const [len, want] of cases) expect(hex(derLength(len)), `length ${len}`).toBe(want);
    expect(hex(derHeader(0x30, 0x10000))).toBe('3083010000');
  });

  it('refuses lengths that are negative, fractional or need more than four octets', () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) expect(() => derLength(bad)).toThrow(RangeError);
  });

  it('is read back by the strict reader and openssl at every boundary', () => {
    for (const len of [0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffff, 0x1000000]) {
      // A BIT STRING, which asn1parse prints without its contents, inside a SEQUENCE.
      const value = tlv(TAG.BIT_STRING, Buffer.alloc(len));
      const der = seq(oid('1.2.3'), value);
      const top = checkDer(der);
      const [id, bits] = children(der, top);
      expect(read.oid(der, id)).toBe('1.2.3');
      expect(bits.end - bits.contentStart).toBe(len);
      expect(bits.contentStart - bits.start).toBe(1 + derLength(len).length);
      const p = asn1parse(der);
      expect(p.status, `openssl asn1parse of a ${len}-byte BIT STRING`).toBe(0);
      expect(p.lines[0]).toMatchObject({ offset: 0, depth: 0, l: der.length - (top.contentStart - top.start) });
      expect(p.lines[2]).toMatchObject({ depth: 1, hl: 1 + derLength(len).length, l: len, what: 'BIT STRING' });
    }
  }, 60_000);
});

describe('the users of derLength', () => {
  it('the CRL encoder writes a revokedCertificates list above 65,535 bytes that both readers accept', () => {
    const algorithm = seq(oid('1.2.840.113549.1.1.11'), nul());
    const thisUpdate = new Date(Date.UTC(2030, 0, 1));
    const nextUpdate = new Date(Date.UTC(2030, 0, 8));
    const enc = new CrlEncoder({ issuer: EMPTY_NAME, signatureAlgorithm: algorithm, thisUpdate, nextUpdate });
    for (let i = 0; i < 2500; i++) enc.add((0x400000 + i).toString(16), Date.UTC(2029, 11, 1) + i * 1000, i % 4);
    expect(enc.size).toBeGreaterThan(0xffff);
    enc.finishTbs([]);
    const crl = enc.certificateList(Buffer.alloc(256, 1));
    const top = checkDer(crl, { maxNodes: 1_000_000 });
    const [tbs] = children(crl, top);
    const fields = children(crl, tbs);
    const list = fields.find((f, i) => i > 3 && f.tag === TAG.SEQUENCE)!;
    expect(children(crl, list)).toHaveLength(2500);
    expect(list.end - list.contentStart).toBe(enc.size);
    const p = asn1parse(crl);
    expect(p.status).toBe(0);
    expect(p.lines.filter((l) => l.depth === 3 && l.what === 'SEQUENCE')).toHaveLength(2500);
  }, 60_000);

  it('the CSR builder encodes an attribute value above 65,535 bytes correctly', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const osVersion = 'x'.repeat(70_000);
    const sign = async (d: Uint8Array) => cryptoSign('sha256', d, privateKey);
    const csr = await buildCsr({ spki, keyKind: 'ec', hash: 'SHA-256', sign, osVersion });
    const der = Buffer.from(csr);
    checkDer(der);
    const p = asn1parse(der);
    expect(p.status).toBe(0);
    expect(p.lines.some((l) => l.what === 'IA5STRING' && l.l === 70_000 && l.hl === 5)).toBe(true);
    const parsed = parseCsr(der);
    expect(parsed).toBeTruthy();
    const dir = tmpDir('derlen-csr-');
    writeFileSync(join(dir, 'r.der'), der);
    const verified = openssl(['req', '-inform', 'DER', '-in', join(dir, 'r.der'), '-verify', '-noout']);
    expect(verified.stderr).toMatch(/verify OK/i);
  }, 60_000);
});
