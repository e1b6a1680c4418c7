import { OID } from '../x509/oids.js';
import { signatureAlgorithmDer, type HashName, type PublicKeyInfo } from '../x509/publicKey.js';
import type { CaKeyAlgorithm } from './Signer.js';

/**
 * The signature algorithm a CA key signs with: SHA-256 for RSA and P-256, SHA-384 for
 * P-384 (RFC 5480 §4 pairs the hash strength with the curve). Never SHA-1.
 */
export function signingHash(key: PublicKeyInfo): Exclude<HashName, 'sha1'> {
  return key.kind === 'ec' && key.curve !== 'P-256' ? 'sha384' : 'sha256';
}

export function signingAlgorithmDer(key: PublicKeyInfo): Buffer {
  return signatureAlgorithmDer(key.kind === 'rsa' ? 'rsa-pkcs1' : 'ecdsa', signingHash(key));
}

export function keyInfoOf(alg: CaKeyAlgorithm): PublicKeyInfo {
  return alg.startsWith('RSA-')
    ? { kind: 'rsa', bits: Number(alg.slice(4)) }
    : { kind: 'ec', curve: alg as 'P-256' | 'P-384' };
}

export const SIGNATURE_OID_NAMES: Record<string, string> = {
  [OID.sha256WithRSAEncryption]: 'sha256WithRSAEncryption',
  [OID.sha384WithRSAEncryption]: 'sha384WithRSAEncryption',
  [OID.ecdsaWithSHA256]: 'ecdsa-with-SHA256',
  [OID.ecdsaWithSHA384]: 'ecdsa-with-SHA384',
};
