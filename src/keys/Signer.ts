/**
 * The one crypto seam (docs/development.md "Rules the code keeps" 1: keys/): everything
 * that signs with a CA key
 * does it through a Signer. Implementations: FileSigner (encrypted PKCS#8 files) and,
 * for HSMs and SoftHSM2, Pkcs11Signer. The service keys (TLS server, OCSP responder) are
 * generated, stored and loaded by serviceKeys.ts. Nothing outside keys/ holds a private
 * key of the CA's; requester-side code (card agent, browser, enroll-on-behalf) holds the
 * requester's own.
 */
import type { PublicKeyInfo } from '../x509/publicKey.js';

export type CaKeyAlgorithm = 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'P-256' | 'P-384';

export const CA_KEY_ALGORITHMS: readonly CaKeyAlgorithm[] = ['RSA-2048', 'RSA-3072', 'RSA-4096', 'P-256', 'P-384'];

export interface Signer {
  /** What kind of key signs. */
  readonly key: PublicKeyInfo;
  /** The SubjectPublicKeyInfo DER of the signing key. */
  readonly publicKey: Buffer;
  /** The AlgorithmIdentifier DER this signer's signatures carry (SHA-256 or stronger). */
  readonly algorithm: Buffer;
  /** Sign `data` (the hash is computed by the signer). */
  sign(data: Uint8Array): Promise<Buffer>;
  close(): Promise<void>;
}
