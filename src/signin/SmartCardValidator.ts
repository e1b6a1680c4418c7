/**
 * The relying party's decision on a presented smart card certificate: sign in as exactly
 * one directory account, or refuse with the reason (docs/security.md §8, with the source
 * of each check; docs/signin.md). The checks run in this order and the
 * first failure ends the run (fail closed; the later checks are reported "not run"):
 *
 *   possession        a certificate was presented and the caller proved its key (the TLS
 *                     handshake's CertificateVerify); no certificate fails it, not performed
 *   parse             strict DER, size and count limits (parseCertificate.ts → x509/certificate.ts)
 *   path              a path to a trust anchor (validatePath.ts: RFC 5280 §6.1 path
 *                     building), signatures verified on the way
 *   authenticationCa  the issuing CA is in the authentication trust list (NTAuth)
 *   signatures        every signature and key in the path on the allow-list (signatures.ts)
 *   constraints       the rest of RFC 5280 §6.1 (validatePath.ts): basicConstraints,
 *                     pathLenConstraint, CA keyUsage, name constraints, certificate
 *                     policies, unknown critical extensions, profile rules; and an end
 *                     entity that is not a CA
 *   validity          every certificate valid at the injected clock (§6.1.3 (a)(2))
 *   keyUsage          the end entity may make digital signatures (ff404293)
 *   eku               Smart Card Logon / Client Authentication as configured, the MS
 *                     application policies agreeing (ESC15), no CA restricting it
 *   revocation        every certificate but the anchor, OCSP then CRL (RevocationChecker.ts)
 *   mapping           strong mapping first, SID agreeing with UPN (mapAccount.ts)
 *   account           enabled, created before the certificate was issued
 *
 * A refusal carries one code from the error registry (the check's) and a detail for the
 * audit trail; the public parts (check titles, codes' public messages) are safe to show
 * the person at the keyboard — they never name another account.
 *
 * No HTTP here: a service embeds the validator, hands it the chain its TLS stack received
 * and says how possession was proven (docs/signin.md).
 */
import type { DirectoryUser } from '../directory/Directory.js';
import { errorRegistry, type ErrorCode } from '../errors/registry.js';
import { TesseraError } from '../errors/TesseraError.js';
import { OID } from '../x509/oids.js';
import type { TrustList } from './TrustList.js';
import { anchorProblem, sameCa, validatePath, type ValidatePathOptions } from './validatePath.js';
import { httpFetch, type RevocationFetcher } from './httpFetch.js';
import {
  checkAccount,
  mapAccount,
  parseAltSecurityIdentity,
  type AccountLookup,
  type ExplicitMapping,
  type Mapping,
} from './mapAccount.js';
import { certificateSummary, parseCertificate, type ParsedCertificate } from './parseCertificate.js';
import { DEFAULT_REVOCATION, RevocationChecker, type RevocationPolicy } from './RevocationChecker.js';

export type EkuPolicy = 'smartcardLogon' | 'clientAuthentication' | 'either';

/** The EKUs each policy accepts (any one of them). Any Purpose (2.5.29.37.0) is never enough (ESC2). */
export const EKU_POLICY: Record<EkuPolicy, readonly string[]> = {
  smartcardLogon: [OID.smartcardLogon],
  clientAuthentication: [OID.clientAuth],
  either: [OID.smartcardLogon, OID.clientAuth],
};

/** "All application policies" (szOID_ANY_APPLICATION_POLICY), the CA-side wildcard. */
const ANY_APPLICATION_POLICY = '1.3.6.1.4.1.311.10.12.1';

export interface ValidatorSettings {
  /** DER certificates: the roots a path must end at. */
  readonly trustAnchors: readonly Uint8Array[];
  /** DER certificates: the authentication trust list (NTAuth) — CAs allowed to issue sign-in certificates. */
  readonly authenticationCas: readonly Uint8Array[];
  /** Default 'smartcardLogon'. */
  readonly eku?: EkuPolicy;
  readonly mapping?: {
    /** Default false (KB5014754 full enforcement). */
    readonly allowWeakUpn?: boolean;
    /** Account name → altSecurityIdentities strings (strong forms only). */
    readonly explicit?: Readonly<Record<string, readonly string[]>>;
    /** How far notBefore may precede the account's creation (default 600 s: AD CS backdates 10 minutes). */
    readonly creationToleranceSeconds?: number;
  };
  readonly revocation?: Partial<RevocationPolicy>;
  /** How far a CRL's or OCSP answer's thisUpdate may be ahead of the clock (default 300 s). */
  readonly clockSkewSeconds?: number;
  /**
   * How far a certificate's notBefore may be ahead of the clock (default 0: a certificate
   * is not valid before its notBefore, RFC 5280 §6.1.3 (a)(2); CAs backdate instead).
   */
  readonly notBeforeSkewSeconds?: number;
  /** RFC 5280 §6.1.1 inputs and path-building limits passed to validatePath (docs/signin.md). */
  readonly pathValidation?: Pick<
    ValidatePathOptions,
    | 'initialPolicySet'
    | 'initialExplicitPolicy'
    | 'initialPolicyMappingInhibit'
    | 'initialAnyPolicyInhibit'
    | 'algorithms'
    | 'maxSignatures'
    | 'maxPaths'
  >;
  /** Most certificates the client may present (default 8). */
  readonly maxPresented?: number;
  /** Most certificates in a path, end entity and anchor included (default 6). */
  readonly maxPathLength?: number;
}

export interface ValidatorDeps {
  readonly accounts: AccountLookup;
  readonly now?: () => Date;
  readonly fetch?: RevocationFetcher;
}

export type CheckId =
  | 'possession'
  | 'parse'
  | 'path'
  | 'authenticationCa'
  | 'signatures'
  | 'constraints'
  | 'validity'
  | 'keyUsage'
  | 'eku'
  | 'revocation'
  | 'mapping'
  | 'account';

export const CHECK_TITLES: Record<CheckId, string> = {
  possession: 'Proof of possession of the private key',
  parse: 'Certificate encoding (strict DER)',
  path: 'Chain to a trusted root',
  authenticationCa: 'Issuing CA trusted for sign-in (NTAuth)',
  signatures: 'Signature algorithms and key sizes',
  constraints: 'CA constraints: basic constraints, key usage, name constraints, policies',
  validity: 'Validity period',
  keyUsage: 'Key usage: digital signature',
  eku: 'Extended key usage',
  revocation: 'Revocation (OCSP, then CRL)',
  mapping: 'Mapping to a directory account',
  account: 'Account enabled and older than the certificate',
};
const ORDER = Object.keys(CHECK_TITLES) as CheckId[];

export interface Check {
  readonly id: CheckId;
  readonly title: string;
  readonly status: 'passed' | 'failed' | 'not run';
  /** Safe to show the person signing in: what passed, or the failed code's public message. */
  readonly summary: string;
  /** The registry code of a failure. */
  readonly code?: ErrorCode;
  /** Private: for the audit trail and the log, never the client. */
  readonly detail?: string;
}

export interface Possession {
  /** Whether the caller's protocol proved possession of the certificate's private key. */
  readonly proven: boolean;
  /** How, e.g. "TLSv1.3 CertificateVerify". */
  readonly method: string;
}

export type CertificateSummary = ReturnType<typeof certificateSummary>;

export type SigninDecision =
  | {
      readonly ok: true;
      readonly account: DirectoryUser;
      readonly mapping: Omit<Mapping, 'account'>;
      readonly certificate: CertificateSummary;
      readonly path: readonly CertificateSummary[];
      readonly checks: readonly Check[];
      /**
       * What the sign-in was let through despite — today only a revocation status that
       * could not be determined under `revocation.mode: 'soft-fail'`. Callers audit and log
       * them as warnings (the sign-in listener does).
       */
      readonly warnings?: readonly string[];
    }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly detail: string;
      readonly certificate?: CertificateSummary;
      /** The account the certificate maps to, when the refusal came after mapping (audit only). */
      readonly account?: string;
      readonly checks: readonly Check[];
    };

export class SmartCardValidator {
  readonly #trust: TrustList;
  readonly #ekus: readonly string[];
  readonly #ekuPolicy: EkuPolicy;
  readonly #mapping: { allowWeakUpn: boolean; explicit: readonly ExplicitMapping[] };
  readonly #creationToleranceMs: number;
  readonly #skewMs: number;
  readonly #notBeforeSkewMs: number;
  readonly #pathOptions: NonNullable<ValidatorSettings['pathValidation']>;
  readonly #maxPresented: number;
  readonly #maxPath: number;
  readonly #revocation: RevocationChecker;
  readonly #softFail: boolean;
  readonly #accounts: AccountLookup;
  readonly #now: () => Date;

  /** Throws CONFIG_INVALID for a trust list that is not CA certificates, or a weak explicit mapping. */
  constructor(settings: ValidatorSettings, deps: ValidatorDeps) {
    const ca = (der: Uint8Array, what: string) => {
      let c: ParsedCertificate;
      try {
        c = parseCertificate(der);
      } catch (e) {
        throw new TesseraError(
          'CONFIG_INVALID',
          `a certificate in ${what} cannot be read: ${(e as TesseraError).detail}`,
        );
      }
      if (!c.basicConstraints?.ca)
        throw new TesseraError('CONFIG_INVALID', `"${c.subjectText}" in ${what} is not a CA certificate`);
      return c;
    };
    const anchors = settings.trustAnchors.map((d) => ca(d, 'the trust anchors'));
    for (const a of anchors) {
      // An anchor no path could end at (RFC 5280 §4 profile rules, validatePath.ts) is a configuration error.
      const problem = anchorProblem(a, settings.pathValidation?.algorithms);
      if (problem)
        throw new TesseraError('CONFIG_INVALID', `the trust anchor "${a.subjectText}" cannot be used: ${problem}`);
    }
    const authenticationCas = settings.authenticationCas.map((d) => ca(d, 'the authentication trust list'));
    if (!anchors.length) throw new TesseraError('CONFIG_INVALID', 'sign-in needs at least one trust anchor');
    if (!authenticationCas.length)
      throw new TesseraError('CONFIG_INVALID', 'sign-in needs at least one CA in the authentication trust list');
    this.#trust = { anchors, authenticationCas };
    this.#ekuPolicy = settings.eku ?? 'smartcardLogon';
    this.#ekus = EKU_POLICY[this.#ekuPolicy];
    if (!this.#ekus) throw new TesseraError('CONFIG_INVALID', `unknown EKU policy ${settings.eku}`);
    const explicit: ExplicitMapping[] = [];
    for (const [user, values] of Object.entries(settings.mapping?.explicit ?? {})) {
      for (const v of values) {
        try {
          explicit.push(parseAltSecurityIdentity(user, v));
        } catch (e) {
          throw new TesseraError('CONFIG_INVALID', `explicit mapping of ${user}: ${(e as Error).message}`);
        }
      }
    }
    this.#mapping = { allowWeakUpn: settings.mapping?.allowWeakUpn ?? false, explicit };
    this.#creationToleranceMs = (settings.mapping?.creationToleranceSeconds ?? 600) * 1000;
    this.#skewMs = (settings.clockSkewSeconds ?? 300) * 1000;
    this.#notBeforeSkewMs = (settings.notBeforeSkewSeconds ?? 0) * 1000;
    this.#pathOptions = settings.pathValidation ?? {};
    this.#maxPresented = settings.maxPresented ?? 8;
    this.#maxPath = settings.maxPathLength ?? 6;
    this.#accounts = deps.accounts;
    this.#now = deps.now ?? (() => new Date());
    const revocation = { ...DEFAULT_REVOCATION, ...settings.revocation };
    if (revocation.mode !== 'hard-fail' && revocation.mode !== 'soft-fail')
      throw new TesseraError('CONFIG_INVALID', `revocation.mode ${String(revocation.mode)}: hard-fail or soft-fail`);
    if (!revocation.ocsp && !revocation.crl)
      throw new TesseraError('CONFIG_INVALID', 'revocation: at least one of OCSP and CRL must be on');
    this.#softFail = revocation.mode === 'soft-fail';
    this.#revocation = new RevocationChecker(revocation, deps.fetch ?? httpFetch, this.#now, this.#skewMs);
  }

  /** The configured trust (for the TLS listener's certificate_authorities list and the page). */
  get trust(): TrustList {
    return this.#trust;
  }

  get ekuPolicy(): EkuPolicy {
    return this.#ekuPolicy;
  }

  /**
   * Decide on `chain` (DER, end entity first, as the client presented it). `possession` says
   * how the caller proved the client holds the end entity's private key; without that proof
   * nothing else is looked at.
   */
  async validate(chain: readonly Uint8Array[], possession: Possession): Promise<SigninDecision> {
    const checks: Check[] = [];
    const pass = (id: CheckId, summary: string) =>
      checks.push({ id, title: CHECK_TITLES[id], status: 'passed', summary });
    let current: CheckId = 'possession';
    let leaf: ParsedCertificate | undefined;
    let mapped: Mapping | undefined;
    const warnings: string[] = [];
    try {
      // Proof of possession (RFC 8446 §4.4.3 CertificateVerify; RFC 5246 §7.4.8). With no
      // certificate there is no key to prove: the check fails as not performed, whatever
      // the caller's transport says (a TLS handshake without a client Certificate message
      // has no CertificateVerify either, RFC 8446 §4.4.3).
      if (chain.length === 0)
        throw new TesseraError(
          'SIGNIN_CERT_MISSING',
          'no client certificate was presented, so possession of a key could not be checked',
        );
      if (!possession.proven) throw new TesseraError('SIGNIN_POSSESSION_NOT_PROVEN', possession.method);
      pass('possession', possession.method);

      current = 'parse';
      if (chain.length > this.#maxPresented)
        throw new TesseraError(
          'SIGNIN_CERT_MALFORMED',
          `${chain.length} certificates presented (at most ${this.#maxPresented})`,
        );
      // An unknown critical extension refuses a certificate only if it ends up on the path (validatePath.ts).
      const parsed = chain.map((c) => parseCertificate(c, { unknownCritical: 'record' }));
      leaf = parsed[0];
      // Node adds the issuers it found to what the client sent; all of them are only candidates for the path.
      pass('parse', `${parsed.length} certificate${parsed.length > 1 ? 's' : ''} from the connection, strict DER`);

      current = 'path';
      // RFC 5280 §6.1 in full (validatePath.ts); its stages are the checks path, signatures,
      // constraints and validity. A refused path is still reported check by check, so the
      // NTAuth check keeps its place between path and signatures.
      const v = await validatePath(leaf, {
        anchors: this.#trust.anchors,
        intermediates: [...this.#trust.authenticationCas, ...parsed.slice(1)],
        time: this.#now(),
        notBeforeSkewMs: this.#notBeforeSkewMs,
        maxDepth: this.#maxPath,
        ...this.#pathOptions,
      });
      if (!v.ok && !v.path) throw new TesseraError(v.code, v.detail);
      const path = v.path!;
      pass('path', path.map((c) => c.subjectText).join(' → '));

      current = 'authenticationCa';
      // NTAuth: "the issuing CA must be in the NTAuthCertificates
      // store" (KB281245), not merely chain to a trusted root.
      const issuing = path[1];
      if (!this.#trust.authenticationCas.some((c) => sameCa(c, issuing))) {
        throw new TesseraError(
          'SIGNIN_CA_NOT_TRUSTED_FOR_LOGON',
          `"${issuing.subjectText}" chains to the trusted root ` +
            `"${path[path.length - 1].subjectText}" but is not in the authentication trust list`,
        );
      }
      pass('authenticationCa', issuing.subjectText);

      const stageSummary: Record<'signatures' | 'constraints' | 'validity', string> = {
        signatures:
          'every signature in the path verified (SHA-256 or stronger; RSA ≥ 2048 bits or ECDSA on a named curve)',
        constraints:
          'RFC 5280 §6.1: every CA has cA TRUE, keyCertSign and room in its path length; ' +
          'name constraints, certificate policies and critical extensions satisfied',
        validity: `valid until ${leaf.notAfter.toISOString()}`,
      };
      for (const stage of ['signatures', 'constraints', 'validity'] as const) {
        current = stage;
        if (!v.ok && v.stage === stage) throw new TesseraError(v.code, v.detail);
        // X.509 / RFC 5280 §4.2.1.9: the end entity of a sign-in must not be a CA.
        if (stage === 'constraints' && leaf.basicConstraints?.ca)
          throw new TesseraError(
            'SIGNIN_BASIC_CONSTRAINTS',
            `the end-entity certificate "${leaf.subjectText}" has cA TRUE`,
          );
        pass(stage, stageSummary[stage]);
      }

      current = 'keyUsage';
      // ff404293 "Certificate Requirements for Smart Card Logon": key usage digital signature.
      if (!leaf.keyUsage?.has('digitalSignature'))
        throw new TesseraError(
          'SIGNIN_KEY_USAGE',
          leaf.keyUsage ? `keyUsage is ${[...leaf.keyUsage].join(', ')}` : 'no keyUsage extension',
        );
      pass('keyUsage', [...leaf.keyUsage].join(', '));

      current = 'eku';
      pass('eku', this.#eku(path));

      current = 'revocation';
      const notes: string[] = [];
      // Every certificate but the anchor (docs/security.md §8.10; KB281245 "CRLs of every CA in the chain").
      const context = {
        anchor: path[path.length - 1],
        bag: [...path, ...this.#trust.authenticationCas, ...parsed.slice(1)],
      };
      for (let i = 0; i < path.length - 1; i++) {
        try {
          const r = await this.#revocation.check(path[i], path[i + 1], context);
          notes.push(`${path[i].subjectText}: ${r.source.toUpperCase()}${r.delta ? ' (with delta)' : ''}`);
        } catch (e) {
          // Soft-fail lets through only "no answer" — never a revocation or an untrustworthy answer.
          if (!(this.#softFail && e instanceof TesseraError && e.code === 'SIGNIN_REVOCATION_UNKNOWN')) throw e;
          warnings.push(
            `revocation status of "${path[i].subjectText}" (serial ` +
              `${path[i].serial}) unknown, allowed by soft-fail: ${e.detail}`,
          );
          notes.push(`${path[i].subjectText}: UNKNOWN (soft-fail)`);
        }
      }
      pass(
        'revocation',
        warnings.length ? `not known to be revoked — ${notes.join('; ')}` : `not revoked — ${notes.join('; ')}`,
      );

      current = 'mapping';
      mapped = await mapAccount(leaf, this.#accounts, this.#mapping);
      pass('mapping', `${mapped.strength} mapping (${mappingText(mapped)}) to ${mapped.account.username}`);

      current = 'account';
      checkAccount(leaf, mapped.account, this.#creationToleranceMs);
      pass(
        'account',
        `${mapped.account.username} is enabled and was created ${mapped.account.createdAt.toISOString()}`,
      );

      const { account, ...mapping } = mapped;
      return {
        ok: true,
        account,
        mapping,
        certificate: certificateSummary(leaf),
        path: path.map(certificateSummary),
        checks,
        ...(warnings.length ? { warnings } : {}),
      };
    } catch (e) {
      const err = e instanceof TesseraError ? e : new TesseraError('INTERNAL', (e as Error)?.stack ?? String(e));
      // A refusal after mapping does not tell the presenter which account the certificate maps to.
      const m = checks.findIndex((c) => c.id === 'mapping');
      if (m >= 0)
        checks[m] = {
          ...checks[m],
          summary: 'the certificate maps to one directory account (named in the audit record)',
        };
      // A possession check that never ran for want of a certificate says so in its summary.
      const notPerformed = current === 'possession' && err.code === 'SIGNIN_CERT_MISSING';
      const summary = notPerformed
        ? `Not performed: ${errorRegistry[err.code].message}`
        : errorRegistry[err.code].message;
      checks.push({
        id: current,
        title: CHECK_TITLES[current],
        status: 'failed',
        code: err.code,
        summary,
        detail: err.detail ?? err.code,
      });
      for (const id of ORDER.slice(ORDER.indexOf(current) + 1))
        checks.push({ id, title: CHECK_TITLES[id], status: 'not run', summary: 'not run: an earlier check failed' });
      return {
        ok: false,
        code: err.code,
        detail: err.detail ?? err.code,
        ...(leaf ? { certificate: certificateSummary(leaf) } : {}),
        ...(mapped ? { account: mapped.account.username } : {}),
        checks,
      };
    }
  }

  /** The accepted EKU the end entity carries; throws SIGNIN_EKU. */
  #eku(path: readonly ParsedCertificate[]): string {
    const leaf = path[0];
    const names = (oids: readonly string[]) =>
      oids
        .map((o) =>
          o === OID.smartcardLogon ? 'Smart Card Logon' : o === OID.clientAuth ? 'Client Authentication' : o,
        )
        .join(' or ');
    // ff404293: the EKU extension with Smart Card Logon (Client Authentication for TLS-only services).
    const have = leaf.extKeyUsage?.filter((e) => this.#ekus.includes(e)) ?? [];
    if (!have.length)
      throw new TesseraError(
        'SIGNIN_EKU',
        leaf.extKeyUsage
          ? `EKU ${leaf.extKeyUsage.join(', ')} lacks ${names(this.#ekus)}`
          : `no extended key usage extension (${names(this.#ekus)} required)`,
      );
    // ESC15 / CVE-2024-49019: Windows honours application policies over the EKU; if present they must agree.
    if (leaf.applicationPolicies && !leaf.applicationPolicies.some((p) => this.#ekus.includes(p))) {
      throw new TesseraError(
        'SIGNIN_EKU',
        `the application policies ${leaf.applicationPolicies.join(', ')} do not include ${names(this.#ekus)}`,
      );
    }
    // KB281245: the logon EKU must be valid through the whole chain — a CA with an EKU or
    // application-policy extension constrains what it may issue.
    for (const ca of path.slice(1)) {
      if (ca.extKeyUsage && !ca.extKeyUsage.some((e) => this.#ekus.includes(e) || e === OID.anyExtendedKeyUsage))
        throw new TesseraError(
          'SIGNIN_EKU',
          `the CA "${ca.subjectText}" is restricted to EKU ${ca.extKeyUsage.join(', ')}`,
        );
      if (
        ca.applicationPolicies &&
        !ca.applicationPolicies.some((e) => this.#ekus.includes(e) || e === ANY_APPLICATION_POLICY)
      )
        throw new TesseraError(
          'SIGNIN_EKU',
          `the CA "${ca.subjectText}" is restricted to application policies ${ca.applicationPolicies.join(', ')}`,
        );
    }
    return names(have);
  }
}

export function mappingText(m: Omit<Mapping, 'account'>): string {
  switch (m.kind) {
    case 'sid-extension':
      return `SID extension ${m.sid}`;
    case 'sid-uri':
      return `SID URI ${m.sid}`;
    case 'explicit-issuer-serial':
    case 'explicit-ski':
      return `explicit ${m.explicit}`;
    case 'upn':
      return `UPN ${m.upn} only`;
  }
}
