/**
 * The signature allow-list of the relying party (research/security.md §2 item 3): RSA of
 * at least 2048 bits with PKCS#1 v1.5 or PSS over SHA-256 or stronger, ECDSA on a named
 * curve (P-256, P-384, P-521; x509/publicKey.ts refuses explicit parameters, RFC 5480
 * §2.1.1) over SHA-256 or stronger. SHA-1 is refused for certificates, CRLs and OCSP
 * responses alike (SHAttered; NIST SP 800-131A).
 */
import { TesseraError } from '../errors/TesseraError.js';
import { decodeSignatureAlgorithm, decodeSpki, verifySignatureAsync, type PublicKeyInfo, type SignatureAlgorithm } from '../x509/publicKey.js';

export const MIN_RSA_BITS = 2048;

/** Why a key is not accepted, or undefined when it is. */
export function keyProblem(key: PublicKeyInfo): string | undefined {
  if (key.kind === 'rsa' && key.bits < MIN_RSA_BITS) return `RSA key of ${key.bits} bits (at least ${MIN_RSA_BITS})`;
  return undefined;
}

/** Why a signature algorithm is not accepted, or undefined when it is. */
export function algorithmProblem(alg: SignatureAlgorithm): string | undefined {
  if (alg.hash === 'sha1') return `${alg.kind} with SHA-1`;
  return undefined;
}

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly algorithm: boolean };

/**
 * Verify `signature` over `data` (a TBS) under the AlgorithmIdentifier `algorithmDer`
 * with the signer's SPKI. `algorithm: true` in a failure means the algorithm or key was
 * refused before any verification.
 */
export async function verifyWith(algorithmDer: Uint8Array, data: Uint8Array, signature: Uint8Array, signerSpki: Uint8Array): Promise<SignatureCheck> {
  let alg: SignatureAlgorithm;
  let key: PublicKeyInfo;
  try {
    alg = decodeSignatureAlgorithm(algorithmDer);
    key = decodeSpki(signerSpki);
  } catch (e) {
    return { ok: false, reason: e instanceof TesseraError ? (e.detail ?? e.code) : (e as Error).message, algorithm: true };
  }
  const problem = algorithmProblem(alg) ?? keyProblem(key);
  if (problem) return { ok: false, reason: problem, algorithm: true };
  // A PSS signature only with an RSA key, ECDSA only with an EC key (Wycheproof "WrongPrimitive").
  if ((alg.kind === 'ecdsa') !== (key.kind === 'ec')) return { ok: false, reason: `${alg.kind} signature with an ${key.kind} key`, algorithm: true };
  try {
    return (await verifySignatureAsync(alg, signerSpki, key, data, signature)) ? { ok: true } : { ok: false, reason: 'the signature does not verify', algorithm: false };
  } catch (e) {
    return { ok: false, reason: e instanceof TesseraError ? (e.detail ?? e.code) : (e as Error).message, algorithm: true };
  }
}
