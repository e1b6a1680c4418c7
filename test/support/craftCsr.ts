/**
 * Hand-built PKCS#10 requests for tests that need what `openssl req` will not make
 * (duplicate or empty extensions, odd algorithms, requested SIDs): the request is
 * assembled with x509/der.ts and signed with node:crypto, so it is well formed unless
 * a test says otherwise.
 */
import { createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { bitString, bool, integer, nul, octets, oid, seq, setOf, tlv } from '../../src/x509/der.js';
import { EMPTY_NAME } from '../../src/x509/name.js';
import { OID } from '../../src/x509/oids.js';

export interface CraftOptions {
  /** Signing key; a fresh P-256 key when absent. */
  readonly key?: KeyObject;
  /** SubjectPublicKeyInfo DER; the public half of `key` when absent. */
  readonly spki?: Buffer;
  readonly subject?: Buffer;
  /** Whole Attribute TLVs. */
  readonly attributes?: Buffer[];
  /** Whole Extension TLVs for one extensionRequest attribute. */
  readonly extensions?: Buffer[];
  /** The signature AlgorithmIdentifier; SHA-256 with the key's algorithm when absent. */
  readonly sigAlg?: Buffer;
  readonly hash?: string;
}

export function craftCsr(o: CraftOptions = {}): Buffer {
  const generated = o.key ? undefined : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const priv = o.key ?? generated!.privateKey;
  const spki = o.spki ?? (generated ? generated.publicKey.export({ format: 'der', type: 'spki' }) : publicSpki(priv));
  const attrs = [...(o.attributes ?? [])];
  if (o.extensions) attrs.push(seq(oid(OID.extensionRequest), setOf(seq(...o.extensions))));
  const info = seq(integer(0), o.subject ?? EMPTY_NAME, spki, tlv(0xa0, ...attrs));
  const isRsa = priv.asymmetricKeyType === 'rsa';
  const alg = o.sigAlg ?? (isRsa ? seq(oid(OID.sha256WithRSAEncryption), nul()) : seq(oid(OID.ecdsaWithSHA256)));
  return seq(info, alg, bitString(cryptoSign(o.hash ?? 'sha256', info, priv)));
}

/** The SPKI of a private key's public half. */
function publicSpki(priv: KeyObject): Buffer {
  return createPublicKey(priv).export({ format: 'der', type: 'spki' });
}

/** An Extension TLV (critical FALSE omitted, as DER requires). */
export const ext = (id: string, value: Buffer, critical = false): Buffer =>
  critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));

/** An Attribute TLV with one value. */
export const attr = (id: string, value: Buffer): Buffer => seq(oid(id), setOf(value));

export function keyPair(kind: 'rsa1024' | 'rsa2048' | 'p256' | 'p384'): { privateKey: KeyObject; spki: Buffer } {
  const kp =
    kind === 'rsa1024' || kind === 'rsa2048'
      ? generateKeyPairSync('rsa', { modulusLength: kind === 'rsa1024' ? 1024 : 2048 })
      : generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : 'P-384' });
  return { privateKey: kp.privateKey, spki: kp.publicKey.export({ format: 'der', type: 'spki' }) };
}
