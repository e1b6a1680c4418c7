/**
 * The one DER length encoder (X.690 §8.1.3 and §10.1: the definite form, short for
 * lengths below 128, otherwise the minimum number of length octets). x509/der.ts
 * re-exports it; it lives on its own because the browser enrollment client builds
 * requests with it (x509/buildCsr.ts) and der.ts depends on Node's Buffer. The strict
 * reader (der.ts readTlv) accepts up to four length octets, so this writes no more.
 */
export function derLength(len: number): Uint8Array {
  if (!Number.isInteger(len) || len < 0 || len > 0xffffffff) throw new RangeError(`DER length ${len} out of range`);
  if (len < 0x80) return Uint8Array.of(len);
  const n = len < 0x100 ? 1 : len < 0x10000 ? 2 : len < 0x1000000 ? 3 : 4;
  const out = new Uint8Array(1 + n);
  out[0] = 0x80 | n;
  for (let i = n, v = len; i > 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

/** The identifier and length octets of a TLV whose contents are `len` bytes long. */
export function derHeader(tag: number, len: number): Uint8Array {
  const l = derLength(len);
  const out = new Uint8Array(1 + l.length);
  out[0] = tag;
  out.set(l, 1);
  return out;
}
