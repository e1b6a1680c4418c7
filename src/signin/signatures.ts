/**
 * The signature allow-list of the relying party (docs/security.md §8.5): RSA of
 * at least 2048 bits with PKCS#1 v1.5 or PSS over SHA-256 or stronger, ECDSA on a named
 * curve (P-256, P-384, P-521; x509/publicKey.ts refuses explicit parameters, RFC 5480
 * §2.1.1) over SHA-256 or stronger. SHA-1 is refused for certificates, CRLs and OCSP
 * responses alike (SHAttered; NIST SP 800-131A).
 */
import { TesseraError } from '../errors/TesseraError.js';
import {
  decodeSignatureAlgorithm,
  decodeSpki,
  verifySignatureAsync,
  type CurveName,
  type HashName,
  type PublicKeyInfo,
  type SignatureAlgorithm,
} from '../x509/publicKey.js';

export const MIN_RSA_BITS = 2048;

/** The algorithms a relying party accepts (validatePath's `algorithms` option). */
export interface AlgorithmPolicy {
  /** Smallest RSA modulus (default 2048). */
  readonly minRsaBits: number;
  /** Hashes accepted in signatures (default SHA-256, SHA-384, SHA-512). */
  readonly hashes: readonly HashName[];
  /** EC curves accepted (default P-256, P-384, P-521). */
  readonly curves: readonly CurveName[];
  /** Signature schemes accepted (default all three). */
  readonly schemes: readonly SignatureAlgorithm['kind'][];
}

export const DEFAULT_ALGORITHMS: AlgorithmPolicy = {
  minRsaBits: MIN_RSA_BITS,
  hashes: ['sha256', 'sha384', 'sha512'],
  curves: ['P-256', 'P-384', 'P-521'],
  schemes: ['rsa-pkcs1', 'rsa-pss', 'ecdsa'],
};

/** Why a key is not accepted, or undefined when it is. */
export function keyProblem(key: PublicKeyInfo, policy: AlgorithmPolicy = DEFAULT_ALGORITHMS): string | undefined {
  if (key.kind === 'rsa' && key.bits < policy.minRsaBits)
    return `RSA key of ${key.bits} bits (at least ${policy.minRsaBits})`;
  // A modulus that is not a whole number of octets is not what any conforming key generator
  // makes (FIPS 186-5 §A.1.1 moduli are 2048, 3072 or 4096 bits; CA/B BR §6.1.5 "divisible by 8").
  if (key.kind === 'rsa' && key.bits % 8 !== 0) return `RSA modulus of ${key.bits} bits is not a multiple of 8`;
  if (key.kind === 'ec' && !policy.curves.includes(key.curve)) return `EC key on ${key.curve}, which is not accepted`;
  return undefined;
}

/** Why a signature algorithm is not accepted, or undefined when it is. */
export function algorithmProblem(
  alg: SignatureAlgorithm,
  policy: AlgorithmPolicy = DEFAULT_ALGORITHMS,
): string | undefined {
  if (alg.hash === 'sha1' && !policy.hashes.includes('sha1')) return `${alg.kind} with SHA-1`;
  if (!policy.hashes.includes(alg.hash)) return `${alg.kind} with ${alg.hash}, which is not accepted`;
  if (!policy.schemes.includes(alg.kind)) return `${alg.kind} signatures are not accepted`;
  return undefined;
}

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly algorithm: boolean };

/**
 * Verify `signature` over `data` (a TBS) under the AlgorithmIdentifier `algorithmDer`
 * with the signer's SPKI. `algorithm: true` in a failure means the algorithm or key was
 * refused before any verification.
 */
export async function verifyWith(
  algorithmDer: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
  signerSpki: Uint8Array,
  policy: AlgorithmPolicy = DEFAULT_ALGORITHMS,
): Promise<SignatureCheck> {
  let alg: SignatureAlgorithm;
  let key: PublicKeyInfo;
  try {
    alg = decodeSignatureAlgorithm(algorithmDer);
    key = decodeSpki(signerSpki);
  } catch (e) {
    return {
      ok: false,
      reason: e instanceof TesseraError ? (e.detail ?? e.code) : (e as Error).message,
      algorithm: true,
    };
  }
  const problem = algorithmProblem(alg, policy) ?? keyProblem(key, policy);
  if (problem) return { ok: false, reason: problem, algorithm: true };
  // A PSS signature only with an RSA key, ECDSA only with an EC key (Wycheproof "WrongPrimitive").
  if ((alg.kind === 'ecdsa') !== (key.kind === 'ec'))
    return { ok: false, reason: `${alg.kind} signature with an ${key.kind} key`, algorithm: true };
  try {
    return (await verifySignatureAsync(alg, signerSpki, key, data, signature))
      ? { ok: true }
      : { ok: false, reason: 'the signature does not verify', algorithm: false };
  } catch (e) {
    return {
      ok: false,
      reason: e instanceof TesseraError ? (e.detail ?? e.code) : (e as Error).message,
      algorithm: true,
    };
  }
}
