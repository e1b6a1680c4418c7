/**
 * What the policy module hands the CA: everything the certificate will say, already
 * resolved. The CA never sees users, groups, templates' permissions or HTTP.
 */
import type { KeyUsageName } from '../template/Template.js';
import type { GeneralName } from '../x509/generalNames.js';
import type { NameAttribute } from '../x509/name.js';
import type { PublicKeyInfo } from '../x509/publicKey.js';

export interface TemplateIdentity {
  readonly name: string;
  readonly schemaVersion: 1 | 2;
  readonly oid: string | null;
  readonly majorVersion: number;
  readonly minorVersion: number;
}

export interface IssuanceProfile {
  readonly template: TemplateIdentity;
  readonly subject: readonly NameAttribute[];
  readonly san: readonly GeneralName[];
  /** The SID for the 1.3.6.1.4.1.311.25.2 extension, or null to leave it out. */
  readonly sid: string | null;
  readonly ekus: readonly string[];
  readonly keyUsage: readonly KeyUsageName[];
  /** Emit the Microsoft application policies extension (v2 templates), equal to the EKUs. */
  readonly applicationPolicies: boolean;
  readonly validityDays: number;
  readonly spki: Buffer;
  readonly key: PublicKeyInfo;
  /** The directory account the certificate names (for the store and the audit trail). */
  readonly subjectUser: string | null;
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), for a delegated OCSP responder certificate only. */
  readonly ocspNoCheck?: boolean;
}
