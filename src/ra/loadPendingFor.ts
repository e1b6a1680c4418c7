import type { DirectoryUser } from '../directory/Directory.js';
import { TesseraError } from '../errors/TesseraError.js';
import type { RequestRecord } from '../store/records.js';
import type { Tessera } from '../Tessera.js';
import { requireRole, type Actor } from './Actor.js';

/**
 * A pending request a manager may act on. Separation of duties (ESC7, docs/security.md
 * §5.1): not one they submitted, and not one whose certificate would name them.
 */
export async function loadPendingFor(
  t: Tessera,
  actor: Actor,
  requestId: number,
): Promise<{ request: RequestRecord; manager: DirectoryUser | null }> {
  requireRole(actor, t.config, 'certificateManagers');
  const request = await t.store.requests.get(requestId);
  if (!request) throw new TesseraError('REQUEST_NOT_FOUND', String(requestId));
  if (request.disposition !== 'pending')
    throw new TesseraError('REQUEST_NOT_PENDING', `request ${requestId} is ${request.disposition}`);
  if (actor.kind === 'local') {
    // Approval is a person's decision; the local administrator must name one (--as).
    throw new TesseraError('FORBIDDEN', 'approving or denying needs a certificate manager identity (--as USER)');
  }
  const me = actor.user.username.toLowerCase();
  if (
    request.requester.toLowerCase() === me ||
    request.subjectUser?.toLowerCase() === me ||
    request.agent?.toLowerCase() === me
  ) {
    throw new TesseraError(
      'APPROVAL_CONFLICT',
      `${actor.user.username} submitted or is the subject of request ${requestId}`,
    );
  }
  return { request, manager: actor.user };
}
