/** The one KeyUsage table (keyUsage.ts), against @peculiar/asn1-x509 for all nine bits. */
import { AsnConvert } from '@peculiar/asn1-schema';
import { KeyUsage, KeyUsageFlags } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import type { TesseraError } from '../errors/TesseraError.js';
import { bitString } from './der.js';
import { decodeKeyUsage, KEY_USAGE_BITS, keyUsageValue } from './keyUsage.js';

describe('KeyUsage', () => {
  it.each(KEY_USAGE_BITS.map((b) => [b]))('%s encodes as the library writes it and decodes back', (bit) => {
    const lib = Buffer.from(AsnConvert.serialize(new KeyUsage(KeyUsageFlags[bit])));
    expect(keyUsageValue([bit])).toEqual(lib);
    expect([...decodeKeyUsage(lib)]).toEqual([bit]);
  });

  it('round-trips a mixed set across both octets', () => {
    const all = ['digitalSignature', 'keyCertSign', 'cRLSign', 'decipherOnly'] as const;
    expect([...decodeKeyUsage(keyUsageValue(all))]).toEqual(all);
  });

  it('refuses a key usage with no bit set (RFC 5280 §4.2.1.3)', () => {
    let detail: string | undefined;
    try {
      decodeKeyUsage(bitString(Buffer.alloc(0)));
    } catch (e) {
      detail = (e as TesseraError).detail;
    }
    expect(detail).toMatch(/no bit set/);
  });
});
