import type { IssuanceProfile } from '../ca/IssuanceProfile.js';
import type { DirectoryUser } from '../directory/Directory.js';
import type { ErrorCode } from '../errors/registry.js';
import type { Template } from '../template/Template.js';
import type { DecodedRequest } from '../x509/request.js';

/**
 * An enrollment agent signature as the RA judged it (ra/agentEvidence.ts): the signature
 * itself, the certificate's chain to this CA, validity, revocation and application
 * policy, and the agent restrictions for this subject and template.
 */
export interface AgentSignature {
  /** The agent's directory account (the certificate's subject user); null when it cannot be resolved. */
  readonly agent: DirectoryUser | null;
  /** Application policies / EKUs of the agent's certificate. */
  readonly policies: readonly string[];
  readonly certificateSerial: string;
  /** Why the signature cannot count (AGENT_SIGNATURE_INVALID, AGENT_CERT_*, ...); absent when it holds. */
  readonly problem?: { readonly code: ErrorCode; readonly detail: string };
  /** Set when the agent restrictions do not let this agent enroll the subject for the template. */
  readonly permission?: { readonly code: ErrorCode; readonly detail: string };
}

/**
 * Everything the policy module decides on, gathered by the RA beforehand, so the
 * decision itself is a pure function without I/O.
 */
export interface PolicyInput {
  readonly request: DecodedRequest;
  readonly templateName: string | null;
  readonly template: Template | undefined;
  /** The authenticated principal that submitted the request. */
  readonly requester: DirectoryUser;
  /** Whose certificate this is: the requester, or the target of an enrollment agent. */
  readonly subject: DirectoryUser;
  /** Verified agent signatures (enroll on behalf of). */
  readonly agentSignatures: readonly AgentSignature[];
  /** Whether the agent restrictions allow these agents to enroll `subject` for `template`. */
  readonly agentPermitted: boolean;
  /** Request attributes (CertAttrib lines, name-value pairs), names lower-cased. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Directory accounts holding the names the certificate would carry (uniqueness, Certifried). */
  readonly nameOwners: { readonly upn: readonly DirectoryUser[]; readonly email: readonly DirectoryUser[] };
  /** Set when a certificate manager approves a pending request (policy re-run, isNew false). */
  readonly approvedBy: DirectoryUser | null;
}

export type Decision =
  | { readonly kind: 'issue'; readonly profile: IssuanceProfile; readonly notes: readonly string[] }
  | { readonly kind: 'pend'; readonly reason: string; readonly notes: readonly string[] }
  | { readonly kind: 'deny'; readonly code: ErrorCode; readonly detail: string; readonly notes: readonly string[] };
