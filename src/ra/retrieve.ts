/**
 * Use case: look at a request and its certificate (AD CS RetrievePending; certnew.cer,
 * `GET /api/v1/requests/{id}`). Users see their own requests; managers and auditors see all.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { CertificateRecord, RequestRecord } from '../store/records.js';
import type { Tessera } from '../Tessera.js';
import { hasRole, type Actor } from './Actor.js';

export interface RetrievedRequest {
  readonly request: RequestRecord;
  readonly certificate: CertificateRecord | undefined;
}

export function canSeeAll(t: Tessera, actor: Actor): boolean {
  if (actor.kind === 'local') return true;
  const r = t.config.roles;
  return (
    hasRole(actor.user, r, 'certificateManagers') ||
    hasRole(actor.user, r, 'auditors') ||
    hasRole(actor.user, r, 'caAdministrators')
  );
}

export async function retrieve(t: Tessera, actor: Actor, requestId: number): Promise<RetrievedRequest> {
  const request = await t.store.requests.get(requestId);
  // Someone else's request looks exactly like a missing one: IDs do not leak.
  const mine =
    request &&
    actor.kind === 'user' &&
    (request.requester.toLowerCase() === actor.user.username.toLowerCase() ||
      request.subjectUser?.toLowerCase() === actor.user.username.toLowerCase());
  if (!request || (!mine && !canSeeAll(t, actor))) throw new TesseraError('REQUEST_NOT_FOUND', String(requestId));
  const certificate = request.serial ? await t.store.certificates.get(request.serial) : undefined;
  return { request, certificate };
}

/** `retrieve`, with "no such request (for you)" as undefined instead of an error — certsrv shows it as a page. */
export async function retrieveIfVisible(
  t: Tessera,
  actor: Actor,
  requestId: number,
): Promise<RetrievedRequest | undefined> {
  try {
    return await retrieve(t, actor, requestId);
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'REQUEST_NOT_FOUND') return undefined;
    throw e;
  }
}
