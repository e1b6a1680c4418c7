/**
 * Certification path validation, RFC 5280 §6.1, as a pure function: no network, no
 * clock but the one passed in, no state kept between calls. Revocation (§6.3) is a
 * separate step (RevocationChecker.ts) run on the path this returns.
 *
 * Path building (RFC 4158 in spirit): from the end entity up, every certificate whose
 * subject matches the current issuer under RFC 5280 §7.1 comparison is a candidate —
 * trust anchors first, then the intermediates; the authority/subject key identifiers only
 * order the candidates (a matching SKI first), they never exclude one, so cross-
 * certificates, re-keyed CAs with one name and CAs without key identifiers all build. A
 * candidate's key must verify the child's signature before the path goes on. Each path
 * that reaches an anchor is validated in full; the first valid one is returned, otherwise
 * the refusal of the first complete path (or why none could be built). The work is
 * bounded whatever the bag of certificates holds: `maxDepth` certificates per path,
 * `maxSignatures` signature checks and `maxPaths` complete paths per call.
 *
 * Validation of one path (certificates 1…n, 1 issued by the anchor, n the end entity),
 * reported in three stages so that callers can name the failed check:
 *
 *   signatures   every signature algorithm and key on the `algorithms` allow-list
 *   constraints  §6.1.3 (a)(4) name chaining, (b)–(c) name constraints of every form,
 *                (d)–(f) certificate policies; §6.1.4 (a)–(b) policy mappings, (g) name
 *                constraints, (h)–(j) the policy counters, (k) basicConstraints cA,
 *                (l)–(m) pathLenConstraint (self-issued certificates do not count), (n)
 *                keyCertSign, (o) unrecognised critical extensions; §6.1.5 wrap-up;
 *                and the profile rules below
 *   validity     §6.1.3 (a)(2) at `time`, the anchor included
 *
 * Name constraints, policy mappings and policy constraints are processed whether they are
 * marked critical or not: a relying party that ignores a non-critical constraint lets a
 * constrained CA issue outside it.
 *
 * Profile rules enforced on top of §6.1 (each is a MUST of RFC 5280 §4 that lenient
 * validators skip and that attackers rely on): no serial number zero (§4.1.2.2); a CA —
 * the anchor too — has a non-empty subject (§4.1.2.6) and a subject key identifier
 * (§4.2.1.2); every certificate but a self-signed anchor has an authority key identifier,
 * and none marks it critical (§4.2.1.1); no critical authorityInfoAccess (§4.2.2.1); the
 * anchor's basicConstraints is present and critical (§4.2.1.9 — intermediates with a
 * non-critical one are tolerated, as PKITS 4.6.4 requires); an end entity with keyCertSign
 * has cA TRUE (§4.2.1.3); RSA moduli are whole octets (signatures.ts).
 */
import type { ErrorCode } from '../errors/registry.js';
import { TesseraError } from '../errors/TesseraError.js';
import { subjectNames, nameConstraintsProblem, type NameConstraints } from '../x509/nameConstraints.js';
import { OID } from '../x509/oids.js';
import { decodeSignatureAlgorithm } from '../x509/publicKey.js';
import { parseCertificate, type ParsedCertificate } from './parseCertificate.js';
import { PolicyTree } from './policyTree.js';
import {
  algorithmProblem,
  DEFAULT_ALGORITHMS,
  keyProblem,
  verifyWith,
  type AlgorithmPolicy,
  type SignatureCheck,
} from './signatures.js';

type CertInput = Uint8Array | ParsedCertificate;

export interface ValidatePathOptions {
  /** Trust anchors, DER or parsed: a path ends at one of them (RFC 5280 §6.1.1 (d)). */
  readonly anchors: readonly CertInput[];
  /** Certificates a path may go through (presented by the peer, configured, cached…). */
  readonly intermediates?: readonly CertInput[];
  /** The time the path must be valid at (§6.1.1 (b)); default now. */
  readonly time?: Date;
  /** How far a notBefore may be ahead of `time`, in milliseconds (default 0). */
  readonly notBeforeSkewMs?: number;
  /** user-initial-policy-set (§6.1.1 (c)); default any-policy. */
  readonly initialPolicySet?: readonly string[];
  /** initial-explicit-policy (§6.1.1 (f)); default false. */
  readonly initialExplicitPolicy?: boolean;
  /** initial-policy-mapping-inhibit (§6.1.1 (e)); default false. */
  readonly initialPolicyMappingInhibit?: boolean;
  /** initial-any-policy-inhibit (§6.1.1 (g)); default false. */
  readonly initialAnyPolicyInhibit?: boolean;
  /** Most certificates in a path, the end entity and the anchor included (default 8). */
  readonly maxDepth?: number;
  /** Most signature verifications while building (default 64). */
  readonly maxSignatures?: number;
  /** Most complete paths validated before giving up (default 16). */
  readonly maxPaths?: number;
  /** The signature algorithms and keys accepted (default: SHA-256+, RSA ≥ 2048, P-256/384/521). */
  readonly algorithms?: Partial<AlgorithmPolicy>;
}

export type PathStage = 'parse' | 'path' | 'signatures' | 'constraints' | 'validity';

export type PathValidation =
  | {
      readonly ok: true;
      /** End entity first, anchor last. */
      readonly path: readonly ParsedCertificate[];
      /**
       * The user-constrained policy set (§6.1.5 (g)): the policies the path is valid for,
       * `['2.5.29.32.0']` (anyPolicy) when it is valid for any, empty when the
       * valid_policy_tree is NULL (allowed when no explicit policy is required).
       */
      readonly policies: readonly string[];
      /** Complete paths examined, signature checks made. */
      readonly work: { readonly paths: number; readonly signatures: number };
    }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly detail: string;
      /** Which group of checks refused: see the module comment. */
      readonly stage: PathStage;
      /** The complete path that was refused (absent when no path reached an anchor). */
      readonly path?: readonly ParsedCertificate[];
      readonly work: { readonly paths: number; readonly signatures: number };
    };

/** Most candidate edges walked in one call, whatever the signature cache already knows. */
const MAX_VISITS = 2048;

class PathError extends TesseraError {
  constructor(
    code: ErrorCode,
    detail: string,
    readonly stage: PathStage,
  ) {
    super(code, detail);
  }
}

const fail = (stage: PathStage, code: ErrorCode, detail: string): never => {
  throw new PathError(code, detail, stage);
};

function parsed(c: CertInput): ParsedCertificate | undefined {
  if (!(c instanceof Uint8Array)) return c;
  try {
    return parseCertificate(c, { unknownCritical: 'record' });
  } catch {
    // A certificate that cannot be read is on no path.
    return undefined;
  }
}

/** Same trust anchor: RFC 5280 §6.1.1 (d) identifies an anchor by its name and public key. */
export function sameCa(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return a.der.equals(b.der) || (a.subjectKey === b.subjectKey && a.spki.equals(b.spki));
}

/**
 * Find and validate a certification path for `leaf` (DER or parsed). Never throws for a
 * refusal: the answer says why.
 */
export async function validatePath(leafInput: CertInput, options: ValidatePathOptions): Promise<PathValidation> {
  const work = { paths: 0, signatures: 0 };
  let leaf: ParsedCertificate;
  try {
    leaf = leafInput instanceof Uint8Array ? parseCertificate(leafInput, { unknownCritical: 'record' }) : leafInput;
  } catch (e) {
    const err = e as TesseraError;
    return { ok: false, code: 'SIGNIN_CERT_MALFORMED', detail: err.detail ?? err.code, stage: 'parse', work };
  }
  const algorithms: AlgorithmPolicy = { ...DEFAULT_ALGORITHMS, ...options.algorithms };
  const maxDepth = options.maxDepth ?? 8;
  const maxSignatures = options.maxSignatures ?? 64;
  const maxPaths = options.maxPaths ?? 16;
  const anchors = options.anchors.map(parsed).filter((c): c is ParsedCertificate => !!c);
  const bySubject = new Map<string, ParsedCertificate[]>();
  const seen = new Set<string>();
  for (const c of [...(options.intermediates ?? []).map(parsed)]) {
    if (!c || c.der.equals(leaf.der) || seen.has(c.fingerprint)) continue;
    seen.add(c.fingerprint);
    const list = bySubject.get(c.subjectKey) ?? [];
    list.push(c);
    bySubject.set(c.subjectKey, list);
  }
  const isAnchor = (c: ParsedCertificate) => anchors.some((a) => sameCa(a, c));
  const signatureCache = new Map<string, SignatureCheck>();
  let firstRefusal: PathError | undefined;
  let firstRefusedPath: ParsedCertificate[] | undefined;
  let signatureFailure: string | undefined;
  let nameMatched = false;
  let exhausted = false;
  let visits = 0;

  const verified = async (child: ParsedCertificate, issuer: ParsedCertificate): Promise<SignatureCheck | undefined> => {
    const key = `${child.fingerprint}>${issuer.fingerprint}`;
    const hit = signatureCache.get(key);
    if (hit) return hit;
    if (work.signatures >= maxSignatures) {
      exhausted = true;
      return undefined;
    }
    work.signatures++;
    const r = await verifyWith(child.signatureAlgorithm, child.tbs, child.signature, issuer.spki, algorithms);
    signatureCache.set(key, r);
    return r;
  };

  /** Candidate issuers of `cur`: anchors first, then intermediates; a matching key identifier first. */
  const candidates = (cur: ParsedCertificate): { cert: ParsedCertificate; anchor: boolean }[] => {
    const rank = (c: ParsedCertificate) =>
      cur.authorityKeyId && c.subjectKeyId ? (cur.authorityKeyId.equals(c.subjectKeyId) ? 0 : 2) : 1;
    const byRank = (a: ParsedCertificate, b: ParsedCertificate) => rank(a) - rank(b);
    const fromAnchors = anchors.filter((a) => a.subjectKey === cur.issuerKey).sort(byRank);
    const fromBag = (bySubject.get(cur.issuerKey) ?? []).filter((c) => !isAnchor(c)).sort(byRank);
    return [
      ...fromAnchors.map((cert) => ({ cert, anchor: true })),
      ...fromBag.map((cert) => ({ cert, anchor: false })),
    ];
  };

  const walk = async (path: ParsedCertificate[]): Promise<PathValidation | undefined> => {
    const cur = path[path.length - 1];
    if (path.length >= maxDepth) return undefined;
    for (const { cert, anchor } of candidates(cur)) {
      if (exhausted || work.paths >= maxPaths) return undefined;
      // Cached signatures make re-walking an edge free; the walk itself is bounded too
      // (a mesh of same-name cross-certificates has exponentially many simple paths).
      if (++visits > MAX_VISITS) {
        exhausted = true;
        return undefined;
      }
      // A certificate (or the same name and key) twice would be a loop.
      if (path.some((p) => p.der.equals(cert.der) || (p.subjectKey === cert.subjectKey && p.spki.equals(cert.spki))))
        continue;
      nameMatched = true;
      const sig = await verified(cur, cert);
      if (!sig) return undefined;
      if (!sig.ok) {
        signatureFailure ??= `the signature of "${cur.subjectText}" by "${cert.subjectText}": ${sig.reason}`;
        continue;
      }
      const next = [...path, cert];
      if (anchor) {
        work.paths++;
        try {
          const policies = validateOne(next, options, algorithms);
          return { ok: true, path: next, policies, work };
        } catch (e) {
          // The policy tree's size cap (policyTree.ts) is a constraints refusal like any other.
          const refusal =
            e instanceof PathError
              ? e
              : e instanceof TesseraError
                ? new PathError(e.code, e.detail ?? e.code, 'constraints')
                : undefined;
          if (!refusal) throw e;
          if (!firstRefusal) {
            firstRefusal = refusal;
            firstRefusedPath = next;
          }
          continue;
        }
      }
      const found = await walk(next);
      if (found) return found;
    }
    return undefined;
  };

  const found = await walk([leaf]);
  if (found) return found;
  if (firstRefusal)
    return {
      ok: false,
      code: firstRefusal.code,
      detail: firstRefusal.detail ?? firstRefusal.code,
      stage: firstRefusal.stage,
      path: firstRefusedPath!,
      work,
    };
  if (signatureFailure)
    return { ok: false, code: 'SIGNIN_SIGNATURE_INVALID', detail: signatureFailure, stage: 'path', work };
  if (exhausted)
    return {
      ok: false,
      code: 'SIGNIN_CHAIN_UNTRUSTED',
      detail:
        `path building gave up after ${work.signatures} signature ` +
        `checks and ${visits} candidate issuers: too many candidates`,
      stage: 'path',
      work,
    };
  return {
    ok: false,
    code: 'SIGNIN_CHAIN_UNTRUSTED',
    detail: nameMatched
      ? `no path from "${leaf.subjectText}" to a trust anchor within ${maxDepth} certificates`
      : `no trusted or presented CA certificate is named "${leaf.issuerText}"`,
    stage: 'path',
    work,
  };
}

/** RFC 5280 §6.1.2–§6.1.5 on one path (end entity first, anchor last). Returns the user-constrained policy set. */
function validateOne(
  path: readonly ParsedCertificate[],
  o: ValidatePathOptions,
  algorithms: AlgorithmPolicy,
): string[] {
  const anchor = path[path.length - 1];
  // certs[0] is certificate 1 (issued by the anchor), certs[n-1] is the end entity.
  const certs = path.slice(0, -1).reverse();
  const n = certs.length;

  // --- signatures: the algorithms of the signatures relied on, and every key -------------
  for (const c of path) {
    // The anchor's own signature is not relied on (§6.1.1 (d)), but its key signs certificate 1.
    if (c !== anchor) {
      let problem: string | undefined;
      try {
        problem = algorithmProblem(decodeSignatureAlgorithm(c.signatureAlgorithm), algorithms);
      } catch (e) {
        problem = (e as TesseraError).detail ?? (e as Error).message;
      }
      if (problem) fail('signatures', 'SIGNIN_SIGNATURE_INVALID', `"${c.subjectText}": ${problem}`);
    }
    const kp = keyProblem(c.key, algorithms);
    if (kp) fail('signatures', 'SIGNIN_SIGNATURE_INVALID', `"${c.subjectText}": ${kp}`);
  }

  // --- constraints ------------------------------------------------------------------------
  profile(anchor, 'anchor');
  const tree = new PolicyTree();
  let explicitPolicy = o.initialExplicitPolicy ? 0 : n + 1;
  let inhibitAnyPolicy = o.initialAnyPolicyInhibit ? 0 : n + 1;
  let policyMapping = o.initialPolicyMappingInhibit ? 0 : n + 1;
  // The anchor's own pathLenConstraint, when it has one, bounds the path (as OpenSSL and Windows do).
  let maxPathLength = anchor.basicConstraints?.pathLen !== undefined ? Math.min(n, anchor.basicConstraints.pathLen) : n;
  let pathLenFrom: { ca: ParsedCertificate; index: number; pathLen: number } | undefined =
    anchor.basicConstraints?.pathLen !== undefined
      ? { ca: anchor, index: 0, pathLen: anchor.basicConstraints.pathLen }
      : undefined;
  // The anchor's own name constraints bind the whole path (RFC 5937 §2 lets a relying
  // party take them from the anchor certificate; a constrained root stays constrained).
  const constraints: { ca: ParsedCertificate; nc: NameConstraints }[] = anchor.nameConstraints
    ? [{ ca: anchor, nc: anchor.nameConstraints }]
    : [];
  let workingIssuer = anchor;

  for (let i = 1; i <= n; i++) {
    const c = certs[i - 1];
    const last = i === n;
    profile(c, last ? 'leaf' : 'ca');
    // §6.1.3 (a)(4): the issuer is the working_issuer_name.
    if (c.issuerKey !== workingIssuer.subjectKey)
      fail(
        'constraints',
        'SIGNIN_CHAIN_UNTRUSTED',
        `"${c.subjectText}" names its issuer "${c.issuerText}", not "${workingIssuer.subjectText}"`,
      );
    // §6.1.3 (b), (c): not for a self-issued intermediate.
    if (constraints.length && !(c.selfIssued && !last)) {
      const names = subjectNames(c.subject, c.extensions.get(OID.subjectAltName)?.value);
      for (const { ca, nc } of constraints) {
        const problem = nameConstraintsProblem(names, nc);
        if (problem)
          fail('constraints', 'SIGNIN_NAME_CONSTRAINTS', `"${c.subjectText}": ${problem} of "${ca.subjectText}"`);
      }
    }
    // §6.1.3 (d), (e), (f).
    tree.processCertificate(i, c.policies, inhibitAnyPolicy > 0 || (!last && c.selfIssued));
    if (explicitPolicy === 0 && tree.isNull)
      fail(
        'constraints',
        'SIGNIN_POLICY',
        `an explicit policy is required and no policy is valid for the path at "${c.subjectText}"`,
      );

    if (!last) {
      // §6.1.4 (a), (b).
      if (c.policyMappings) {
        if (
          c.policyMappings.some(
            (m) => m.issuerDomainPolicy === OID.anyPolicy || m.subjectDomainPolicy === OID.anyPolicy,
          )
        )
          fail('constraints', 'SIGNIN_POLICY', `"${c.subjectText}" maps a policy to or from anyPolicy`);
        tree.applyMappings(i, c.policyMappings, policyMapping > 0);
      }
      // (g)
      if (c.nameConstraints) constraints.push({ ca: c, nc: c.nameConstraints });
      // (h)
      if (!c.selfIssued) {
        if (explicitPolicy > 0) explicitPolicy--;
        if (policyMapping > 0) policyMapping--;
        if (inhibitAnyPolicy > 0) inhibitAnyPolicy--;
      }
      // (i), (j)
      const pc = c.policyConstraints;
      if (pc?.requireExplicitPolicy !== undefined && pc.requireExplicitPolicy < explicitPolicy)
        explicitPolicy = pc.requireExplicitPolicy;
      if (pc?.inhibitPolicyMapping !== undefined && pc.inhibitPolicyMapping < policyMapping)
        policyMapping = pc.inhibitPolicyMapping;
      if (c.inhibitAnyPolicy !== undefined && c.inhibitAnyPolicy < inhibitAnyPolicy)
        inhibitAnyPolicy = c.inhibitAnyPolicy;
      // (k): a v1/v2 certificate has no basicConstraints and is refused as a CA.
      if (!c.basicConstraints?.ca)
        fail(
          'constraints',
          'SIGNIN_BASIC_CONSTRAINTS',
          `"${c.subjectText}" issued "${certs[i].subjectText}" but is not a CA (no basicConstraints cA TRUE)`,
        );
      // (l)
      if (!c.selfIssued) {
        if (maxPathLength <= 0) {
          const from = pathLenFrom!;
          const below = certs.slice(from.index, n - 1).filter((x) => !x.selfIssued).length;
          fail(
            'constraints',
            'SIGNIN_BASIC_CONSTRAINTS',
            `"${from.ca.subjectText}" allows ${from.pathLen} CA certificates below it, the path has ${below}`,
          );
        }
        maxPathLength--;
      }
      // (m)
      const pl = c.basicConstraints?.pathLen;
      if (pl !== undefined && pl < maxPathLength) {
        maxPathLength = pl;
        pathLenFrom = { ca: c, index: i, pathLen: pl };
      }
      // (n)
      if (c.keyUsage && !c.keyUsage.has('keyCertSign'))
        fail('constraints', 'SIGNIN_BASIC_CONSTRAINTS', `"${c.subjectText}" has no keyCertSign`);
    } else {
      // §6.1.5 (a), (b).
      if (explicitPolicy > 0) explicitPolicy--;
      if (c.policyConstraints?.requireExplicitPolicy === 0) explicitPolicy = 0;
    }
    // §6.1.4 (o), §6.1.5 (f).
    if (c.unknownCritical.length)
      fail(
        'constraints',
        'SIGNIN_UNKNOWN_CRITICAL_EXTENSION',
        `"${c.subjectText}" has the unrecognised critical extension ${c.unknownCritical.join(', ')}`,
      );
    workingIssuer = c;
  }
  // §6.1.5 (g) and the final test.
  const policies = tree.intersect(n, o.initialPolicySet);
  if (explicitPolicy === 0 && !policies) {
    fail(
      'constraints',
      'SIGNIN_POLICY',
      o.initialPolicySet
        ? `no policy of the path is in the acceptable set ${o.initialPolicySet.join(', ')}`
        : 'an explicit policy is required and the path has no valid policy',
    );
  }

  // --- validity ---------------------------------------------------------------------------
  const now = (o.time ?? new Date()).getTime();
  const skew = o.notBeforeSkewMs ?? 0;
  for (const c of path) {
    // §6.1.3 (a)(2): "The certificate validity period includes the current time."
    if (c.notBefore.getTime() > now + skew)
      fail(
        'validity',
        'SIGNIN_CERT_EXPIRED',
        `"${c.subjectText}" is not valid before ${c.notBefore.toISOString()} (now ${new Date(now).toISOString()})`,
      );
    if (c.notAfter.getTime() < now)
      fail(
        'validity',
        'SIGNIN_CERT_EXPIRED',
        `"${c.subjectText}" expired at ${c.notAfter.toISOString()} (now ${new Date(now).toISOString()})`,
      );
  }
  return policies ?? [];
}

/** The RFC 5280 §4 rules of the module comment, for a certificate in the role it plays. */
function profile(c: ParsedCertificate, role: 'anchor' | 'ca' | 'leaf'): void {
  const refuse = (why: string) =>
    fail('constraints', 'SIGNIN_CERT_PROFILE', `"${c.subjectText || c.issuerText}" (serial ${c.serial}): ${why}`);
  if (/^0*$/.test(c.serial)) refuse('serial number zero (RFC 5280 §4.1.2.2: a positive integer)');
  const aki = c.extensions.get(OID.authorityKeyIdentifier);
  if (aki?.critical) refuse('a critical authority key identifier (RFC 5280 §4.2.1.1: non-critical)');
  if (c.extensions.get(OID.authorityInfoAccess)?.critical)
    refuse('a critical authorityInfoAccess (RFC 5280 §4.2.2.1: non-critical)');
  if (role !== 'anchor' && !aki)
    refuse('no authority key identifier (RFC 5280 §4.2.1.1: required in every certificate that is not self-signed)');
  if (role !== 'leaf') {
    if (c.emptySubject) refuse('a CA with an empty subject (RFC 5280 §4.1.2.6)');
    if (!c.subjectKeyId) refuse('a CA without subject key identifier (RFC 5280 §4.2.1.2)');
  }
  if (role === 'anchor') {
    const bc = c.extensions.get(OID.basicConstraints);
    if (!c.basicConstraints?.ca || !bc?.critical)
      refuse('a trust anchor whose basicConstraints is absent, not cA TRUE or not critical (RFC 5280 §4.2.1.9)');
  }
  if (role === 'leaf' && c.keyUsage?.has('keyCertSign') && !c.basicConstraints?.ca)
    fail(
      'constraints',
      'SIGNIN_BASIC_CONSTRAINTS',
      `"${c.subjectText}" asserts keyCertSign without basicConstraints cA TRUE (RFC 5280 §4.2.1.3)`,
    );
}

/**
 * Why `anchor` could never end a valid path under the profile rules (a configuration
 * problem to refuse at start), or undefined.
 */
export function anchorProblem(
  anchor: ParsedCertificate,
  algorithms: Partial<AlgorithmPolicy> = {},
): string | undefined {
  try {
    profile(anchor, 'anchor');
    const kp = keyProblem(anchor.key, { ...DEFAULT_ALGORITHMS, ...algorithms });
    if (kp) return kp;
  } catch (e) {
    return (e as TesseraError).detail;
  }
  return undefined;
}
