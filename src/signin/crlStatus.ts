/**
 * The CRL processing of RFC 5280 §6.3.3 over a set of CRLs already at hand (read from
 * files or a directory by an offline relying party, or fetched): distribution points and
 * their reasons, issuing distribution points (scope, onlyContainsUserCerts/CACerts/
 * AttributeCerts, onlySomeReasons), indirect CRLs (cRLIssuer, certificateIssuer entries),
 * complete and delta CRLs (§5.2.4), and the CRL issuer's own certification path — to the
 * same trust anchor, with cRLSign, itself not revoked (§6.3.3 (f)) — so a CRL signed by a
 * separate CRL-signing key of the CA, or by another CA for an indirect CRL, is used.
 *
 * reasons_mask grows with each CRL that covers new reasons; the status is known only when
 * it holds every reason (§6.3.3 (k)). A revoked entry ends the search at once.
 */
import { REMOVE_FROM_CRL, type ParsedCrl } from '../x509/crl.js';
import { ALL_REASONS, type DistributionPoint } from '../x509/distributionPoints.js';
import type { ParsedCertificate } from '../x509/certificate.js';
import { DEFAULT_ALGORITHMS, verifyWith, type AlgorithmPolicy } from './signatures.js';
import { sameCa, validatePath } from './validatePath.js';
import { OID } from '../x509/oids.js';

export interface CrlStatusContext {
  readonly time: Date;
  /** How far thisUpdate may be ahead of `time`. */
  readonly skewMs: number;
  /** Complete and delta CRLs. */
  readonly crls: readonly ParsedCrl[];
  /** The trust anchor of the path being checked (the CRL issuer's path must end there too). */
  readonly anchor: ParsedCertificate;
  /** Certificates that may certify a CRL issuer (the path, presented and configured CAs). */
  readonly bag: readonly ParsedCertificate[];
  readonly algorithms?: AlgorithmPolicy;
  /** Use delta CRLs (default true). */
  readonly useDeltas?: boolean;
}

export type CrlStatus =
  | { readonly status: 'good'; readonly note: string; readonly delta: boolean }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason?: number; readonly note: string }
  | { readonly status: 'unknown'; readonly note: string };

/** Certificates whose status is being determined further up the stack (no loops through CRL issuers). */
const MAX_NESTING = 3;

function fresh(crl: ParsedCrl, ctx: CrlStatusContext): string | undefined {
  const now = ctx.time.getTime();
  if (crl.thisUpdate.getTime() > now + ctx.skewMs) return 'thisUpdate is in the future';
  // A CRL without nextUpdate could be any age; §5.1.2.5 requires conforming CAs to include it.
  if (!crl.nextUpdate) return 'no nextUpdate';
  if (crl.nextUpdate.getTime() < now) return `stale: nextUpdate ${crl.nextUpdate.toISOString()} has passed`;
  return undefined;
}

/**
 * §6.3.3 (b): whether `crl` is in scope for `cert` through distribution point `dp` (undefined dp: the default point).
 */
function inScope(crl: ParsedCrl, cert: ParsedCertificate, dp: DistributionPoint | undefined): boolean {
  // (b)(1)
  if (dp?.crlIssuers) {
    if (!dp.crlIssuers.includes(crl.issuerKey) || !crl.idp?.indirect) return false;
  } else if (crl.issuerKey !== cert.issuerKey) return false;
  const idp = crl.idp;
  if (idp) {
    // (b)(2)(i)
    if (idp.names) {
      if (dp?.names) {
        if (!idp.names.some((n) => dp.names!.includes(n))) return false;
      } else if (dp?.crlIssuers) {
        if (!idp.names.some((n) => dp.crlIssuers!.some((k) => n === `dn:${k}`))) return false;
      } else return false;
    }
    // (b)(2)(ii)–(iv)
    const isCa = !!cert.basicConstraints?.ca;
    if ((idp.onlyUser && isCa) || (idp.onlyCa && !isCa) || idp.onlyAttribute) return false;
  }
  return true;
}

/** The status of `cert` (issued by `issuer`, on a path to `ctx.anchor`) from the CRLs of `ctx`. */
export async function crlStatus(
  cert: ParsedCertificate,
  issuer: ParsedCertificate,
  ctx: CrlStatusContext,
  nesting: readonly string[] = [],
): Promise<CrlStatus> {
  const algorithms = ctx.algorithms ?? DEFAULT_ALGORITHMS;
  const stack = [...nesting, cert.fingerprint];
  const notes: string[] = [];
  let reasonsMask = 0;
  let usedDelta = false;
  const points: (DistributionPoint | undefined)[] = cert.distributionPoints.length
    ? [...cert.distributionPoints]
    : [undefined];
  const announced = cert.extensions.has(OID.freshestCRL);

  /** §6.3.3 (f), (g): a key that signed `crl`, certified for CRL signing on a path to the same anchor. */
  const signerOf = async (crl: ParsedCrl): Promise<ParsedCertificate | undefined> => {
    const candidates = [issuer, ctx.anchor, ...ctx.bag].filter(
      (c, i, all) => c.subjectKey === crl.issuerKey && all.findIndex((x) => x.der.equals(c.der)) === i,
    );
    for (const c of candidates) {
      const self = c.fingerprint === cert.fingerprint;
      if (stack.includes(c.fingerprint) && !self) continue;
      if (c.keyUsage && !c.keyUsage.has('cRLSign')) {
        notes.push(`"${c.subjectText}" may not sign CRLs (no cRLSign)`);
        continue;
      }
      const sig = await verifyWith(crl.signatureAlgorithm, crl.tbs, crl.signature, c.spki, algorithms);
      if (!sig.ok) continue;
      // A CRL issuer whose own certificate is covered by the CRL it signs (PKITS 4.14.30): its
      // path was validated by the caller; nothing further up can vouch for it.
      if (self) return c;
      // The certificate's own issuer is on the validated path (its
      // status is checked with the path); the anchor is trusted.
      if (c === issuer || sameCa(c, ctx.anchor)) return c;
      if (stack.length >= MAX_NESTING) continue;
      const p = await validatePath(c, { anchors: [ctx.anchor], intermediates: ctx.bag, time: ctx.time, algorithms });
      if (!p.ok) {
        notes.push(`the CRL signer "${c.subjectText}" has no valid path to the same anchor: ${p.detail}`);
        continue;
      }
      let revoked = false;
      for (let i = 0; i < p.path.length - 1 && !revoked; i++) {
        const s = await crlStatus(p.path[i], p.path[i + 1], ctx, stack);
        if (s.status !== 'good') {
          notes.push(`the CRL signer path certificate "${p.path[i].subjectText}": ${s.note}`);
          revoked = true;
        }
      }
      if (!revoked) return c;
    }
    return undefined;
  };

  for (const dp of points) {
    if (reasonsMask === ALL_REASONS) break;
    for (const crl of ctx.crls) {
      if (reasonsMask === ALL_REASONS) break;
      if (crl.baseCrlNumber !== undefined || !inScope(crl, cert, dp)) continue;
      const stale = fresh(crl, ctx);
      if (stale) {
        notes.push(`a CRL of "${crl.issuerKey}" is not usable: ${stale}`);
        continue;
      }
      // (c), (d)
      // Bit 0 is "unused": only the eight reasons count.
      const interim = (crl.idp?.onlySomeReasons ?? ALL_REASONS) & (dp?.reasons ?? ALL_REASONS) & ALL_REASONS;
      if ((interim & ~reasonsMask) === 0) continue;
      const signer = await signerOf(crl);
      if (!signer) {
        notes.push('a CRL in scope has no acceptable signer');
        continue;
      }
      // (a)(2), (g)(2), (h): the newest usable delta CRL of this complete CRL.
      let delta: ParsedCrl | undefined;
      if (ctx.useDeltas ?? true) {
        const deltas = ctx.crls.filter(
          (d) =>
            d.baseCrlNumber !== undefined &&
            d.issuerKey === crl.issuerKey &&
            (d.idp?.der.toString('hex') ?? '') === (crl.idp?.der.toString('hex') ?? '') &&
            crl.crlNumber !== undefined &&
            d.baseCrlNumber <= crl.crlNumber &&
            !fresh(d, ctx),
        );
        for (const d of deltas.sort((a, b) => ((b.crlNumber ?? 0n) > (a.crlNumber ?? 0n) ? 1 : -1))) {
          if ((await verifyWith(d.signatureAlgorithm, d.tbs, d.signature, signer.spki, algorithms)).ok) {
            delta = d;
            break;
          }
        }
        // Announced delta CRLs that cannot be had: the complete CRL alone may miss recent revocations.
        if (!delta && (announced || crl.freshestCrlUrls.length || crlHasFreshest(crl))) {
          notes.push('the delta CRL announced by freshestCRL is not available or not usable');
          continue;
        }
      }
      const key = `${cert.issuerKey}|${cert.serial}`;
      let entry = delta?.entriesByIssuer.get(key);
      if (delta) usedDelta = true;
      if (!entry) entry = crl.entriesByIssuer.get(key);
      if (entry && entry.reason !== REMOVE_FROM_CRL) {
        return {
          status: 'revoked',
          revokedAt: entry.revokedAt,
          ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
          note:
            `revoked at ${entry.revokedAt.toISOString()}` +
            `${entry.reason !== undefined ? `, reason ${entry.reason}` : ''}` +
            `${delta?.entriesByIssuer.has(key) ? ' (delta CRL)' : ''}`,
        };
      }
      reasonsMask |= interim;
    }
  }
  if (reasonsMask !== ALL_REASONS)
    return {
      status: 'unknown',
      note:
        `no usable CRL covers every reason for "${cert.subjectText}" (serial ` +
        `${cert.serial})${notes.length ? `: ${[...new Set(notes)].join('; ')}` : ''}`,
    };
  return {
    status: 'good',
    note: `not listed on the CRLs of its issuer${usedDelta ? ' and their delta' : ''}`,
    delta: usedDelta,
  };
}

function crlHasFreshest(crl: ParsedCrl): boolean {
  return crl.hasFreshest ?? false;
}
