/**
 * Certipy's view of a template (docs/security.md §3: Certipy's
 * `_determine_template_capabilities` and the exploitability gate of
 * `get_template_vulnerabilities`, certipy/commands/find.py @ cf2f6d7), computed from a
 * stored definition as it is — including one that was written past validation, so every
 * field is read defensively and an unreadable field counts as the unsafe value.
 */
import { OID } from '../x509/oids.js';

export interface TemplateCapabilities {
  readonly name: string;
  /** "Any Purpose" in the EKUs, or no EKU at all. */
  readonly anyPurpose: boolean;
  /** anyPurpose, or Client Authentication / Smart Card Logon / PKINIT client. */
  readonly clientAuthentication: boolean;
  /** anyPurpose, or Server Authentication. */
  readonly serverAuthentication: boolean;
  /** anyPurpose, or Certificate Request Agent. */
  readonly enrollmentAgent: boolean;
  /** CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT: names come from the request. */
  readonly enrolleeSuppliesSubject: boolean;
  /** CT_FLAG_PEND_ALL_REQUESTS. */
  readonly requiresManagerApproval: boolean;
  /** msPKI-RA-Signature. */
  readonly authorizedSignaturesRequired: number;
  /** CT_FLAG_NO_SECURITY_EXTENSION: no KB5014754 SID extension. */
  readonly noSecurityExtension: boolean;
  readonly schemaVersion: number;
  readonly enabled: boolean;
  /** Groups holding Enroll. */
  readonly enroll: readonly string[];
}

const CLIENT_AUTH: readonly string[] = [OID.clientAuth, OID.smartcardLogon, OID.pkinitClientAuth];

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

export function templateCapabilities(name: string, definition: unknown): TemplateCapabilities {
  const d = obj(definition);
  const ekus = strings(d.ekus);
  const anyPurpose = ekus.length === 0 || ekus.includes(OID.anyExtendedKeyUsage);
  const subjectName = obj(d.subjectName);
  const san = obj(d.san);
  const issuance = obj(d.issuance);
  const signatures = issuance.agentSignatures;
  return {
    name: typeof d.name === 'string' ? d.name : name,
    anyPurpose,
    clientAuthentication: anyPurpose || ekus.some((e) => CLIENT_AUTH.includes(e)),
    serverAuthentication: anyPurpose || ekus.includes(OID.serverAuth),
    enrollmentAgent: anyPurpose || ekus.includes(OID.certificateRequestAgent),
    // Names from the directory only when the definition says so; DNS names always come from the request.
    enrolleeSuppliesSubject: subjectName.source !== 'directory' || san.dns === true,
    requiresManagerApproval: issuance.managerApproval === true,
    authorizedSignaturesRequired:
      typeof signatures === 'number' && Number.isInteger(signatures) && signatures > 0 ? signatures : 0,
    noSecurityExtension: d.includeSid !== true,
    // msPKI-Template-Schema-Version defaults to 1 (Certipy).
    schemaVersion: d.schemaVersion === 2 ? 2 : 1,
    // The policy module refuses a template only when `enabled` is falsy.
    enabled: !!d.enabled,
    enroll: strings(d.enroll),
  };
}
