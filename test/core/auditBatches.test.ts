/**
 * The audit chain head is read once per transaction and written once before its commit
 * (store/AuditStore.ts): group commits of many units, each appending several records,
 * with failing units rolled back and retried alone, still leave one unbroken chain — on
 * SQLite, and on PostgreSQL with a second node appending at the same time.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TesseraError } from '../../src/errors/TesseraError.js';
import { Store } from '../../src/store/Store.js';
import { tmpDir } from '../support/openssl.js';
import { newPgDatabase } from '../support/pg.js';

const auditKey = randomBytes(32);

describe.each(['sqlite', 'postgres'] as const)('audit chain under group commit on %s', (engine) => {
  let store: Store;
  let other: Store | undefined;

  beforeAll(async () => {
    const target = engine === 'sqlite' ? join(tmpDir('audit-batch-'), 'tessera.db') : newPgDatabase('auditbatch');
    store = await Store.open(target, auditKey);
    // A second node (PostgreSQL only: two SQLite connections in one process would wait on each other synchronously).
    if (engine === 'postgres') other = await Store.open(target, auditKey);
  });
  afterAll(async () => {
    await other?.close();
    await store?.close();
  });

  it('keeps one chain through concurrent units of three records each, some of them failing', async () => {
    const unit = (s: Store, node: string, i: number) =>
      s.batch(async (tx) => {
        const seqs = [];
        for (let k = 0; k < 3; k++)
          seqs.push(await tx.audit.append({ actor: node, action: 'test.batch', details: { i, k } }));
        if (i % 7 === 3) throw new TesseraError('REQUEST_NOT_PENDING', `unit ${i} fails after appending`);
        return seqs;
      });
    const runs = [Promise.allSettled(Array.from({ length: 60 }, (_, i) => unit(store, 'node0', i)))];
    if (other) runs.push(Promise.allSettled(Array.from({ length: 60 }, (_, i) => unit(other!, 'node1', i))));
    const settled = (await Promise.all(runs)).flat();
    const ok = settled
      .filter((s): s is PromiseFulfilledResult<number[]> => s.status === 'fulfilled')
      .map((s) => s.value);
    const failed = settled.filter((s) => s.status === 'rejected');
    expect(failed.length).toBe((other ? 2 : 1) * 9);
    // Each surviving unit's records are consecutive, and no sequence number is used twice.
    for (const seqs of ok) expect(seqs).toEqual([seqs[0], seqs[0] + 1, seqs[0] + 2]);
    const all = ok.flat();
    expect(new Set(all).size).toBe(all.length);
    expect((await store.audit.list({ action: 'test.batch', limit: 1000 })).length).toBe(all.length);
    const v = await store.audit.verify();
    expect(v).toMatchObject({ ok: true, records: all.length });
  });

  it('writes the head even when the last append of a transaction is its only one', async () => {
    const seq = await store.transaction((tx) => tx.audit.append({ actor: 'solo', action: 'test.solo' }));
    const again = await store.batch((tx) => tx.audit.append({ actor: 'solo', action: 'test.solo' }));
    expect(again).toBe(seq + 1);
    expect(await store.audit.verify()).toMatchObject({ ok: true });
  });
});
