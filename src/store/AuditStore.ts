import type { Kysely, Selectable } from 'kysely';
import { CompiledStatement } from './compiled.js';
import { chainHash, GENESIS, headMac, makeHead, type AuditContent } from '../audit/chain.js';
import type { Dialect } from './database.js';
import type { AuditEvent, AuditRecord } from './records.js';
import type { AuditTable, Database } from './schema.js';

const HEAD = 'audit_head';

export interface AuditVerification {
  readonly ok: boolean;
  readonly records: number;
  /** The first record that fails, and why. */
  readonly problem?: { readonly seq: number; readonly reason: string };
}

export interface AuditFilter {
  readonly action?: string;
  readonly actor?: string;
  readonly requestId?: number;
  readonly serial?: string;
  readonly limit?: number;
  readonly afterSeq?: number;
}

/**
 * The append-only, hash-chained audit log (audit/chain.ts). Appends run inside the
 * caller's transaction, so a record exists exactly when the change it describes does.
 * The chain head lives in `meta`; on PostgreSQL it is read FOR UPDATE, which serialises
 * appends across every Tessera node sharing the database.
 */
// Statements of every append, compiled once (compiled.ts).
const READ_HEAD = new CompiledStatement<{ readonly key: string }, { value: string }>((db, p, shape) => {
  const q = db.selectFrom('meta').select('value').where('key', '=', p.key);
  return shape === 'for update' ? q.forUpdate() : q;
});
const WRITE_HEAD = new CompiledStatement<{ readonly key: string; readonly value: string }, never>((db, p) =>
  db
    .insertInto('meta')
    .values({ key: p.key, value: p.value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: p.value })),
);
type RecordValues = Readonly<AuditTable>;
const AUDIT_COLUMNS = [
  'seq',
  'at',
  'actor',
  'action',
  'target',
  'request_id',
  'serial',
  'source',
  'details',
  'prev',
  'hash',
] as const;
const INSERT_RECORD = new CompiledStatement<RecordValues, never>((db, p) =>
  db.insertInto('audit').values(Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, p[c]])) as unknown as RecordValues),
);

/** What the chain's HMAC covers, as a stored row holds it. */
const contentOf = (r: Selectable<AuditTable>): AuditContent => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  requestId: r.request_id,
  serial: r.serial,
  source: r.source,
  details: r.details,
});

export class AuditStore {
  /** The chain head as this transaction sees it: read on its first append, written once at its end. */
  #head: { seq: number; hash: string } | undefined;
  #headDirty = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly key: Buffer,
    /**
     * Inside Store.transaction: the head is read once (FOR UPDATE on PostgreSQL, which
     * holds the row lock to the commit) and written once by `writeHead` just before the
     * commit, instead of a select and an upsert per record — a group commit of N
     * issuances appends N records. Outside a transaction each append writes it at once.
     */
    private readonly deferHead = false,
  ) {}

  async append(e: AuditEvent): Promise<number> {
    if (!this.#head) {
      const headRow = (
        await READ_HEAD.run(this.db, this.dialect, { key: HEAD }, this.dialect === 'postgres' ? 'for update' : '')
      ).rows[0];
      const stored = headRow ? (JSON.parse(headRow.value) as { seq: number; hash: string }) : { seq: 0, hash: GENESIS };
      this.#head = { seq: stored.seq, hash: stored.hash };
    }
    const head = this.#head;
    const content: AuditContent = {
      seq: head.seq + 1,
      at: (e.at ?? new Date()).getTime(),
      actor: e.actor,
      action: e.action,
      target: e.target ?? null,
      requestId: e.requestId ?? null,
      serial: e.serial ?? null,
      source: e.source ?? null,
      details: JSON.stringify(e.details ?? {}),
    };
    const hash = chainHash(this.key, head.hash, content);
    const { requestId, ...columns } = content;
    await INSERT_RECORD.run(this.db, this.dialect, { ...columns, request_id: requestId, prev: head.hash, hash });
    this.#head = { seq: content.seq, hash };
    this.#headDirty = true;
    if (!this.deferHead) await this.writeHead();
    return content.seq;
  }

  /** Store the head after this transaction's appends (Store.transaction calls it before COMMIT). */
  async writeHead(): Promise<void> {
    if (!this.#headDirty || !this.#head) return;
    const value = JSON.stringify(makeHead(this.key, this.#head.seq, this.#head.hash));
    await WRITE_HEAD.run(this.db, this.dialect, { key: HEAD, value });
    this.#headDirty = false;
    // Outside a transaction the next append reads the head again: another process may append meanwhile.
    if (!this.deferHead) this.#head = undefined;
  }

  /**
   * Write the genesis head if there is none, so that the first append on PostgreSQL also
   * finds a row to lock FOR UPDATE: two nodes starting on an empty log would otherwise
   * both write record 1 and one would fail on the primary key.
   */
  async ensureHead(): Promise<void> {
    await this.db
      .insertInto('meta')
      .values({ key: HEAD, value: JSON.stringify(makeHead(this.key, 0, GENESIS)) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }

  async list(f: AuditFilter = {}): Promise<AuditRecord[]> {
    let q = this.db
      .selectFrom('audit')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(f.limit ?? 100);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.actor) q = q.where('actor', '=', f.actor);
    if (f.requestId !== undefined) q = q.where('request_id', '=', f.requestId);
    if (f.serial) q = q.where('serial', '=', f.serial);
    if (f.afterSeq !== undefined) q = q.where('seq', '>', f.afterSeq);
    const rows = await q.execute();
    return rows.map((r) => ({ ...contentOf(r), at: new Date(r.at), details: JSON.parse(r.details), hash: r.hash }));
  }

  /**
   * Walk the whole chain in sequence order, a page at a time. Detects a modified record
   * (hash mismatch), a deleted or inserted one (sequence gap or broken `prev` link), a
   * reordering (both), a cut tail (the head in `meta` is ahead of the last record) and a
   * head rewound to hide a cut (its HMAC no longer matches). Records appended while the
   * walk runs (a live server beside `tessera audit verify`) are walked too instead of
   * being mistaken for a cut: the head is only compared once a pass finds nothing new.
   */
  async verify(pageSize = 5000): Promise<AuditVerification> {
    await this.writeHead();
    let prev = GENESIS;
    let expected = 1;
    let records = 0;
    for (;;) {
      let walked = 0;
      for (;;) {
        const rows = await this.db
          .selectFrom('audit')
          .selectAll()
          .where('seq', '>=', expected)
          .orderBy('seq')
          .limit(pageSize)
          .execute();
        for (const r of rows) {
          if (r.seq !== expected)
            return {
              ok: false,
              records,
              problem: { seq: expected, reason: `record ${expected} is missing (next is ${r.seq})` },
            };
          if (r.prev !== prev)
            return {
              ok: false,
              records,
              problem: {
                seq: r.seq,
                reason: 'the link to the previous record is broken (deleted, inserted or reordered records)',
              },
            };
          const h = chainHash(this.key, prev, contentOf(r));
          if (h !== r.hash)
            return {
              ok: false,
              records,
              problem: { seq: r.seq, reason: 'the record was modified after it was written' },
            };
          prev = r.hash;
          expected++;
          records++;
          walked++;
        }
        if (rows.length < pageSize) break;
      }
      const headRow = await this.db.selectFrom('meta').select('value').where('key', '=', HEAD).executeTakeFirst();
      // No head at all is an empty log that was never written to; anything else must be authentic.
      const head = headRow
        ? (JSON.parse(headRow.value) as { seq: number; hash: string; mac?: string })
        : { seq: 0, hash: GENESIS, mac: headMac(this.key, 0, GENESIS) };
      if (head.seq > records && walked > 0) continue;
      if (head.mac !== headMac(this.key, head.seq, head.hash)) {
        return {
          ok: false,
          records,
          problem: {
            seq: head.seq,
            reason: `the head of the log (record ${head.seq}) was altered: its HMAC does not match`,
          },
        };
      }
      if (head.seq !== records || head.hash !== prev) {
        return {
          ok: false,
          records,
          problem: {
            seq: records + 1,
            reason:
              `the log ends at record ${records} ` +
              `but its head says ${head.seq}: ` +
              'records were removed from the end',
          },
        };
      }
      return { ok: true, records };
    }
  }
}
