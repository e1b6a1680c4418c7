/**
 * RSA keys with public exponents key generators will not make (openssl genpkey takes
 * only small exponents): the primes of a fresh key, a random odd exponent of exactly the
 * asked length coprime to φ(n), and d = e⁻¹ mod φ(n) — a real key pair that signs and
 * verifies, for tests of the exponent rules (policy/checkRsaKey.ts).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

const b64 = (n: bigint): string => {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
};
const big = (s: string): bigint => BigInt(`0x${Buffer.from(s, 'base64url').toString('hex')}`);

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

/** A random odd number of exactly `bits` bits. */
function randomOdd(bits: number): bigint {
  const bytes = randomBytes(Math.ceil(bits / 8));
  const n = BigInt(`0x${bytes.toString('hex')}`) & ((1n << BigInt(bits)) - 1n);
  return n | (1n << BigInt(bits - 1)) | 1n;
}

export function rsaKeyWithExponent(
  modulusBits: number,
  exponentBits: number,
): { privateKey: KeyObject; spki: Buffer; exponent: bigint } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: modulusBits });
  const jwk = privateKey.export({ format: 'jwk' });
  const p = big(jwk.p!);
  const q = big(jwk.q!);
  const phi = (p - 1n) * (q - 1n);
  let e = randomOdd(exponentBits);
  while (gcd(e, phi) !== 1n) e = randomOdd(exponentBits);
  const d = inverse(e, phi);
  const key = createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'RSA',
      n: jwk.n!,
      e: b64(e),
      d: b64(d),
      p: jwk.p!,
      q: jwk.q!,
      dp: b64(d % (p - 1n)),
      dq: b64(d % (q - 1n)),
      qi: b64(inverse(q, p)),
    },
  });
  return { privateKey: key, spki: createPublicKey(key).export({ format: 'der', type: 'spki' }), exponent: e };
}
