/** The one Extensions reader (readExtensions.ts): RFC 5280 §4.2 duplicates and criticality, X.690 §11.5. */
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../errors/registry.js';
import { bool, octets, oid, readTlv, seq } from './der.js';
import { readExtensions, type Extension, type ReadExtensionsOptions } from './readExtensions.js';

const ext = (id: string, value: Buffer, critical?: boolean) =>
  seq(oid(id), ...(critical === undefined ? [] : [bool(critical)]), octets(value));
const list = (...e: Buffer[]) => seq(...e);
const readList = (b: Buffer, o?: ReadExtensionsOptions) => readExtensions(b, readTlv(b, 0, b.length), o);
/** Throws a TesseraError with `code`. */
const refusedWith = (code: ErrorCode) => expect.objectContaining({ name: 'TesseraError', code });
const v = Buffer.from([0x05, 0x00]);

describe('readExtensions', () => {
  it('reads OID, criticality and value in order', () => {
    const { extensions } = readList(list(ext('1.2.3', v), ext('1.2.4', v, true)));
    expect([...extensions.values()].map((e) => [e.oid, e.critical, e.value.toString('hex')])).toEqual([
      ['1.2.3', false, '0500'],
      ['1.2.4', true, '0500'],
    ]);
  });

  it('refuses a duplicate, with its own code when asked (RFC 5280 §4.2)', () => {
    const twice = list(ext('1.2.3', v), ext('1.2.3', v));
    expect(() => readList(twice)).toThrow(refusedWith('REQUEST_MALFORMED'));
    const asCsr = () => readList(twice, { duplicateCode: 'CSR_DUPLICATE_EXTENSION' });
    expect(asCsr).toThrow(refusedWith('CSR_DUPLICATE_EXTENSION'));
  });

  it('counts duplicates across lists read into one map', () => {
    const into = new Map<string, Extension>();
    readList(list(ext('1.2.3', v)), { into });
    const again = () => readList(list(ext('1.2.3', v)), { into, duplicateCode: 'CSR_DUPLICATE_EXTENSION' });
    expect(again).toThrow(refusedWith('CSR_DUPLICATE_EXTENSION'));
  });

  it('refuses critical FALSE encoded (X.690 §11.5) and Extensions of the wrong shape', () => {
    const falseEncoded = list(ext('1.2.3', v, false));
    expect(() => readList(falseEncoded, { notDerCode: 'REQUEST_NOT_DER' })).toThrow(refusedWith('REQUEST_NOT_DER'));
    expect(() => readList(list(seq(oid('1.2.3'))))).toThrow(refusedWith('REQUEST_MALFORMED'));
    expect(() => readList(list(seq(oid('1.2.3'), v)))).toThrow(refusedWith('REQUEST_MALFORMED'));
    const notExtension = list(octets(v));
    const asSignin = () => readList(notExtension, { errorCode: 'SIGNIN_CERT_MALFORMED' });
    expect(asSignin).toThrow(refusedWith('SIGNIN_CERT_MALFORMED'));
  });

  it('refuses or records an unrecognised critical extension, as asked', () => {
    const b = list(ext('1.2.3', v, true), ext('1.2.4', v, true));
    const understood = new Set(['1.2.3']);
    expect(() => readList(b, { understood })).toThrow(refusedWith('REQUEST_MALFORMED'));
    expect(readList(b, { understood, unknownCritical: 'record' }).unknownCritical).toEqual(['1.2.4']);
    expect(readList(b).unknownCritical).toEqual([]);
  });
});
