/**
 * After a crash: a request left `issuing` never reached its releasing commit, so no
 * client received its certificate. Its reservation is abandoned (the TBS stays on record,
 * Boulder's orphan bookkeeping) and the request is recorded as failed. Only rows older
 * than `olderThanMs` are touched, so a node sharing PostgreSQL never fails another
 * node's in-flight work.
 */
import type { Tessera } from '../Tessera.js';

export async function recoverInterrupted(t: Tessera, olderThanMs: number): Promise<number> {
  const cutoff = t.now().getTime() - olderThanMs;
  const stale = (await t.store.requests.interrupted()).filter((r) => r.submittedAt.getTime() <= cutoff);
  const reserved = await t.store.certificates.reserved();
  for (const r of stale) {
    await t.store.transaction(async (tx) => {
      for (const c of reserved.filter((c) => c.requestId === r.id)) await tx.certificates.abandon(c.serial);
      const ok = await tx.requests.resolve(r.id, ['issuing'], {
        disposition: 'failed',
        code: 'INTERNAL',
        message:
          'Issuance was interrupted (the server stopped); no certificate was released. Submit the request again.',
        resolvedAt: t.now(),
        resolvedBy: null,
      });
      if (ok)
        await tx.audit.append({
          actor: 'system',
          action: 'request.failed',
          requestId: r.id,
          details: { reason: 'interrupted issuance recovered at start' },
        });
    });
  }
  return stale.length;
}
