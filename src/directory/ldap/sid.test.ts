/**
 * objectSid decoding (MS-DTYP §2.4.2.2 binary → §2.4.2.1 string), with well-known SIDs
 * and a value captured from a real Active Directory: an `ldapsearch` of the HTB
 * "Cascade" domain's r.thompson (objectSid:: AQUAAAAAAAUVAAAAMvuhxgsd8Uf1yHJFVQQAAA==),
 * whose string form the same write-ups show independently (enum4linux "Domain Sid:
 * S-1-5-21-3332504370-1206983947-1165150453", r.thompson RID 0x455 = 1109).
 */
import { describe, expect, it } from 'vitest';
import { decodeSid, domainOfSid, encodeSid } from './sid.js';
import { TesseraError } from '../../errors/TesseraError.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('objectSid (MS-DTYP §2.4.2.2)', () => {
  it('decodes well-known SIDs', () => {
    // Everyone, Local System, BUILTIN\Administrators (MS-DTYP §2.4.2.4).
    expect(decodeSid(hex('01 01 000000000001 00000000'))).toBe('S-1-1-0');
    expect(decodeSid(hex('01 01 000000000005 12000000'))).toBe('S-1-5-18');
    expect(decodeSid(hex('01 02 000000000005 20000000 20020000'))).toBe('S-1-5-32-544');
  });

  it('decodes a domain account SID captured from Active Directory (01 05 00 00 00 00 00 05 15 00 00 00 …)', () => {
    const captured = Buffer.from('AQUAAAAAAAUVAAAAMvuhxgsd8Uf1yHJFVQQAAA==', 'base64');
    expect(captured.subarray(0, 12)).toEqual(hex('01 05 000000000005 15000000'));
    expect(decodeSid(captured)).toBe('S-1-5-21-3332504370-1206983947-1165150453-1109');
    expect(encodeSid('S-1-5-21-3332504370-1206983947-1165150453-1109')).toEqual(captured);
    expect(domainOfSid(decodeSid(captured))).toBe('S-1-5-21-3332504370-1206983947-1165150453');
  });

  it('decodes more captured domain SIDs (Administrator RID 500 and a user RID 1105)', () => {
    expect(decodeSid(Buffer.from('AQUAAAAAAAUVAAAAQ9CwWJ8ZBW3HmPiH9AEAAA==', 'base64'))).toMatch(
      /^S-1-5-21-\d+-\d+-\d+-500$/,
    );
    expect(decodeSid(Buffer.from('AQUAAAAAAAUVAAAAG9v9Y4G6g8nmcEILUQQAAA==', 'base64'))).toMatch(
      /^S-1-5-21-\d+-\d+-\d+-1105$/,
    );
  });

  it('prints an identifier authority of 2^32 or more in hexadecimal (MS-DTYP §2.4.2.1)', () => {
    const sid = hex('01 01 010000000000 01000000');
    expect(decodeSid(sid)).toBe('S-1-0x010000000000-1');
    expect(encodeSid('S-1-0x010000000000-1')).toEqual(sid);
  });

  it('round-trips sub-authorities at the 32-bit limit', () => {
    const s = 'S-1-5-21-4294967295-0-1-4294967295';
    expect(decodeSid(encodeSid(s))).toBe(s);
  });

  it.each([
    ['empty', ''],
    ['too short', '01 01 0000'],
    ['revision 2', '02 01 000000000005 12000000'],
    ['16 sub-authorities', `01 10 000000000005${' 00000000'.repeat(16)}`],
    ['length does not match the count', '01 02 000000000005 12000000'],
    ['trailing bytes', '01 01 000000000005 12000000 00'],
  ])('refuses a malformed SID: %s', (_name, bytes) => {
    expect(() => decodeSid(hex(bytes))).toThrow(TesseraError);
  });

  it.each([
    'S-1-5-21-*',
    'S-2-5-21',
    'S-1-5-21-4294967296',
    'S-1-281474976710656-1',
    'S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16',
    'S-1-5-21-1)(objectSid=*',
  ])('refuses to encode %s', (s) => {
    expect(() => encodeSid(s)).toThrow(TesseraError);
  });
});
