/**
 * Small byte helpers for building CMS in the browser and on the server alike (no node:
 * imports, no Buffer), and the hash and signature algorithm identifiers CMC uses.
 */
import { DigestAlgorithmIdentifier } from '@peculiar/asn1-cms';

export type CmsHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** RFC 3370 §2.1 / RFC 5754 §2: hash OIDs; parameters absent. */
export const HASH_OIDS: Record<CmsHash, string> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

export const digestAlgorithm = (hash: CmsHash) => new DigestAlgorithmIdentifier({ algorithm: HASH_OIDS[hash] });

/** WebCrypto digest (globalThis.crypto: browsers and Node 20). */
export async function digest(hash: CmsHash, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest(hash, data.slice()));
}

/** Lexicographic order of DER encodings (X.690 §11.6, SET OF in DER). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export const bytesEqual = (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) === 0;

/** A copy of exactly these bytes (a Node Buffer's `.buffer` can be a shared 8 KB pool). */
export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return copy.buffer;
}
