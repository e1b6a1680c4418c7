/**
 * CRL distribution points as RFC 5280 §6.3.3 matches them (§4.2.1.13, §5.2.5):
 *
 *   DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL,
 *       reasons [1] ReasonFlags OPTIONAL, cRLIssuer [2] GeneralNames OPTIONAL }
 *   DistributionPointName ::= CHOICE { fullName [0] GeneralNames,
 *       nameRelativeToCRLIssuer [1] RelativeDistinguishedName }
 *   ReasonFlags ::= BIT STRING { unused (0), keyCompromise (1), cACompromise (2),
 *       affiliationChanged (3), superseded (4), cessationOfOperation (5), certificateHold (6),
 *       privilegeWithdrawn (7), aACompromise (8) }
 *
 * Names become comparison keys: `dn:` and the RFC 5280 §7.1 key of a directoryName (a
 * nameRelativeToCRLIssuer is appended to the CRL issuer's name first), `uri:` and the URI,
 * and the DER of any other form.
 */
import { TesseraError } from '../errors/TesseraError.js';
import { nameKey, rdnKeys } from './compareNames.js';
import { children, read, readTlv, tlv, TAG, type Tlv } from './der.js';

export type DistributionPointNameKeys = readonly string[];

/** Every reason of ReasonFlags (bits 1–8). */
export const ALL_REASONS = 0x1fe;

export interface DistributionPoint {
  /** Absent when the point names only a cRLIssuer. */
  readonly names?: DistributionPointNameKeys;
  /** ReasonFlags mask; ALL_REASONS when absent. */
  readonly reasons: number;
  /** The directoryName keys of cRLIssuer (an indirect CRL's issuer), when present. */
  readonly crlIssuers?: readonly string[];
}

function bad(detail: string): never {
  throw new TesseraError('REQUEST_MALFORMED', detail);
}

function generalNameKey(der: Uint8Array, g: Tlv): string {
  if (g.tag === 0xa4) {
    const [name] = children(der, g);
    if (!name || name.tag !== TAG.SEQUENCE) bad('directoryName is not a Name');
    return `dn:${nameKey(read.whole(der, name))}`;
  }
  if (g.tag === 0x86) return `uri:${read.bytes(der, g).toString('latin1')}`;
  return `raw:${read.whole(der, g).toString('hex')}`;
}

/** The keys of a [0] DistributionPointName wrapper; `base` is the Name a relative name extends. */
export function distributionPointNameKeys(der: Uint8Array, wrapper: Tlv, base: Uint8Array): DistributionPointNameKeys {
  const [choice] = children(der, wrapper);
  if (!choice) bad('empty DistributionPointName');
  if (choice.tag === 0xa0) return children(der, choice).map((g) => generalNameKey(der, g));
  if (choice.tag === 0xa1) {
    const rdn = tlv(TAG.SET, read.bytes(der, choice));
    const [key] = rdnKeys(tlv(TAG.SEQUENCE, rdn));
    return [`dn:${nameKey(base)}/${key}`];
  }
  return bad('DistributionPointName is neither fullName nor nameRelativeToCRLIssuer');
}

/** A [n] IMPLICIT ReasonFlags as a mask of bits 0–8. */
export function reasonFlags(der: Uint8Array, t: Tlv): number {
  const b = read.bytes(der, t);
  if (b.length === 0) bad('empty ReasonFlags');
  let mask = 0;
  for (let bit = 0; bit < 9; bit++) {
    const byte = b[1 + (bit >> 3)];
    if (byte !== undefined && byte & (0x80 >> (bit & 7))) mask |= 1 << bit;
  }
  return mask;
}

/** The cRLDistributionPoints extension value of a certificate issued by `issuer` (Name DER). */
export function decodeDistributionPoints(v: Uint8Array, issuer: Uint8Array): DistributionPoint[] {
  const top = readTlv(v, 0, v.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== v.length) bad('CRLDistributionPoints is not a SEQUENCE');
  return children(v, top).map((dp) => {
    const parts = dp.tag === TAG.SEQUENCE ? children(v, dp) : bad('DistributionPoint is not a SEQUENCE');
    const nameT = parts.find((p) => p.tag === 0xa0);
    const reasonsT = parts.find((p) => p.tag === 0x81);
    const issuerT = parts.find((p) => p.tag === 0xa2);
    // §4.2.1.13: "either distributionPoint or cRLIssuer MUST be present".
    if (!nameT && !issuerT) bad('DistributionPoint with neither distributionPoint nor cRLIssuer');
    const crlIssuers = issuerT
      ? children(v, issuerT)
          .map((g) => generalNameKey(v, g))
          .filter((k) => k.startsWith('dn:'))
          .map((k) => k.slice(3))
      : undefined;
    // A relative name extends the cRLIssuer when there is one, the certificate issuer otherwise.
    let base: Uint8Array = issuer;
    if (issuerT) {
      const dn = children(v, issuerT).find((g) => g.tag === 0xa4);
      if (dn) base = read.whole(v, children(v, dn)[0]);
    }
    return {
      ...(nameT ? { names: distributionPointNameKeys(v, nameT, base) } : {}),
      reasons: reasonsT ? reasonFlags(v, reasonsT) : ALL_REASONS,
      ...(crlIssuers ? { crlIssuers } : {}),
    };
  });
}
