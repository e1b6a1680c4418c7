/**
 * SubjectPublicKeyInfo and signature AlgorithmIdentifier decoding, with the rules
 * Tessera enforces on every key it certifies and every signature it checks.
 */
import { createHash, createPublicKey, verify as cryptoVerify, constants, type KeyObject } from 'node:crypto';
import { TesseraError } from '../errors/TesseraError.js';
import { children, read, readTlv, TAG, seq, oid, nul, explicit, integer } from './der.js';
import { OID } from './oids.js';
import { verifyInWorker } from './verifyPool.js';

export type CurveName = 'P-256' | 'P-384' | 'P-521';

export type PublicKeyInfo =
  | { readonly kind: 'rsa'; readonly bits: number }
  | { readonly kind: 'ec'; readonly curve: CurveName };

const CURVES: Record<string, CurveName> = {
  [OID.secp256r1]: 'P-256',
  [OID.secp384r1]: 'P-384',
  [OID.secp521r1]: 'P-521',
};
export const CURVE_OIDS: Record<CurveName, string> = {
  'P-256': OID.secp256r1,
  'P-384': OID.secp384r1,
  'P-521': OID.secp521r1,
};

export function describeKey(k: PublicKeyInfo): string {
  return k.kind === 'rsa' ? `RSA ${k.bits}` : `ECDSA ${k.curve}`;
}

/**
 * Decode an SPKI (RFC 5280 §4.1.2.7). Only rsaEncryption (RFC 3279 §2.3.1, NULL
 * parameters) and id-ecPublicKey with a named curve (RFC 5480 §2.1.1: "implicitCurve
 * and specifiedCurve MUST NOT be used") are accepted.
 */
export function decodeSpki(spki: Uint8Array): PublicKeyInfo {
  const top = readTlv(spki, 0, spki.length);
  const [algId, bits] = children(spki, top);
  if (!algId || !bits || algId.tag !== TAG.SEQUENCE || bits.tag !== TAG.BIT_STRING) {
    throw new TesseraError(
      'REQUEST_MALFORMED',
      'SubjectPublicKeyInfo is not SEQUENCE { AlgorithmIdentifier, BIT STRING }',
    );
  }
  const [algOid, params] = children(spki, algId);
  const alg = read.oid(spki, algOid);
  if (alg === OID.rsaEncryption) {
    if (params && params.tag !== TAG.NULL)
      throw new TesseraError('KEY_ALGORITHM_UNSUPPORTED', 'rsaEncryption with non-NULL parameters');
    const key = read.bytes(spki, bits).subarray(1);
    const rsaTop = readTlv(key, 0, key.length);
    const [modulus, exponent] = children(key, rsaTop);
    if (!modulus || !exponent) throw new TesseraError('REQUEST_MALFORMED', 'RSAPublicKey is incomplete');
    const n = read.unsigned(key, modulus);
    const e = read.unsigned(key, exponent);
    // RFC 8017 §3.1: e is odd and at least 3.
    if (e.length === 0 || (e[e.length - 1] & 1) === 0 || (e.length === 1 && e[0] < 3)) {
      throw new TesseraError('KEY_ALGORITHM_UNSUPPORTED', 'RSA public exponent is not an odd number of at least 3');
    }
    const bitLen = n.length * 8 - Math.clz32(n[0]) + 24;
    return { kind: 'rsa', bits: bitLen };
  }
  if (alg === OID.ecPublicKey) {
    if (!params) throw new TesseraError('KEY_ALGORITHM_UNSUPPORTED', 'id-ecPublicKey without curve parameters');
    if (params.tag === TAG.SEQUENCE) throw new TesseraError('KEY_EC_EXPLICIT_PARAMETERS');
    if (params.tag !== TAG.OID) throw new TesseraError('KEY_ALGORITHM_UNSUPPORTED', 'implicitly-defined EC curve');
    const curveOid = read.oid(spki, params);
    const curve = CURVES[curveOid];
    if (!curve) throw new TesseraError('KEY_ALGORITHM_UNSUPPORTED', `EC curve ${curveOid}`);
    return { kind: 'ec', curve };
  }
  throw new TesseraError('KEY_ALGORITHM_UNSUPPORTED', `public key algorithm ${alg}`);
}

/**
 * The public exponent of an rsaEncryption SPKI that decodeSpki accepted (RFC 8017 §A.1.1
 * RSAPublicKey { modulus, publicExponent }), for the template's exponent rule
 * (policy/checkRsaKey.ts).
 */
export function rsaPublicExponent(spki: Uint8Array): bigint {
  const key = subjectPublicKeyBits(spki);
  const [, exponent] = children(key, readTlv(key, 0, key.length));
  if (!exponent) throw new TesseraError('REQUEST_MALFORMED', 'RSAPublicKey is incomplete');
  const e = read.unsigned(key, exponent);
  return e.length === 0 ? 0n : BigInt(`0x${Buffer.from(e).toString('hex')}`);
}

/** The subjectPublicKey BIT STRING contents (without the unused-bits octet). */
export function subjectPublicKeyBits(spki: Uint8Array): Buffer {
  const top = readTlv(spki, 0, spki.length);
  const [, bits] = children(spki, top);
  return read.bytes(spki, bits).subarray(1);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spki: Uint8Array): Buffer {
  return createHash('sha1').update(subjectPublicKeyBits(spki)).digest();
}

export function publicKeyObject(spki: Uint8Array): KeyObject {
  try {
    // RSA: load the PKCS#1 RSAPublicKey the SPKI carries, the same key: OpenSSL 3.0's
    // SPKI decoder takes ~100 µs per key here, the PKCS#1 one ~7 µs (bench/README.md).
    const rsa = rsaPublicKey(spki);
    if (rsa) return createPublicKey({ key: rsa, format: 'der', type: 'pkcs1' });
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (e) {
    throw new TesseraError('KEY_ALGORITHM_UNSUPPORTED', `the public key cannot be loaded: ${(e as Error).message}`);
  }
}

/** The RSAPublicKey inside an rsaEncryption SPKI when it fills the BIT STRING exactly, else undefined. */
function rsaPublicKey(spki: Uint8Array): Buffer | undefined {
  try {
    const top = readTlv(spki, 0, spki.length);
    const [algId, bits] = children(spki, top);
    if (!algId || !bits || algId.tag !== TAG.SEQUENCE || bits.tag !== TAG.BIT_STRING) return undefined;
    const [algOid] = children(spki, algId);
    if (!algOid || read.oid(spki, algOid) !== OID.rsaEncryption) return undefined;
    const content = read.bytes(spki, bits);
    if (content[0] !== 0) return undefined;
    const key = content.subarray(1);
    const t = readTlv(key, 0, key.length);
    return t.tag === TAG.SEQUENCE && t.end === key.length ? Buffer.from(key) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Signature algorithms
// ---------------------------------------------------------------------------------------

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface SignatureAlgorithm {
  readonly kind: 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa';
  readonly hash: HashName;
  /** RSASSA-PSS salt length (RFC 4055 §3.1). */
  readonly saltLength?: number;
  readonly oid: string;
}

const SIG_ALGS: Record<string, { kind: 'rsa-pkcs1' | 'ecdsa'; hash: HashName }> = {
  [OID.sha1WithRSAEncryption]: { kind: 'rsa-pkcs1', hash: 'sha1' },
  [OID.sha256WithRSAEncryption]: { kind: 'rsa-pkcs1', hash: 'sha256' },
  [OID.sha384WithRSAEncryption]: { kind: 'rsa-pkcs1', hash: 'sha384' },
  [OID.sha512WithRSAEncryption]: { kind: 'rsa-pkcs1', hash: 'sha512' },
  [OID.ecdsaWithSHA1]: { kind: 'ecdsa', hash: 'sha1' },
  [OID.ecdsaWithSHA256]: { kind: 'ecdsa', hash: 'sha256' },
  [OID.ecdsaWithSHA384]: { kind: 'ecdsa', hash: 'sha384' },
  [OID.ecdsaWithSHA512]: { kind: 'ecdsa', hash: 'sha512' },
};
const HASH_OIDS: Record<string, HashName> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};
export const HASH_OID: Record<HashName, string> = {
  sha1: OID.sha1,
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};

/** Decode a signature AlgorithmIdentifier (RFC 5280 §4.1.1.2) given as a full TLV. */
export function decodeSignatureAlgorithm(der: Uint8Array): SignatureAlgorithm {
  const top = readTlv(der, 0, der.length);
  const [algOid, params] = children(der, top);
  const o = read.oid(der, algOid);
  const known = SIG_ALGS[o];
  if (known) {
    // RFC 4055 §5 / RFC 5758 §3.2: RSA PKCS#1 v1.5 has NULL (tolerated absent), ECDSA has none.
    if (known.kind === 'ecdsa' && params)
      throw new TesseraError('SIGNATURE_ALGORITHM_UNSUPPORTED', 'ECDSA algorithm with parameters');
    if (known.kind === 'rsa-pkcs1' && params && params.tag !== TAG.NULL)
      throw new TesseraError('SIGNATURE_ALGORITHM_UNSUPPORTED', 'RSA algorithm with non-NULL parameters');
    return { ...known, oid: o };
  }
  if (o === OID.rsassaPss) {
    // RFC 4055 §3.1 RSASSA-PSS-params; hash and MGF1 hash must agree, trailerField 1.
    let hash: HashName = 'sha1';
    let saltLength = 20;
    if (params) {
      for (const f of children(der, params)) {
        const inner = children(der, f)[0];
        if (f.tag === 0xa0) {
          const h = read.oid(der, children(der, inner)[0]);
          if (!HASH_OIDS[h]) throw new TesseraError('SIGNATURE_ALGORITHM_UNSUPPORTED', `PSS hash ${h}`);
          hash = HASH_OIDS[h];
        } else if (f.tag === 0xa2) saltLength = read.smallInt(der, inner);
        else if (f.tag === 0xa3 && read.smallInt(der, inner) !== 1)
          throw new TesseraError('SIGNATURE_ALGORITHM_UNSUPPORTED', 'PSS trailer field');
      }
    }
    return { kind: 'rsa-pss', hash, saltLength, oid: o };
  }
  throw new TesseraError('SIGNATURE_ALGORITHM_UNSUPPORTED', `signature algorithm ${o}`);
}

/** AlgorithmIdentifier DER for the algorithms Tessera signs with (SHA-256 or stronger). */
export function signatureAlgorithmDer(kind: 'rsa-pkcs1' | 'ecdsa', hash: Exclude<HashName, 'sha1'>): Buffer {
  if (kind === 'rsa-pkcs1') {
    const o = {
      sha256: OID.sha256WithRSAEncryption,
      sha384: OID.sha384WithRSAEncryption,
      sha512: OID.sha512WithRSAEncryption,
    }[hash];
    return seq(oid(o), nul());
  }
  const o = { sha256: OID.ecdsaWithSHA256, sha384: OID.ecdsaWithSHA384, sha512: OID.ecdsaWithSHA512 }[hash];
  return seq(oid(o));
}

/** RSASSA-PSS AlgorithmIdentifier (RFC 4055 §3.1) for a hash, salt = hash length. */
export function pssAlgorithmDer(hash: Exclude<HashName, 'sha1'>): Buffer {
  const h = seq(oid(HASH_OID[hash]), nul());
  const salt = { sha256: 32, sha384: 48, sha512: 64 }[hash];
  return seq(
    oid(OID.rsassaPss),
    seq(explicit(0, h), explicit(1, seq(oid('1.2.840.113549.1.1.8'), h)), explicit(2, integer(salt))),
  );
}

/** Verify `signature` over `data` with the SPKI, under the decoded algorithm. */
export function verifySignature(
  alg: SignatureAlgorithm,
  key: KeyObject,
  keyInfo: PublicKeyInfo,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const keyIsRsa = keyInfo.kind === 'rsa';
  if ((alg.kind === 'ecdsa') === keyIsRsa) return false;
  try {
    if (alg.kind === 'rsa-pss') {
      return cryptoVerify(
        alg.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength },
        signature,
      );
    }
    return cryptoVerify(alg.hash, data, key, signature);
  } catch {
    return false;
  }
}

/**
 * verifySignature without the event loop's time for an EC key: loading and checking run
 * in the verification worker (verifyPool.ts). Same answers and errors as
 * `verifySignature(alg, publicKeyObject(spki), keyInfo, data, signature)`.
 */
export async function verifySignatureAsync(
  alg: SignatureAlgorithm,
  spki: Uint8Array,
  keyInfo: PublicKeyInfo,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (keyInfo.kind === 'ec' && alg.kind === 'ecdsa') {
    // Fresh, exact-size copies: a view into a larger buffer would be cloned whole.
    const r = await verifyInWorker({
      spki: new Uint8Array(spki),
      hash: alg.hash,
      data: new Uint8Array(data),
      signature: new Uint8Array(signature),
    });
    if (r?.kind === 'key')
      throw new TesseraError('KEY_ALGORITHM_UNSUPPORTED', `the public key cannot be loaded: ${r.message}`);
    if (r) return r.kind === 'ok';
  }
  return verifySignature(alg, publicKeyObject(spki), keyInfo, data, signature);
}
