/**
 * Use case: list requests (`GET /api/v1/requests`, the certsrv pending list's REST twin).
 * A user lists the requests they submitted; certificate managers, auditors and CA
 * administrators list every one (retrieve.ts canSeeAll). Newest first, in pages that
 * `beforeId` continues.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { Disposition, RequestRecord } from '../store/records.js';
import type { Tessera } from '../Tessera.js';
import type { Actor } from './Actor.js';
import { canSeeAll } from './retrieve.js';

const DISPOSITIONS: readonly Disposition[] = ['issuing', 'issued', 'pending', 'denied', 'failed', 'revoked'];

export interface RequestQuery {
  /** One disposition, or all when absent. */
  readonly disposition?: string;
  readonly limit: number;
  /** Requests with a smaller ID than this (the next page). */
  readonly beforeId?: number;
}

export async function listRequests(t: Tessera, actor: Actor, q: RequestQuery): Promise<RequestRecord[]> {
  if (q.disposition && !DISPOSITIONS.includes(q.disposition as Disposition)) {
    throw new TesseraError('INPUT_INVALID', `disposition: one of ${DISPOSITIONS.join(', ')}`);
  }
  const all = canSeeAll(t, actor);
  return t.store.requests.list({
    disposition: q.disposition as Disposition | undefined,
    requester: all || actor.kind !== 'user' ? undefined : actor.user.username,
    limit: q.limit,
    beforeId: q.beforeId,
  });
}
