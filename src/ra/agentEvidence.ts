/**
 * Enroll on behalf: judge each enrollment agent signature a request carries, and whether
 * the agent restrictions let those agents enroll this subject for this template
 * (ESC3; docs/security.md §4). The decoder (x509/cmc) already
 * checked the signatures cryptographically; here each agent certificate must:
 *
 *   1. chain to a CA of this Tessera (issuer = a CA subject, signature verifies with its key);
 *   2. be a certificate this CA recorded, byte for byte (the certificates table);
 *   3. not be revoked (status in the certificates table, as CRL and OCSP see it);
 *   4. be within its validity at `t.now()`;
 *   5. carry the application policy the template requires (Certificate Request Agent
 *      1.3.6.1.4.1.311.20.2.1 by default) as EKU or Microsoft application policy;
 *   6. belong to an enabled directory account (the certificate's subject user);
 *   7. and that account must be allowed by the agent restrictions to enroll the subject
 *      for the template (ra/admin/agentRestrictions.ts), and be the one who submitted.
 *
 * Each failure becomes a precise code on the signature; policy/verifyRequest.ts decides.
 */
import type { DirectoryUser } from '../directory/Directory.js';
import type { AgentSignature } from '../policy/PolicyInput.js';
import type { Template } from '../template/Template.js';
import type { Tessera } from '../Tessera.js';
import { readCaCertificate } from '../ca/CaCertificate.js';
import { readSignerCertificate, type SignerCertificate } from '../x509/cmc/signerCertificate.js';
import { OID } from '../x509/oids.js';
import { decodeSignatureAlgorithm, decodeSpki, publicKeyObject, verifySignature } from '../x509/publicKey.js';
import type { DecodedRequest, RequestSigner } from '../x509/request.js';
import { evaluateRestrictions, privilegedGroups } from './admin/agentRestrictions.js';

export interface AgentEvidence {
  readonly signatures: readonly AgentSignature[];
  readonly permitted: boolean;
  readonly notes: readonly string[];
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * @param requester the authenticated submitter, when known (submit); an on-behalf request
 *   must be submitted by one of the agents that signed it, so the audit trail names the
 *   agent who acted.
 */
export async function agentEvidence(
  t: Tessera,
  req: DecodedRequest,
  subject: DirectoryUser,
  template: Template | undefined,
  requester?: DirectoryUser,
): Promise<AgentEvidence> {
  const notes: string[] = [];
  if (req.signers.length === 0) return { signatures: [], permitted: false, notes };
  const requiredPolicy = template?.issuance.agentPolicy ?? OID.certificateRequestAgent;
  const onBehalf = !requester || !same(requester.username, subject.username);
  let rules: Awaited<ReturnType<typeof t.store.agentRestrictions.list>> | undefined;
  let privileged: string[] | undefined;

  const signatures: AgentSignature[] = [];
  for (const signer of req.signers) {
    const judged = await judge(t, signer, requiredPolicy);
    if (judged.problem || !judged.agent) {
      signatures.push(judged);
      continue;
    }
    const agent = judged.agent;
    notes.push(`enrollment agent signature by ${agent.username} (certificate ${judged.certificateSerial}) verified`);
    if (same(agent.username, subject.username)) {
      signatures.push(judged);
      continue;
    }
    if (!template) {
      signatures.push({
        ...judged,
        permission: { code: 'AGENT_NOT_PERMITTED', detail: 'the request names no known template' },
      });
      continue;
    }
    rules ??= await t.store.agentRestrictions.list();
    privileged ??= (await privilegedGroups(t)).map((g) => g.name);
    const decision = evaluateRestrictions(rules, privileged, agent, subject, template.name);
    if (decision.ok) {
      notes.push(
        `agent restriction ${decision.rule.id} lets ${agent.username} enroll ${subject.username} for ${template.name}`,
      );
      signatures.push(judged);
    } else {
      signatures.push({ ...judged, permission: { code: decision.code, detail: decision.detail } });
    }
  }

  // The submitter must be one of the signing agents when enrolling someone else.
  if (requester && onBehalf) {
    const signedBySubmitter = signatures.some(
      (s) => !s.problem && s.agent && same(s.agent.username, requester.username),
    );
    if (!signedBySubmitter && signatures.some((s) => !s.problem)) {
      const signersNames = signatures
        .filter((s) => s.agent)
        .map((s) => s.agent!.username)
        .join(', ');
      const permission = {
        code: 'AGENT_NOT_PERMITTED' as const,
        detail: `the request is signed by ${signersNames} but submitted by ${requester.username}`,
      };
      for (let i = 0; i < signatures.length; i++)
        if (!signatures[i].problem && !signatures[i].permission) signatures[i] = { ...signatures[i], permission };
    }
  }
  if (!onBehalf) notes.push('enrollment agent signatures on a request for the submitter themselves');
  const valid = signatures.filter((s) => !s.problem);
  const permitted = valid.length > 0 && valid.every((s) => !s.permission);
  return { signatures, permitted, notes };
}

/** Steps 1–6 for one signature. */
async function judge(t: Tessera, signer: RequestSigner, requiredPolicy: string): Promise<AgentSignature> {
  let cert: SignerCertificate;
  try {
    cert = readSignerCertificate(signer.certificate);
  } catch (e) {
    return {
      agent: null,
      policies: [],
      certificateSerial: '',
      problem: {
        code: 'AGENT_CERT_UNTRUSTED',
        detail: `the agent certificate cannot be read: ${(e as Error).message}`,
      },
    };
  }
  const policies = [...new Set([...cert.ekus, ...cert.applicationPolicies])];
  const base = { agent: null, policies, certificateSerial: cert.serial };
  const fail = (code: NonNullable<AgentSignature['problem']>['code'], detail: string): AgentSignature => ({
    ...base,
    problem: { code, detail },
  });

  if (!signer.signatureValid)
    return fail(
      'AGENT_SIGNATURE_INVALID',
      `agent certificate ${cert.serial}: ${signer.detail ?? 'the signature does not verify'}`,
    );

  // 1. The issuer is one of our CAs and its key signed the certificate (RFC 5280 §6.1.3 (a)(1)).
  const ca = t.cas.find((c) => c.active && readCaCertificate(c.certificate).subjectDer.equals(cert.issuerDer));
  if (!ca)
    return fail(
      'AGENT_CERT_UNTRUSTED',
      `agent certificate ${cert.serial} was issued by a CA that is not part of this Tessera`,
    );
  const caCert = readCaCertificate(ca.certificate);
  let signedByCa = false;
  try {
    signedByCa = verifySignature(
      decodeSignatureAlgorithm(cert.signatureAlgorithm),
      publicKeyObject(caCert.spki),
      decodeSpki(caCert.spki),
      cert.tbs,
      cert.signature,
    );
  } catch {
    signedByCa = false;
  }
  if (!signedByCa)
    return fail(
      'AGENT_CERT_UNTRUSTED',
      `agent certificate ${cert.serial} names ${caCert.subject} as ` +
        "issuer but its signature does not verify with that CA's key",
    );

  // 2. Recorded by this CA, byte for byte.
  const record = await t.store.certificates.get(cert.serial);
  if (!record || record.caId !== ca.id || !record.der || !record.der.equals(cert.der)) {
    return fail('AGENT_CERT_UNTRUSTED', `agent certificate ${cert.serial} is not in this CA's certificate database`);
  }
  // 3. Revocation, from the same table CRLs and OCSP are built from.
  if (record.status === 'revoked') {
    return fail(
      'AGENT_CERT_REVOKED',
      `agent certificate ${cert.serial} was revoked on ` +
        `${record.revokedAt?.toISOString() ?? '?'} (reason code ${record.revocationReason ?? 0})`,
    );
  }
  if (record.status !== 'issued')
    return fail('AGENT_CERT_UNTRUSTED', `agent certificate ${cert.serial} is ${record.status}`);
  // 4. Validity (RFC 5280 §6.1.3 (a)(2)).
  const now = t.now();
  if (now < cert.notBefore || now > cert.notAfter) {
    return fail(
      'AGENT_CERT_EXPIRED',
      `agent certificate ${cert.serial} is valid from ` +
        `${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`,
    );
  }
  // 5. Application policy / EKU (msPKI-RA-Application-Policies).
  if (!policies.includes(requiredPolicy)) {
    return fail(
      'AGENT_EKU_MISSING',
      `agent certificate ${cert.serial} has ${policies.join(', ') || 'no EKU'}, not ${requiredPolicy}`,
    );
  }
  // 6. The owner, from the certificate's record, in the directory now.
  const owner = record.subjectUser ? await t.directory.findUser(record.subjectUser) : undefined;
  if (!owner)
    return fail(
      'AGENT_NOT_PERMITTED',
      `agent certificate ${cert.serial} belongs to no directory ` +
        `account${record.subjectUser ? ` (${record.subjectUser} no longer exists)` : ''}`,
    );
  if (!owner.enabled)
    return {
      ...base,
      agent: owner,
      problem: { code: 'USER_DISABLED', detail: `enrollment agent ${owner.username} is disabled` },
    };
  return { ...base, agent: owner };
}
