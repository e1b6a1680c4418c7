/**
 * Key material helpers for cards: the SubjectPublicKeyInfo of a token public key, the
 * key identifier Tessera uses as CKA_ID, and the signature input for CKM_RSA_PKCS and
 * CKM_ECDSA (the hash is computed here, so cards that only offer the raw mechanisms —
 * most physical cards through OpenSC — sign the same way SoftHSM2 does).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { TesseraError } from '../errors/TesseraError.js';
import { bitString, oid, seq } from '../x509/der.js';
import { OID } from '../x509/oids.js';
import { CURVE_OIDS, keyIdentifier, type CurveName } from '../x509/publicKey.js';

export type CardKeySpec =
  | { readonly kind: 'rsa'; readonly bits: number }
  | { readonly kind: 'ec'; readonly curve: CurveName };

export type CardHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const CARD_HASHES: readonly CardHash[] = ['sha1', 'sha256', 'sha384', 'sha512'];

/** buildCsr's names for the same hashes. */
export const REQUEST_HASH = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;

export function parseHash(h: string): CardHash {
  const n = h.toLowerCase().replace('-', '') as CardHash;
  if (!CARD_HASHES.includes(n)) throw new TesseraError('INPUT_INVALID', `hash ${h}: one of ${CARD_HASHES.join(', ')}`);
  return n;
}

/** `--key-alg rsa --key-size 2048`, `--key-alg ec --curve P-256`. */
export function parseKeySpec(alg: string, size?: string | number, curve?: string): CardKeySpec {
  if (alg === 'rsa') {
    const bits = Number(size ?? 2048);
    if (!Number.isInteger(bits) || bits < 1024 || bits > 4096 || bits % 8 !== 0)
      throw new TesseraError(
        'INPUT_INVALID',
        `RSA key size ${size}: a multiple of 8 from 1024 to 4096 (the template sets the minimum)`,
      );
    return { kind: 'rsa', bits };
  }
  if (alg === 'ec' || alg === 'ecdsa') {
    const c = (curve ?? (size ? `P-${size}` : 'P-256')) as CurveName;
    if (!(c in CURVE_OIDS)) throw new TesseraError('INPUT_INVALID', `curve ${curve ?? size}: P-256, P-384 or P-521`);
    return { kind: 'ec', curve: c };
  }
  throw new TesseraError('INPUT_INVALID', `key algorithm ${alg}: rsa or ec`);
}

export const describeKeySpec = (k: CardKeySpec) => (k.kind === 'rsa' ? `RSA ${k.bits}` : `ECDSA ${k.curve}`);

/** DER of the named-curve OID, the value of CKA_EC_PARAMS. */
export const ecParams = (curve: CurveName): Buffer => oid(CURVE_OIDS[curve]);

/** SPKI of an RSA public key from CKA_MODULUS and CKA_PUBLIC_EXPONENT. */
export function rsaSpki(modulus: Buffer, exponent: Buffer): Buffer {
  const b64u = (b: Buffer) => b.toString('base64url');
  return createPublicKey({
    key: { kty: 'RSA', n: b64u(stripZeros(modulus)), e: b64u(stripZeros(exponent)) },
    format: 'jwk',
  }).export({ format: 'der', type: 'spki' });
}

/**
 * SPKI of an EC public key from CKA_EC_PARAMS and CKA_EC_POINT
 * (DER OCTET STRING per PKCS#11 v2.40, raw on some modules).
 */
export function ecSpki(params: Buffer, point: Buffer): Buffer {
  let q = point;
  if (q[0] === 0x04 && q.length > 2) {
    // An OCTET STRING wrapping the uncompressed point (04 || X || Y) — or a bare point.
    const len = q[1] < 0x80 ? q[1] : q[1] === 0x81 ? q[2] : -1;
    const head = q[1] < 0x80 ? 2 : 3;
    if (len === q.length - head && q[head] === 0x04) q = q.subarray(head);
  }
  return seq(seq(oid(OID.ecPublicKey), params), bitString(q));
}

function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/**
 * CKA_ID for a key pair: the key identifier the certificate will carry as its SKI
 * (RFC 5280 §4.2.1.2 method 1, which Tessera's CA uses), so key and certificate pair up
 * the way Windows and OpenSC expect.
 */
export const cardKeyId = (spki: Uint8Array): Buffer => keyIdentifier(spki);

const DIGEST_INFO: Record<CardHash, string> = {
  // RFC 8017 §9.2 note 1: DER of DigestInfo up to the hash value.
  sha1: '3021300906052b0e03021a05000414',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** What CKM_RSA_PKCS signs: DigestInfo(hash(data)). */
export function rsaPkcs1Input(hash: CardHash, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), createHash(hash).update(data).digest()]);
}

/** What CKM_ECDSA signs: the hash itself. */
export function ecdsaInput(hash: CardHash, data: Uint8Array): Buffer {
  return createHash(hash).update(data).digest();
}
