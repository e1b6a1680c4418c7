/**
 * The relying party's decision on a presented smart card certificate: sign in as exactly
 * one directory account, or refuse with the reason (research/security.md §2 "What our RP
 * must check, in order"; acceptance items 20–26). The checks run in this order and the
 * first failure ends the run (fail closed; the later checks are reported "not run"):
 *
 *   possession        the caller proved the key (the TLS handshake's CertificateVerify)
 *   parse             strict DER, size and count limits (parseCertificate.ts)
 *   path              a path to a trust anchor (buildPath.ts), signatures verified on the way
 *   authenticationCa  the issuing CA is in the authentication trust list (NTAuth)
 *   signatures        every signature and key in the path on the allow-list (signatures.ts)
 *   constraints       basicConstraints, pathLenConstraint, CA keyUsage keyCertSign (RFC 5280 §6.1.4)
 *   validity          every certificate valid at the injected clock, bounded skew (§6.1.3 (a)(2))
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
import { buildPath, sameCa, type TrustList } from './buildPath.js';
import { httpFetch, type RevocationFetcher } from './httpFetch.js';
import { checkAccount, mapAccount, parseAltSecurityIdentity, type AccountLookup, type ExplicitMapping, type Mapping } from './mapAccount.js';
import { certificateSummary, parseCertificate, type ParsedCertificate } from './parseCertificate.js';
import { DEFAULT_REVOCATION, RevocationChecker, type RevocationPolicy } from './RevocationChecker.js';
import { algorithmProblem, keyProblem } from './signatures.js';
import { decodeSignatureAlgorithm } from '../x509/publicKey.js';

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
  /** How far notBefore / thisUpdate may be ahead of the clock (default 300 s). */
  readonly clockSkewSeconds?: number;
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

export type CheckId = 'possession' | 'parse' | 'path' | 'authenticationCa' | 'signatures' | 'constraints' | 'validity' | 'keyUsage' | 'eku' | 'revocation' | 'mapping' | 'account';

export const CHECK_TITLES: Record<CheckId, string> = {
  possession: 'Proof of possession of the private key',
  parse: 'Certificate encoding (strict DER)',
  path: 'Chain to a trusted root',
  authenticationCa: 'Issuing CA trusted for sign-in (NTAuth)',
  signatures: 'Signature algorithms and key sizes',
  constraints: 'CA basic constraints and key usage',
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
  readonly #maxPresented: number;
  readonly #maxPath: number;
  readonly #revocation: RevocationChecker;
  readonly #accounts: AccountLookup;
  readonly #now: () => Date;

  /** Throws CONFIG_INVALID for a trust list that is not CA certificates, or a weak explicit mapping. */
  constructor(settings: ValidatorSettings, deps: ValidatorDeps) {
    const ca = (der: Uint8Array, what: string) => {
      let c: ParsedCertificate;
      try {
        c = parseCertificate(der);
      } catch (e) {
        throw new TesseraError('CONFIG_INVALID', `a certificate in ${what} cannot be read: ${(e as TesseraError).detail}`);
      }
      if (!c.basicConstraints?.ca) throw new TesseraError('CONFIG_INVALID', `"${c.subjectText}" in ${what} is not a CA certificate`);
      return c;
    };
    const anchors = settings.trustAnchors.map((d) => ca(d, 'the trust anchors'));
    const authenticationCas = settings.authenticationCas.map((d) => ca(d, 'the authentication trust list'));
    if (!anchors.length) throw new TesseraError('CONFIG_INVALID', 'sign-in needs at least one trust anchor');
    if (!authenticationCas.length) throw new TesseraError('CONFIG_INVALID', 'sign-in needs at least one CA in the authentication trust list');
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
    this.#maxPresented = settings.maxPresented ?? 8;
    this.#maxPath = settings.maxPathLength ?? 6;
    this.#accounts = deps.accounts;
    this.#now = deps.now ?? (() => new Date());
    this.#revocation = new RevocationChecker({ ...DEFAULT_REVOCATION, ...settings.revocation }, deps.fetch ?? httpFetch, this.#now, this.#skewMs);
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
    const pass = (id: CheckId, summary: string) => checks.push({ id, title: CHECK_TITLES[id], status: 'passed', summary });
    let current: CheckId = 'possession';
    let leaf: ParsedCertificate | undefined;
    let mapped: Mapping | undefined;
    try {
      // Proof of possession (research/security.md §2 item 2, acceptance item 26).
      if (!possession.proven) throw new TesseraError('SIGNIN_POSSESSION_NOT_PROVEN', possession.method);
      pass('possession', possession.method);

      current = 'parse';
      if (chain.length === 0) throw new TesseraError('SIGNIN_CERT_MISSING', 'no certificate');
      if (chain.length > this.#maxPresented) throw new TesseraError('SIGNIN_CERT_MALFORMED', `${chain.length} certificates presented (at most ${this.#maxPresented})`);
      const parsed = chain.map((c) => parseCertificate(c));
      leaf = parsed[0];
      // Node adds the issuers it found to what the client sent; all of them are only candidates for the path.
      pass('parse', `${parsed.length} certificate${parsed.length > 1 ? 's' : ''} from the connection, strict DER`);

      current = 'path';
      const path = await buildPath(leaf, parsed.slice(1), this.#trust, { maxDepth: this.#maxPath });
      pass('path', path.map((c) => c.subjectText).join(' → '));

      current = 'authenticationCa';
      // NTAuth: "the issuing CA must be in the NTAuthCertificates store" (KB281245), not merely chain to a trusted root.
      const issuing = path[1];
      if (!this.#trust.authenticationCas.some((c) => sameCa(c, issuing))) {
        throw new TesseraError('SIGNIN_CA_NOT_TRUSTED_FOR_LOGON', `"${issuing.subjectText}" chains to the trusted root "${path[path.length - 1].subjectText}" but is not in the authentication trust list`);
      }
      pass('authenticationCa', issuing.subjectText);

      current = 'signatures';
      for (const c of path) {
        // The anchor's own signature is not relied on (RFC 5280 §6.1.1 (d)), but its key signs the next certificate.
        const problem = (c === path[path.length - 1] ? undefined : algorithmProblem(decodeSignatureAlgorithm(c.signatureAlgorithm))) ?? keyProblem(c.key);
        if (problem) throw new TesseraError('SIGNIN_SIGNATURE_INVALID', `"${c.subjectText}": ${problem}`);
      }
      pass('signatures', 'every signature in the path verified (SHA-256 or stronger; RSA ≥ 2048 bits or ECDSA on a named curve)');

      current = 'constraints';
      this.#constraints(path);
      pass('constraints', 'end entity is not a CA; every CA has cA TRUE, keyCertSign and room in its path length');

      current = 'validity';
      const now = this.#now();
      for (const c of path) {
        // RFC 5280 §6.1.3 (a)(2): "The certificate validity period includes the current time."
        if (c.notBefore.getTime() > now.getTime() + this.#skewMs) throw new TesseraError('SIGNIN_CERT_EXPIRED', `"${c.subjectText}" is not valid before ${c.notBefore.toISOString()} (now ${now.toISOString()})`);
        if (c.notAfter.getTime() < now.getTime()) throw new TesseraError('SIGNIN_CERT_EXPIRED', `"${c.subjectText}" expired at ${c.notAfter.toISOString()} (now ${now.toISOString()})`);
      }
      pass('validity', `valid until ${leaf.notAfter.toISOString()}`);

      current = 'keyUsage';
      // ff404293 "Certificate Requirements for Smart Card Logon": key usage digital signature.
      if (!leaf.keyUsage?.has('digitalSignature')) throw new TesseraError('SIGNIN_KEY_USAGE', leaf.keyUsage ? `keyUsage is ${[...leaf.keyUsage].join(', ')}` : 'no keyUsage extension');
      pass('keyUsage', [...leaf.keyUsage].join(', '));

      current = 'eku';
      pass('eku', this.#eku(path));

      current = 'revocation';
      const notes: string[] = [];
      // Every certificate but the anchor (research/security.md §2 item 5; KB281245 "CRLs of every CA in the chain").
      for (let i = 0; i < path.length - 1; i++) {
        const r = await this.#revocation.check(path[i], path[i + 1]);
        notes.push(`${path[i].subjectText}: ${r.source.toUpperCase()}${r.delta ? ' (with delta)' : ''}`);
      }
      pass('revocation', `not revoked — ${notes.join('; ')}`);

      current = 'mapping';
      mapped = await mapAccount(leaf, this.#accounts, this.#mapping);
      pass('mapping', `${mapped.strength} mapping (${mappingText(mapped)}) to ${mapped.account.username}`);

      current = 'account';
      checkAccount(leaf, mapped.account, this.#creationToleranceMs);
      pass('account', `${mapped.account.username} is enabled and was created ${mapped.account.createdAt.toISOString()}`);

      const { account, ...mapping } = mapped;
      return { ok: true, account, mapping, certificate: certificateSummary(leaf), path: path.map(certificateSummary), checks };
    } catch (e) {
      const err = e instanceof TesseraError ? e : new TesseraError('INTERNAL', (e as Error)?.stack ?? String(e));
      // A refusal after mapping does not tell the presenter which account the certificate maps to.
      const m = checks.findIndex((c) => c.id === 'mapping');
      if (m >= 0) checks[m] = { ...checks[m], summary: 'the certificate maps to one directory account (named in the audit record)' };
      checks.push({ id: current, title: CHECK_TITLES[current], status: 'failed', code: err.code, summary: errorRegistry[err.code].message, detail: err.detail ?? err.code });
      for (const id of ORDER.slice(ORDER.indexOf(current) + 1)) checks.push({ id, title: CHECK_TITLES[id], status: 'not run', summary: 'not run: an earlier check failed' });
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

  /** RFC 5280 §6.1.4 (k), (l), (m), (n) over the CAs of the path, and an end entity that is not a CA. */
  #constraints(path: readonly ParsedCertificate[]): void {
    const leaf = path[0];
    // X.509 / RFC 5280 §4.2.1.9: the end entity must not be a CA (acceptance item 23).
    if (leaf.basicConstraints?.ca) throw new TesseraError('SIGNIN_BASIC_CONSTRAINTS', `the end-entity certificate "${leaf.subjectText}" has cA TRUE`);
    for (let i = 1; i < path.length; i++) {
      const ca = path[i];
      // (k): "verify that the certificate is a CA certificate" — basicConstraints cA TRUE.
      if (!ca.basicConstraints?.ca) throw new TesseraError('SIGNIN_BASIC_CONSTRAINTS', `"${ca.subjectText}" issued "${path[i - 1].subjectText}" but is not a CA (no basicConstraints cA TRUE)`);
      // (n): "If a key usage extension is present, verify that the keyCertSign bit is set."
      if (ca.keyUsage && !ca.keyUsage.has('keyCertSign')) throw new TesseraError('SIGNIN_BASIC_CONSTRAINTS', `"${ca.subjectText}" has no keyCertSign`);
      // (l), (m): non-self-issued intermediates below this CA may not exceed its pathLenConstraint.
      const pathLen = ca.basicConstraints.pathLen;
      if (pathLen !== undefined) {
        const below = path.slice(1, i).filter((c) => !c.selfIssued).length;
        if (below > pathLen) throw new TesseraError('SIGNIN_BASIC_CONSTRAINTS', `"${ca.subjectText}" allows ${pathLen} CA certificates below it, the path has ${below}`);
      }
    }
  }

  /** The accepted EKU the end entity carries; throws SIGNIN_EKU. */
  #eku(path: readonly ParsedCertificate[]): string {
    const leaf = path[0];
    const names = (oids: readonly string[]) => oids.map((o) => (o === OID.smartcardLogon ? 'Smart Card Logon' : o === OID.clientAuth ? 'Client Authentication' : o)).join(' or ');
    // ff404293: the EKU extension with Smart Card Logon (Client Authentication for TLS-only services).
    const have = leaf.extKeyUsage?.filter((e) => this.#ekus.includes(e)) ?? [];
    if (!have.length) throw new TesseraError('SIGNIN_EKU', leaf.extKeyUsage ? `EKU ${leaf.extKeyUsage.join(', ')} lacks ${names(this.#ekus)}` : `no extended key usage extension (${names(this.#ekus)} required)`);
    // ESC15 / CVE-2024-49019: Windows honours application policies over the EKU; if present they must agree.
    if (leaf.applicationPolicies && !leaf.applicationPolicies.some((p) => this.#ekus.includes(p))) {
      throw new TesseraError('SIGNIN_EKU', `the application policies ${leaf.applicationPolicies.join(', ')} do not include ${names(this.#ekus)}`);
    }
    // KB281245: the logon EKU must be valid through the whole chain — a CA with an EKU or
    // application-policy extension constrains what it may issue.
    for (const ca of path.slice(1)) {
      if (ca.extKeyUsage && !ca.extKeyUsage.some((e) => this.#ekus.includes(e) || e === OID.anyExtendedKeyUsage)) throw new TesseraError('SIGNIN_EKU', `the CA "${ca.subjectText}" is restricted to EKU ${ca.extKeyUsage.join(', ')}`);
      if (ca.applicationPolicies && !ca.applicationPolicies.some((e) => this.#ekus.includes(e) || e === ANY_APPLICATION_POLICY)) throw new TesseraError('SIGNIN_EKU', `the CA "${ca.subjectText}" is restricted to application policies ${ca.applicationPolicies.join(', ')}`);
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
