/**
 * Use case: the CRL a relying party gets now — the newest published full or delta CRL of
 * a CA, as stored by ra/publishCrl.ts. Served from memory; the database is asked at
 * most once every `recheckMs` whether a newer CRL exists (another node or the CLI may
 * have published one), and the DER is read only when the number changed.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { CrlKind } from '../store/CrlStore.js';
import type { Tessera } from '../Tessera.js';

export interface CurrentCrl {
  readonly caId: string;
  readonly kind: CrlKind;
  readonly number: number;
  readonly baseNumber: number | null;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: number;
  readonly der: Buffer;
  /** A strong entity tag for HTTP (RFC 9110 §8.8.3): CA, kind and CRL number. */
  readonly etag: string;
}

interface Slot {
  crl?: CurrentCrl;
  checkedAt: number;
  inflight?: Promise<CurrentCrl>;
}

const caches = new WeakMap<Tessera, Map<string, Slot>>();

export async function currentCrl(
  t: Tessera,
  caId: string,
  kind: CrlKind = 'full',
  recheckMs = 1000,
): Promise<CurrentCrl> {
  if (!t.cas.some((c) => c.id === caId && c.active)) throw new TesseraError('NOT_FOUND', `there is no CA "${caId}"`);
  let cache = caches.get(t);
  if (!cache) {
    cache = new Map();
    caches.set(t, cache);
  }
  const key = `${caId}|${kind}`;
  let slot = cache.get(key);
  if (!slot) {
    slot = { checkedAt: 0 };
    cache.set(key, slot);
  }
  if (slot.crl && Date.now() - slot.checkedAt < recheckMs) return slot.crl;
  slot.inflight ??= refresh(t, caId, kind, slot).finally(() => {
    slot!.inflight = undefined;
  });
  return slot.inflight;
}

async function refresh(t: Tessera, caId: string, kind: CrlKind, slot: Slot): Promise<CurrentCrl> {
  const started = Date.now();
  const number = await t.store.crls.latestNumber(caId, kind);
  if (number === undefined) throw new TesseraError('CRL_NOT_PUBLISHED', `${caId} ${kind}`);
  if (slot.crl?.number !== number) {
    const row = await t.store.crls.get(caId, number);
    if (!row) throw new TesseraError('CRL_NOT_PUBLISHED', `${caId} ${kind} ${number}`);
    slot.crl = {
      caId,
      kind,
      number,
      baseNumber: row.baseNumber,
      thisUpdate: row.thisUpdate,
      nextUpdate: row.nextUpdate,
      entries: row.entries,
      der: row.der,
      etag: `"${caId}-${kind}-${number}"`,
    };
  }
  slot.checkedAt = started;
  return slot.crl;
}

/** Forget what is cached for a CA (after this process published, so the next read is the new CRL). */
export function forgetCurrentCrl(t: Tessera, caId: string): void {
  const cache = caches.get(t);
  if (!cache) return;
  for (const kind of ['full', 'delta'] as const) {
    const slot = cache.get(`${caId}|${kind}`);
    if (slot) slot.checkedAt = 0;
  }
}
