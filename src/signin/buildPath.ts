/**
 * Path building (RFC 5280 §6.1; research/security.md §2 item 3): from the presented end-
 * entity certificate up to a trust anchor, through CA certificates that were presented
 * or are in the authentication trust list. A candidate issuer must carry the issuer's
 * name (and, when both say, the authority key identifier must be its subject key
 * identifier), and the child's signature must verify with its key before the path goes
 * on — so a certificate from another CA that copies our CA's name never builds a path.
 * The work is bounded: at most `maxDepth` certificates and `maxSignatures` checks,
 * whatever the client sends (x509-limbo pathological cases, BetterTLS path building).
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { ParsedCertificate } from './parseCertificate.js';
import { verifyWith } from './signatures.js';

export interface TrustList {
  /** Roots (trust anchors): a path must end at one of them. */
  readonly anchors: readonly ParsedCertificate[];
  /**
   * The authentication trust list — the role of NTAuth (MS-WCCE §2.2.2.11.3): the CAs
   * allowed to issue sign-in certificates. The end-entity certificate's issuer must be one
   * of them; they also serve as intermediates for path building.
   */
  readonly authenticationCas: readonly ParsedCertificate[];
}

export interface PathLimits {
  /** Most certificates in a path, the end entity and the anchor included (default 6). */
  readonly maxDepth?: number;
  /** Most signature checks while building (default 32). */
  readonly maxSignatures?: number;
}

/** Same trust anchor: RFC 5280 §6.1.1 (d) identifies an anchor by its name and public key. */
export function sameCa(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return a.der.equals(b.der) || (a.subject.equals(b.subject) && a.spki.equals(b.spki));
}

/**
 * The path, end entity first and anchor last. Throws SIGNIN_CHAIN_UNTRUSTED when no
 * issuer leads to an anchor, SIGNIN_SIGNATURE_INVALID when the only issuers that carry the
 * right name do not verify the signature (or use a refused algorithm).
 */
export async function buildPath(leaf: ParsedCertificate, presented: readonly ParsedCertificate[], trust: TrustList, limits: PathLimits = {}): Promise<ParsedCertificate[]> {
  const maxDepth = limits.maxDepth ?? 6;
  let budget = limits.maxSignatures ?? 32;
  const candidates: ParsedCertificate[] = [];
  for (const c of [...trust.authenticationCas, ...presented, ...trust.anchors]) {
    if (!c.der.equals(leaf.der) && !candidates.some((x) => x.der.equals(c.der))) candidates.push(c);
  }
  const isAnchor = (c: ParsedCertificate) => trust.anchors.some((a) => sameCa(a, c));
  let signatureFailure: string | undefined;
  let nameMatched = false;

  const walk = async (path: ParsedCertificate[]): Promise<ParsedCertificate[] | undefined> => {
    const cur = path[path.length - 1];
    if (path.length >= maxDepth) return undefined;
    for (const cand of candidates) {
      if (!cand.subject.equals(cur.issuer) || path.some((p) => p.der.equals(cand.der))) continue;
      // RFC 5280 §4.2.1.1: the AKI names the issuer's key; a different SKI is another key.
      if (cur.authorityKeyId && cand.subjectKeyId && !cur.authorityKeyId.equals(cand.subjectKeyId)) continue;
      nameMatched = true;
      if (--budget < 0) return undefined;
      const sig = await verifyWith(cur.signatureAlgorithm, cur.tbs, cur.signature, cand.spki);
      if (!sig.ok) {
        signatureFailure ??= `the signature of "${cur.subjectText}" by "${cand.subjectText}": ${sig.reason}`;
        continue;
      }
      const next = [...path, cand];
      if (isAnchor(cand)) return next;
      const found = await walk(next);
      if (found) return found;
    }
    return undefined;
  };

  const path = await walk([leaf]);
  if (path) return path;
  if (signatureFailure) throw new TesseraError('SIGNIN_SIGNATURE_INVALID', signatureFailure);
  if (budget < 0) throw new TesseraError('SIGNIN_CHAIN_UNTRUSTED', 'path building gave up: too many candidate issuers');
  throw new TesseraError(
    'SIGNIN_CHAIN_UNTRUSTED',
    nameMatched ? `no path from "${leaf.subjectText}" to a trust anchor within ${maxDepth} certificates` : `no trusted or presented CA certificate is named "${leaf.issuerText}"`,
  );
}
