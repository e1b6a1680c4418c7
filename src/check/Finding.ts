/**
 * What `tessera check` reports (docs/security.md §3): findings with a severity,
 * the rule that produced them and the fix, and the status of every rule evaluated.
 */

/** high: exploitable now, or the server would not start / relying parties fail — exit status 1. */
export type Severity = 'high' | 'medium' | 'low' | 'info';

export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low', 'info'];

export interface Finding {
  readonly severity: Severity;
  /** `ESC1` … `ESC17` for the Certipy `find` predicates, a kebab-case name for Tessera's own checks. */
  readonly rule: string;
  /** What the finding is about: `template SmartcardUser`, `user alice`, `CA root`, `keys/root.key.pem`. */
  readonly object: string;
  readonly finding: string;
  readonly fix: string;
}

export type RuleStatus = 'pass' | 'finding' | 'not-applicable' | 'skipped';

export interface RuleResult {
  readonly rule: string;
  readonly title: string;
  readonly status: RuleStatus;
  /** Why a rule passed by design, was not applicable or was skipped. */
  readonly note?: string;
}

export interface SelfAuditReport {
  /** The clock the time-dependent checks used (CRLs, OCSP signer, CA certificates). */
  readonly at: Date;
  readonly findings: readonly Finding[];
  readonly rules: readonly RuleResult[];
  readonly summary: Readonly<Record<Severity, number>>;
}
