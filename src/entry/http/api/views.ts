/** JSON shapes of the REST API (documented in openapi.ts). */
import type { DirectoryUser } from '../../../directory/Directory.js';
import type { SubmitResult } from '../../../ra/recordDecision.js';
import type { CertificateRecord, RequestRecord } from '../../../store/records.js';
import type { Template } from '../../../template/Template.js';
import { EKU_NAMES } from '../../../x509/oids.js';
import { toPem } from '../../../x509/pem.js';

export const pem = (der: Buffer) => toPem(der, 'CERTIFICATE');

export function submitView(r: SubmitResult, chainPem: readonly string[]) {
  return {
    requestId: r.requestId,
    disposition: r.disposition,
    message: r.message,
    template: r.template,
    ...(r.code ? { code: r.code } : {}),
    ...(r.serial ? { serial: r.serial } : {}),
    ...(r.certificate ? { certificate: pem(r.certificate), chain: chainPem } : {}),
  };
}

export function requestView(r: RequestRecord, cert: CertificateRecord | undefined, chainPem: readonly string[]) {
  return {
    requestId: r.id,
    disposition: r.disposition,
    message: r.message,
    ...(r.code ? { code: r.code } : {}),
    template: r.template,
    requester: r.requester,
    subjectUser: r.subjectUser,
    agent: r.agent,
    format: r.format,
    submittedAt: r.submittedAt.toISOString(),
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
    resolvedBy: r.resolvedBy,
    serial: r.serial,
    ...(cert?.der && (r.disposition === 'issued' || r.disposition === 'revoked')
      ? { certificate: pem(cert.der), chain: chainPem }
      : {}),
  };
}

export function certificateView(c: CertificateRecord) {
  return {
    serial: c.serial,
    status: c.status,
    subject: c.subject,
    subjectUser: c.subjectUser,
    template: c.template,
    requestId: c.requestId,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    issuedAt: c.issuedAt?.toISOString() ?? null,
    revokedAt: c.revokedAt?.toISOString() ?? null,
    revocationReason: c.revocationReason,
    ...(c.der ? { certificate: pem(c.der) } : {}),
  };
}

export function templateSummary(t: Template) {
  return {
    name: t.name,
    displayName: t.displayName,
    purposes: t.ekus.map((e) => EKU_NAMES[e] ?? e),
    ekus: t.ekus,
    keySpec: t.keySpec,
    keyAlgorithms: t.keyAlgorithms,
    validityDays: t.validityDays,
    managerApproval: t.issuance.managerApproval,
    agentSignatures: t.issuance.agentSignatures,
  };
}

export function userView(u: DirectoryUser) {
  return {
    username: u.username,
    displayName: u.displayName,
    upn: u.upn,
    email: u.email,
    sid: u.sid,
    dn: u.dn,
    enabled: u.enabled,
    createdAt: u.createdAt.toISOString(),
    groups: u.groups,
  };
}
