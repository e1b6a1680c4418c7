/**
 * The one CRL codec (crl.ts): what the CA's encoder writes, the relying party's decoder
 * reads back field for field (RFC 5280 §5), with the shared time and extension readers
 * keeping their refusals.
 */
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../errors/TesseraError.js';
import { CRL_REASONS, CrlEncoder, readCrl, REMOVE_FROM_CRL } from './crl.js';
import { bool, explicit, integer, nul, octets, oid, seq, tlv, TAG, time } from './der.js';
import { authorityKeyIdentifierExtension, extension } from './extensions.js';
import { encodeName } from './name.js';
import { OID } from './oids.js';

const issuer = encodeName([
  { type: 'O', value: 'Unit Org' },
  { type: 'CN', value: 'Unit CA' },
]);
const algorithm = seq(oid('1.2.840.113549.1.1.11'), nul());
const thisUpdate = new Date(Date.UTC(2030, 0, 1));
const nextUpdate = new Date(Date.UTC(2030, 0, 8));

function encode(add: (e: CrlEncoder) => void, exts: Buffer[]): Buffer {
  const enc = new CrlEncoder({ issuer, signatureAlgorithm: algorithm, thisUpdate, nextUpdate });
  add(enc);
  enc.finishTbs(exts);
  return Buffer.from(enc.certificateList(Buffer.alloc(64, 7)));
}

/** A CertificateList around hand-written TBS fields (for inputs the encoder never writes). */
function crlOf(entries: Buffer[], crlExts?: Buffer[]): Buffer {
  const list = entries.length ? [seq(...entries)] : [];
  const exts = crlExts ? [explicit(0, seq(...crlExts))] : [];
  const tbs = seq(integer(1), algorithm, issuer, time(thisUpdate), time(nextUpdate), ...list, ...exts);
  return seq(tbs, algorithm, tlv(TAG.BIT_STRING, Buffer.from([0]), Buffer.alloc(64, 7)));
}

function refusal(der: Buffer): string {
  try {
    readCrl(der, 'SIGNIN_REVOCATION_UNKNOWN');
  } catch (e) {
    expect(e).toBeInstanceOf(TesseraError);
    expect((e as TesseraError).code).toBe('SIGNIN_REVOCATION_UNKNOWN');
    return (e as TesseraError).detail ?? '';
  }
  throw new Error('expected the CRL to be refused');
}

describe('CRL codec', () => {
  it('reads back what the encoder writes: entries, reasons (removeFromCRL too), numbers and the AKI', () => {
    const at = Date.UTC(2029, 11, 1, 12, 30, 15);
    const der = encode(
      (e) => {
        e.add('4a01', at, null);
        e.add('00ff02', at + 1000, 1);
        e.add('9f', at + 2000, REMOVE_FROM_CRL);
      },
      [
        authorityKeyIdentifierExtension(Buffer.alloc(20, 9)),
        extension(OID.cRLNumber, false, integer(12)),
        extension(OID.deltaCRLIndicator, true, integer(11)),
      ],
    );
    const crl = readCrl(der);
    expect(crl.issuer).toEqual(issuer);
    expect(crl.thisUpdate).toEqual(thisUpdate);
    expect(crl.nextUpdate).toEqual(nextUpdate);
    expect(crl.crlNumber).toBe(12n);
    expect(crl.baseCrlNumber).toBe(11n);
    expect(crl.authorityKeyId).toEqual(Buffer.alloc(20, 9));
    expect(crl.signature).toEqual(Buffer.alloc(64, 7));
    expect([...crl.entries]).toEqual([
      ['4a01', { revokedAt: new Date(at) }],
      ['ff02', { revokedAt: new Date(at + 1000), reason: 1 }],
      ['9f', { revokedAt: new Date(at + 2000), reason: REMOVE_FROM_CRL }],
    ]);
    expect(CRL_REASONS[REMOVE_FROM_CRL]).toBe('removeFromCRL');
  });

  it('refuses an unrecognised critical CRL or entry extension, and a duplicate (RFC 5280 §5.2, §5.3)', () => {
    const entry = (...exts: Buffer[]) => seq(integer(5), time(thisUpdate), seq(...exts));
    const unknown = extension('1.2.3.4', true, nul());
    expect(refusal(crlOf([], [unknown]))).toMatch(/unrecognised critical extension 1\.2\.3\.4/);
    expect(refusal(crlOf([entry(unknown)]))).toMatch(/unrecognised critical extension 1\.2\.3\.4/);
    const number = extension(OID.cRLNumber, false, integer(1));
    expect(refusal(crlOf([], [number, number]))).toMatch(/appears twice/);
    const reason = extension(OID.cRLReason, false, tlv(TAG.ENUMERATED, Buffer.from([1])));
    expect(refusal(crlOf([entry(reason, reason)]))).toMatch(/appears twice/);
    // An unknown non-critical extension is ignored.
    const ignored = crlOf([entry(extension('1.2.3.4', false, nul()))], [extension('1.2.3.5', false, nul())]);
    expect(readCrl(ignored).entries.get('05')).toBeTruthy();
  });

  it('refuses critical FALSE written out (X.690 §11.5), as the certificate reader does', () => {
    const explicitFalse = seq(oid(OID.cRLNumber), bool(false), octets(integer(1)));
    expect(refusal(crlOf([], [explicitFalse]))).toMatch(/critical FALSE/);
  });

  it('refuses times RFC 5280 §5.1.2.4 does not allow and an entry with a fourth field', () => {
    const fractional = tlv(TAG.GeneralizedTime, Buffer.from('20291201000000.5Z'));
    expect(refusal(crlOf([seq(integer(5), fractional)]))).toMatch(/GeneralizedTime/);
    const feb31 = tlv(TAG.UTCTime, Buffer.from('290231000000Z'));
    expect(refusal(crlOf([seq(integer(5), feb31)]))).toMatch(/names no instant/);
    expect(refusal(crlOf([seq(integer(5), time(thisUpdate), seq(), integer(1))]))).toMatch(/revoked certificate entry/);
  });

  it('refuses a cRLReason that is not an ENUMERATED and a signature with unused bits', () => {
    const reason = extension(OID.cRLReason, false, integer(1));
    expect(refusal(crlOf([seq(integer(5), time(thisUpdate), seq(reason))]))).toMatch(/cRLReason is not an ENUMERATED/);
    const der = crlOf([]);
    der[der.length - 65] = 1;
    expect(refusal(der)).toMatch(/unused bits|not DER/);
  });
});
