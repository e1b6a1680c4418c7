/**
 * The one certificate reader (certificate.ts) and its views: the serial form, the caller's
 * error code, the TBS reader, and the strictness that the CA and CMC views now share with
 * the relying party (impossible dates, duplicate extensions).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readCaCertificate } from '../ca/CaCertificate.js';
import { parseCertificate } from '../signin/parseCertificate.js';
import { bitString, explicit, integer, integerFromUnsigned, octets, oid, seq, TAG, time, tlv } from './der.js';
import { readCertificate, readTbsCertificate, serialFromInteger } from './certificate.js';
import { readSignerCertificate } from './cmc/signerCertificate.js';
import { basicConstraintsExtension, extension, subjectKeyIdentifierExtension } from './extensions.js';
import { encodeName } from './name.js';
import { OID } from './oids.js';
import { codeOf } from '../../test/support/codeOf.js';

const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
const alg = seq(oid(OID.ecdsaWithSHA256));
const name = encodeName([{ type: 'CN', value: 'Unit' }]);

function tbsOf(o: { serial?: Buffer; notAfter?: Buffer; exts?: Buffer[] } = {}): Buffer {
  const exts = o.exts ?? [basicConstraintsExtension(false), subjectKeyIdentifierExtension(Buffer.alloc(20, 7))];
  return seq(
    explicit(0, integer(2)),
    o.serial ?? integerFromUnsigned(Buffer.from([0x80, 0x01])),
    alg,
    name,
    seq(time(new Date('2026-01-01T00:00:00Z')), o.notAfter ?? time(new Date('2027-01-01T00:00:00Z'))),
    name,
    spki,
    explicit(3, seq(...exts)),
  );
}
const certOf = (tbs: Buffer) => seq(tbs, alg, bitString(Buffer.from([0x30, 0x00])));

describe('readCertificate', () => {
  it('keeps one serial form: the unsigned magnitude in hex, with the INTEGER TLV beside it', () => {
    const c = readCertificate(certOf(tbsOf()));
    expect(c.serial).toBe('8001');
    expect(c.serialTlv.toString('hex')).toBe('0203008001');
    expect(serialFromInteger(Buffer.from([0x00, 0x80, 0x01]))).toBe('8001');
    expect(serialFromInteger(Buffer.from([0x7f]))).toBe('7f');
    // The CA and CMC views agree (the CA view used to keep the sign octet: "008001").
    expect(readCaCertificate(certOf(tbsOf())).serial).toBe('8001');
    expect(readCaCertificate(certOf(tbsOf())).serialTlv.toString('hex')).toBe('0203008001');
    expect(readSignerCertificate(certOf(tbsOf())).serial).toBe('8001');
  });

  it('reports every failure with the caller’s code', () => {
    const bad = certOf(tbsOf({ serial: tlv(TAG.INTEGER, Buffer.from([0x80])) }));
    expect(codeOf(() => readCertificate(bad))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => readCertificate(bad, { errorCode: 'SIGNIN_CERT_MALFORMED' }))).toBe('SIGNIN_CERT_MALFORMED');
    expect(codeOf(() => parseCertificate(bad))).toBe('SIGNIN_CERT_MALFORMED');
  });

  it('refuses 31 February in every view: relying party, CA, CMC signer', () => {
    const feb31 = certOf(tbsOf({ notAfter: tlv(TAG.UTCTime, Buffer.from('270231000000Z')) }));
    expect(codeOf(() => parseCertificate(feb31))).toBe('SIGNIN_CERT_MALFORMED');
    expect(codeOf(() => readCaCertificate(feb31))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => readSignerCertificate(feb31))).toBe('REQUEST_MALFORMED');
  });

  it('refuses a duplicate extension in every view (RFC 5280 §4.2)', () => {
    const ski = subjectKeyIdentifierExtension(Buffer.alloc(20, 7));
    const twice = certOf(tbsOf({ exts: [ski, ski] }));
    expect(codeOf(() => readSignerCertificate(twice))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => readCaCertificate(twice))).toBe('REQUEST_MALFORMED');
  });

  it('the CA and CMC views record an unrecognised critical extension; the relying party refuses it', () => {
    const odd = certOf(tbsOf({ exts: [extension('1.2.3.4', true, octets(Buffer.alloc(1)))] }));
    expect(codeOf(() => parseCertificate(odd))).toBe('SIGNIN_CERT_MALFORMED');
    expect(readCaCertificate(odd).unknownCritical).toEqual(['1.2.3.4']);
    expect(readSignerCertificate(odd).unknownCritical).toEqual(['1.2.3.4']);
  });
});

describe('readTbsCertificate', () => {
  it('reads the to-be-signed bytes alone as the certificate reader reads them inside a certificate', () => {
    const tbs = tbsOf();
    const { der, fingerprint, tbs: inner, signatureAlgorithm, signature, ...whole } = readCertificate(certOf(tbs));
    expect(inner.equals(tbs)).toBe(true);
    expect(readTbsCertificate(tbs)).toEqual(whole);
    expect(readTbsCertificate(tbs).tbsSignatureAlgorithm.equals(alg)).toBe(true);
  });

  it('is as strict: trailing bytes, 31 February', () => {
    expect(codeOf(() => readTbsCertificate(Buffer.concat([tbsOf(), Buffer.from([0])])))).toBe('REQUEST_MALFORMED');
    const feb31 = tbsOf({ notAfter: tlv(TAG.GeneralizedTime, Buffer.from('20270231000000Z')) });
    expect(codeOf(() => readTbsCertificate(feb31))).toBe('REQUEST_MALFORMED');
  });
});
