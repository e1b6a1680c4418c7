/**
 * The policy module (AD CS's CertificateAuthority_MicrosoftDefault.Policy, rebuilt):
 * `verifyRequest` decides issue / pend / deny from facts the RA gathered, with no side
 * effects. Approving a pending request runs it again with `approvedBy` set.
 *
 * Checks run in order; the first that fails decides. Every requester-supplied name or
 * extension that the certificate will not carry is listed in `notes` for the audit trail.
 */
import type { IssuanceProfile } from '../ca/IssuanceProfile.js';
import { OID } from '../x509/oids.js';
import { describeKey } from '../x509/publicKey.js';
import type { Template } from '../template/Template.js';
import type { Decision, PolicyInput } from './PolicyInput.js';
import { buildNames, type NameResult } from './buildNames.js';
import { checkRsaKey } from './checkRsaKey.js';
import { PolicyDenial } from './PolicyDenial.js';
import { mayEnroll } from './mayEnroll.js';

const Deny = PolicyDenial;

export function verifyRequest(input: PolicyInput): Decision {
  const notes: string[] = [];
  try {
    const template = checkTemplate(input);
    checkAccounts(input);
    checkEnrollPermission(input, template);
    checkKey(input, template);
    checkKeySpecAndProvider(input, template, notes);
    checkAgentSignatures(input, template);
    const names = buildNames(input, template, notes);
    if (template.issuance.managerApproval && !input.approvedBy) {
      return {
        kind: 'pend',
        reason: `The ${template.displayName} template requires certificate manager approval.`,
        notes,
      };
    }
    return { kind: 'issue', profile: profileOf(input, template, names), notes };
  } catch (e) {
    if (e instanceof PolicyDenial) return { kind: 'deny', code: e.code, detail: e.detail, notes };
    throw e;
  }
}

/** Template from the RA's resolution; it must exist and be enabled (CERTSRV_E_UNSUPPORTED_CERT_TYPE). */
function checkTemplate(input: PolicyInput): Template {
  if (!input.templateName)
    throw new Deny('TEMPLATE_MISSING', 'no template parameter, CertificateTemplate attribute or template extension');
  const t = input.template;
  if (!t?.enabled) throw new Deny('TEMPLATE_UNKNOWN', input.templateName);
  return t;
}

function checkAccounts(input: PolicyInput): void {
  if (!input.requester.enabled) throw new Deny('USER_DISABLED', `requester ${input.requester.username} is disabled`);
  if (!input.subject.enabled) throw new Deny('USER_DISABLED', `${input.subject.username} is disabled`);
}

/**
 * MS-CRTD: the requester needs Enroll on the template. For enroll on behalf, the agent
 * is the requester and needs Enroll too; the target's eligibility is the agent
 * restrictions' business (checkAgentSignatures).
 */
function checkEnrollPermission(input: PolicyInput, t: Template): void {
  if (!mayEnroll(input.requester, t)) {
    throw new Deny(
      'ENROLL_DENIED',
      `${input.requester.username} is in none of the groups with ` +
        `Enroll on ${t.name} (${t.enroll.join(', ') || 'none'})`,
    );
  }
}

/** Key algorithm, size and (RSA) exponent against the template (CERTSRV_E_KEY_LENGTH, NTE_BAD_ALGID). */
function checkKey(input: PolicyInput, t: Template): void {
  const key = input.request.csr.key;
  if (key.kind === 'rsa') checkRsaKey(input.request.csr.spki, key.bits, t);
  else if (!t.keyAlgorithms.ecCurves.includes(key.curve)) {
    throw new Deny(
      'KEY_NOT_ALLOWED',
      `${describeKey(key)} is not among the curves ${t.name} ` +
        `accepts (${t.keyAlgorithms.ecCurves.join(', ') || 'none'})`,
    );
  }
}

/** The 13.2.2 enrollment CSP attribute, when present, must match the template's key spec and providers. */
function checkKeySpecAndProvider(input: PolicyInput, t: Template, notes: string[]): void {
  const csp = input.request.csr.microsoft.csp;
  if (!csp) return;
  // AT_KEYEXCHANGE = 1, AT_SIGNATURE = 2 (wincrypt.h).
  if ((t.keySpec === 'exchange' && csp.keySpec === 2) || (t.keySpec === 'signature' && csp.keySpec === 1)) {
    throw new Deny(
      'KEY_SPEC_MISMATCH',
      `request key spec ${csp.keySpec === 1 ? 'AT_KEYEXCHANGE' : 'AT_SIGNATURE'}, template ${t.keySpec}`,
    );
  }
  if (csp.provider && t.providers.length && !t.providers.includes(csp.provider)) {
    if (t.enforceProviders) throw new Deny('PROVIDER_NOT_ALLOWED', csp.provider);
    notes.push(`provider "${csp.provider}" is not listed by the template (informational)`);
  }
}

/**
 * msPKI-RA-Signature: the template's number of enrollment agent signatures, each by a
 * certificate with the required application policy, and the agent restrictions allow it.
 */
function checkAgentSignatures(input: PolicyInput, t: Template): void {
  const onBehalf = input.subject.username.toLowerCase() !== input.requester.username.toLowerCase();
  // Enrolling someone else always takes at least one agent signature, whatever the template says.
  const needed = Math.max(t.issuance.agentSignatures, onBehalf ? 1 : 0);
  if (needed === 0) return;
  // Without a template policy, an on-behalf signature still needs Certificate Request Agent
  // (AD CS checks szOID_ENROLLMENT_AGENT for RequesterName: learn.microsoft.com "CMC EOBO Request").
  const policy = t.issuance.agentPolicy ?? OID.certificateRequestAgent;
  const sigs = input.agentSignatures;
  // docs/security.md §4.3: every agent signature on the request must hold up, not just enough of them.
  const broken = sigs.find((s) => s.problem);
  if (broken?.problem) throw new Deny(broken.problem.code, broken.problem.detail);
  const withPolicy = sigs.filter((s) => s.policies.includes(policy));
  if (withPolicy.length < sigs.length) {
    const s = sigs.find((x) => !x.policies.includes(policy))!;
    throw new Deny(
      'AGENT_EKU_MISSING',
      `agent certificate ${s.certificateSerial} lacks application policy ${policy} required by ${t.name}`,
    );
  }
  if (withPolicy.length < needed) {
    throw new Deny(
      'SIGNATURES_REQUIRED',
      onBehalf && withPolicy.length === 0
        ? 'enrolling on behalf of another user needs a valid enrollment agent signature'
        : `${t.name} needs ${needed} enrollment agent signature(s) ` +
            `with policy ${policy}; the request has ${withPolicy.length}`,
    );
  }
  const refused = withPolicy.find((s) => s.permission);
  if (refused?.permission) throw new Deny(refused.permission.code, refused.permission.detail);
  if (!input.agentPermitted)
    throw new Deny(
      'AGENT_NOT_PERMITTED',
      'the enrollment agent restrictions do not allow this agent to enroll this user for this template',
    );
}

function profileOf(input: PolicyInput, t: Template, names: NameResult): IssuanceProfile {
  const key = input.request.csr.key;
  // RFC 5480 §3: keyEncipherment and dataEncipherment MUST NOT be set for id-ecPublicKey;
  // an Exchange EC key agrees keys instead.
  let keyUsage = [...t.keyUsage];
  if (key.kind === 'ec' && (keyUsage.includes('keyEncipherment') || keyUsage.includes('dataEncipherment'))) {
    keyUsage = keyUsage.filter((k) => k !== 'keyEncipherment' && k !== 'dataEncipherment');
    if (!keyUsage.includes('keyAgreement')) keyUsage.push('keyAgreement');
  }
  return {
    template: {
      name: t.name,
      schemaVersion: t.schemaVersion,
      oid: t.oid,
      majorVersion: t.majorVersion,
      minorVersion: t.minorVersion,
    },
    subject: names.subject,
    san: names.san,
    sid: names.sid,
    ekus: [...t.ekus],
    keyUsage,
    applicationPolicies: t.schemaVersion === 2,
    validityDays: t.validityDays,
    spki: input.request.csr.spki,
    key,
    subjectUser: names.subjectUser,
  };
}
