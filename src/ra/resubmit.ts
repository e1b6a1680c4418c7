/**
 * Use case: a certificate manager approves a pending request (AD CS ICertAdmin::
 * ResubmitRequest). The whole policy runs again (`approvedBy` set) with fresh directory
 * facts, so approval never bypasses a name, key or permission check (ESC7,
 * docs/security.md §5.2), and separation of duties holds: a manager cannot approve a request they
 * submitted or one for themselves.
 */
import { TesseraError } from '../errors/TesseraError.js';
import { verifyRequest } from '../policy/verifyRequest.js';
import type { Tessera } from '../Tessera.js';
import { decodeRequest } from '../x509/request.js';
import { actorName, type Actor } from './Actor.js';
import { agentEvidence } from './agentEvidence.js';
import { recordDecision, type SubmitResult } from './recordDecision.js';
import { nameOwners, resolveTemplate } from './submit.js';
import { loadPendingFor } from './loadPendingFor.js';

export async function resubmit(t: Tessera, actor: Actor, requestId: number): Promise<SubmitResult> {
  const started = performance.now();
  const { request, manager } = await loadPendingFor(t, actor, requestId);
  const requester = await t.directory.findUser(request.requester);
  const subject = request.subjectUser ? await t.directory.findUser(request.subjectUser) : requester;
  const decoded = decodeRequest(request.requestDer!);
  const base = {
    submittedAt: request.submittedAt,
    requester: request.requester,
    requestSha256: request.requestSha256,
    source: actor.source,
    subjectUser: request.subjectUser,
    agent: request.agent,
    template: request.template,
    attributes: request.attributes,
  };
  if (!requester || !subject) {
    return recordDecision(
      t,
      actor,
      decoded,
      base,
      { kind: 'deny', code: 'USER_UNKNOWN', detail: 'the requester or subject no longer exists', notes: [] },
      started,
      requestId,
    );
  }
  const { name, template } = await resolveTemplate(t, request.template ?? undefined, request.attributes, decoded);
  const evidence = await agentEvidence(t, decoded, subject, template);
  const decision = verifyRequest({
    request: decoded,
    templateName: name,
    template,
    requester,
    subject,
    agentSignatures: evidence.signatures,
    agentPermitted: evidence.permitted,
    attributes: request.attributes,
    nameOwners: await nameOwners(t, subject, template),
    approvedBy: manager,
  });
  if (decision.kind === 'pend') throw new TesseraError('INTERNAL', 'policy pended an approved request');
  return recordDecision(
    t,
    actor,
    decoded,
    base,
    { ...decision, notes: [...decision.notes, `approved by ${actorName(actor)}`] },
    started,
    requestId,
  );
}
