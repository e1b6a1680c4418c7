/** Use case: a certificate manager denies a pending request (ICertAdmin::DenyRequest). A denial is final. */
import type { Tessera } from '../Tessera.js';
import { errorRegistry } from '../errors/registry.js';
import { TesseraError } from '../errors/TesseraError.js';
import { actorName, type Actor } from './Actor.js';
import { loadPendingFor } from './loadPendingFor.js';

export async function denyRequest(
  t: Tessera,
  actor: Actor,
  requestId: number,
  reason?: string,
): Promise<{ requestId: number; message: string }> {
  await loadPendingFor(t, actor, requestId);
  const message = errorRegistry.DENIED_BY_MANAGER.message + (reason ? ` ${reason.slice(0, 500)}` : '');
  await t.store.transaction(async (tx) => {
    const ok = await tx.requests.resolve(requestId, ['pending'], {
      disposition: 'denied',
      code: 'DENIED_BY_MANAGER',
      message,
      resolvedAt: t.now(),
      resolvedBy: actorName(actor),
    });
    if (!ok) throw new TesseraError('REQUEST_NOT_PENDING', `request ${requestId}`);
    await tx.audit.append({
      actor: actorName(actor),
      action: 'request.denied',
      requestId,
      source: actor.source,
      details: { code: 'DENIED_BY_MANAGER', reason: reason ?? null },
    });
  });
  t.exits.emit({ kind: 'denied', requestId, template: null, code: 'DENIED_BY_MANAGER' });
  return { requestId, message };
}
