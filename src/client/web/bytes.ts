/**
 * Byte helpers for the browser (no Buffer): base64, hex, random handles, exact
 * ArrayBuffers for WebCrypto and asn1js.
 */

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Base64 (whitespace and PEM armour tolerated) to bytes; throws RangeError on anything else. */
export function fromBase64(text: string): Uint8Array {
  const body = text.replace(/-----(BEGIN|END)[^-]*-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new RangeError('not base64');
  const bin = atob(body);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** An ArrayBuffer holding exactly these bytes (never a view into a larger pool). */
export function exact(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}

/** `n` random bytes as lower-case hex (key handles, container names). */
export function randomHex(n: number): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(n)));
}

/** PEM body with 64-character lines, as CertRequest (headers are optional for certfnsh.asp). */
export function base64Lines(bytes: Uint8Array): string {
  return (toBase64(bytes).match(/.{1,64}/g) ?? []).join('\r\n');
}
