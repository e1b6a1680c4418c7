/**
 * Keys made by the browser (WebCrypto): generation per algorithm, the request-signing
 * callback for x509/buildCsr.ts and x509/cmc/buildCmcRequest.ts, and the sealed copy kept
 * in IndexedDB until "Install this certificate".
 *
 * Why the key is generated extractable: the certificate is installed as a PKCS#12 file,
 * which needs the PKCS#8 bytes. Right after generation the PKCS#8 is sealed (AES-256-GCM)
 * under a fresh *non-extractable* vault key, and only the sealed bytes and the vault
 * CryptoKey are stored; the extractable private CryptoKey lives in memory only while the
 * request is signed. Pages of this site can still unseal it — the same trust the user
 * already gives the page that generated it — but the stored record never holds a readable
 * private key.
 */
import { p1363ToDer, type RequestHash, type SignCallback } from '../../x509/buildCsr.js';
import { exact } from './bytes.js';
import type { KeyAlg } from './template.js';

export interface SealedKey {
  /** AES-GCM 256, non-extractable, usages encrypt/decrypt. */
  readonly vault: CryptoKey;
  readonly iv: Uint8Array;
  /** AES-GCM(PKCS#8 DER). */
  readonly sealed: Uint8Array;
}

export interface BrowserKey {
  readonly alg: KeyAlg;
  readonly keyKind: 'rsa' | 'ec';
  readonly spki: Uint8Array;
  /** Signs with `hash` (the request hash chosen at generation): PKCS#1 v1.5 or ECDSA (DER). */
  readonly sign: SignCallback;
  readonly sealed: SealedKey;
  /** Milliseconds the key generation took. */
  readonly generationMs: number;
}

export function webCryptoSigner(privateKey: CryptoKey, keyKind: 'rsa' | 'ec', hash: RequestHash): SignCallback {
  return async (data) => {
    if (keyKind === 'rsa')
      return new Uint8Array(
        await globalThis.crypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, privateKey, exact(data)),
      );
    // WebCrypto ECDSA signatures are IEEE P1363 (r||s); X.509 and CMS want DER.
    return p1363ToDer(
      new Uint8Array(await globalThis.crypto.subtle.sign({ name: 'ECDSA', hash }, privateKey, exact(data))),
    );
  };
}

export async function sealPrivateKey(pkcs8: Uint8Array): Promise<SealedKey> {
  const subtle = globalThis.crypto.subtle;
  const vault = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv }, vault, exact(pkcs8)));
  return { vault, iv, sealed };
}

export async function unsealPrivateKey(s: SealedKey): Promise<Uint8Array> {
  return new Uint8Array(
    await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv: exact(s.iv) }, s.vault, exact(s.sealed)),
  );
}

/** Generate a key pair for a request signed with `hash`. RSA: `keySize` bits, e = 65537. */
export async function generateBrowserKey(alg: KeyAlg, keySize: number, hash: RequestHash): Promise<BrowserKey> {
  const subtle = globalThis.crypto.subtle;
  const t0 = performance.now();
  const params: RsaHashedKeyGenParams | EcKeyGenParams =
    alg === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: keySize, publicExponent: new Uint8Array([1, 0, 1]), hash }
      : { name: 'ECDSA', namedCurve: alg };
  const pair = (await subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const generationMs = performance.now() - t0;
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const sealed = await sealPrivateKey(new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey)));
  const keyKind = alg === 'rsa' ? 'rsa' : 'ec';
  return { alg, keyKind, spki, sign: webCryptoSigner(pair.privateKey, keyKind, hash), sealed, generationMs };
}

/**
 * Import a PKCS#8 key (the enrollment agent's, read from their PKCS#12) as a
 * non-extractable signing key for `hash`.
 */
export async function importSigningKey(
  pkcs8: Uint8Array,
  type: 'rsa' | 'P-256' | 'P-384' | 'P-521',
  hash: RequestHash,
): Promise<{ keyKind: 'rsa' | 'ec'; sign: SignCallback }> {
  const subtle = globalThis.crypto.subtle;
  if (type === 'rsa') {
    const key = await subtle.importKey('pkcs8', exact(pkcs8), { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['sign']);
    return { keyKind: 'rsa', sign: webCryptoSigner(key, 'rsa', hash) };
  }
  const key = await subtle.importKey('pkcs8', exact(pkcs8), { name: 'ECDSA', namedCurve: type }, false, ['sign']);
  return { keyKind: 'ec', sign: webCryptoSigner(key, 'ec', hash) };
}
