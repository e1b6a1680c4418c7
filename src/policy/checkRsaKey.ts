/**
 * An RSA request key against the template: modulus size between keyAlgorithms.rsaMinBits
 * and rsaMaxBits, and a public exponent the template's rsaPublicExponent rule accepts.
 *
 * The exponent: RFC 8017 §3.1 only asks for an odd e ≥ 3 (x509/publicKey.ts decodeSpki
 * refuses anything else), but CA/B Baseline Requirements §6.1.6 and NIST SP 800-89 §5.3.3
 * (FIPS 186-5 §A.1.1) bound it by 2^256 − 1, and every current key generator uses 65537.
 * An exponent as long as the modulus makes each verification cost as much as a signature
 * and marks a key no standard generator made, so by default only 65537 is accepted; a
 * template may accept other odd exponents ('odd'), never above 2^256 − 1.
 */
import type { Template } from '../template/Template.js';
import { rsaPublicExponent } from '../x509/publicKey.js';
import { PolicyDenial } from './PolicyDenial.js';

const F4 = 65537n;
/** CA/B BR §6.1.6, SP 800-89 §5.3.3: e < 2^256. */
const EXPONENT_MAX_BITS = 256;

export function checkRsaKey(spki: Uint8Array, bits: number, t: Template): void {
  const { rsaMinBits, rsaMaxBits, rsaPublicExponent: rule } = t.keyAlgorithms;
  if (rsaMinBits === null) throw new PolicyDenial('KEY_NOT_ALLOWED', `${t.name} does not accept RSA keys`);
  if (bits < rsaMinBits)
    throw new PolicyDenial('KEY_TOO_SMALL', `RSA ${bits} is below the minimum of ${rsaMinBits} bits for ${t.name}`);
  if (bits > rsaMaxBits)
    throw new PolicyDenial(
      'KEY_ALGORITHM_UNSUPPORTED',
      `RSA ${bits} is above the maximum of ${rsaMaxBits} bits for ${t.name} (keyAlgorithms.rsaMaxBits)`,
    );
  const e = rsaPublicExponent(spki);
  if (e === F4) return;
  const shown = describeExponent(e);
  if (e.toString(2).length > EXPONENT_MAX_BITS) {
    throw new PolicyDenial(
      'KEY_ALGORITHM_UNSUPPORTED',
      `the RSA public exponent is ${shown}; exponents above 2^256 − 1 are never ` +
        'accepted (CA/B Baseline Requirements §6.1.6, NIST SP 800-89 §5.3.3)',
    );
  }
  if (rule !== 'odd') {
    throw new PolicyDenial(
      'KEY_ALGORITHM_UNSUPPORTED',
      `the RSA public exponent is ${shown}; ${t.name} accepts only 65537 (keyAlgorithms.rsaPublicExponent "65537")`,
    );
  }
  // decodeSpki has already refused even exponents and e < 3 (RFC 8017 §3.1).
}

/** The exponent itself when short, its length when not: a 3,070-bit number helps nobody in a log. */
function describeExponent(e: bigint): string {
  const bits = e.toString(2).length;
  return bits <= 64 ? e.toString() : `a ${bits}-bit number`;
}
