/**
 * The one KeyUsage table (RFC 5280 §4.2.1.3), encoder and decoder:
 *
 *   KeyUsage ::= BIT STRING { digitalSignature (0), nonRepudiation (1), keyEncipherment (2),
 *       dataEncipherment (3), keyAgreement (4), keyCertSign (5), cRLSign (6),
 *       encipherOnly (7), decipherOnly (8) }
 */
import { TesseraError } from '../errors/TesseraError.js';
import { bitString, read, readTlv, TAG } from './der.js';

/** The named bits in bit order: index = bit number. */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageBit = (typeof KEY_USAGE_BITS)[number];

/** The extension value: a DER named bit list (trailing zero bits dropped, X.690 §11.2.2). */
export function keyUsageValue(usages: readonly KeyUsageBit[]): Buffer {
  let bits = 0;
  for (const u of usages) bits |= 1 << (15 - KEY_USAGE_BITS.indexOf(u));
  if (bits === 0) return bitString(Buffer.alloc(0));
  let unused = 0;
  while (((bits >> unused) & 1) === 0) unused++;
  const bytes = bits & 0xff ? Buffer.from([bits >> 8, bits & 0xff]) : Buffer.from([bits >> 8]);
  return bitString(bytes, unused % 8);
}

/** Decode the extension value; §4.2.1.3: "at least one of the bits … MUST be set to 1". */
export function decodeKeyUsage(v: Buffer): Set<KeyUsageBit> {
  const bad = (detail: string): never => {
    throw new TesseraError('REQUEST_MALFORMED', detail);
  };
  const t = readTlv(v, 0, v.length);
  if (t.tag !== TAG.BIT_STRING || t.end !== v.length) bad('keyUsage is not a BIT STRING');
  const bytes = read.bytes(v, t).subarray(1);
  const out = new Set<KeyUsageBit>();
  KEY_USAGE_BITS.forEach((name, bit) => {
    const byte = bytes[bit >> 3];
    if (byte !== undefined && byte & (0x80 >> (bit & 7))) out.add(name);
  });
  if (out.size === 0) bad('keyUsage with no bit set');
  return out;
}
