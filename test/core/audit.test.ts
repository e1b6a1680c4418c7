/**
 * The audit log under attack (docs/security.md §10; `tessera audit verify` must fail on a
 * tampered database): someone with write access to the database — but not the audit key — edits
 * rows directly with the engine's own client. Verification passes before and fails after
 * each kind of tampering, naming the first record that no longer holds.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/Store.js';
import { opensslCsr, tmpDir } from '../support/openssl.js';
import { newPgDatabase } from '../support/pg.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { submit } from '../../src/ra/submit.js';
import { cli } from '../cli/runCli.js';

const key = randomBytes(32);

/** Raw SQL on the database, bypassing Tessera: what an attacker with DB access can do. */
interface Raw {
  run(sql: string, ...params: unknown[]): Promise<void>;
  rows<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

async function rawClient(engine: 'sqlite' | 'postgres', target: string): Promise<Raw> {
  if (engine === 'sqlite') {
    const db = new BetterSqlite3(target);
    return {
      run: async (sql, ...params) => void db.prepare(sql).run(...params),
      rows: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[],
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  // Same placeholders for both engines: "?" becomes $1, $2, ...
  const numbered = (sql: string) => {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  };
  return {
    run: async (sql, ...params) => void (await client.query(numbered(sql), params)),
    rows: async <T>(sql: string, ...params: unknown[]) => (await client.query(numbered(sql), params)).rows as T[],
    close: () => client.end(),
  };
}

interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  request_id: number | null;
  serial: string | null;
  source: string | null;
  details: string;
  prev: string;
  hash: string;
}

/** The chain hash recomputed the way a tamperer without the key would: plain SHA-256. */
function sha256Only(prev: string, r: AuditRow): string {
  const canonical = JSON.stringify([
    Number(r.seq),
    Number(r.at),
    r.actor,
    r.action,
    r.target,
    r.request_id === null ? null : Number(r.request_id),
    r.serial,
    r.source,
    r.details,
  ]);
  return createHash('sha256').update(prev).update('\n').update(canonical).digest('hex');
}

describe.each(['sqlite', 'postgres'] as const)('audit log tampering on %s', (engine) => {
  /** A fresh log of 8 records, a store to verify it and a raw client to tamper with it. */
  async function freshLog(): Promise<{ store: Store; raw: Raw; done(): Promise<void> }> {
    const target = engine === 'sqlite' ? join(tmpDir('audit-'), 'tessera.db') : newPgDatabase('audit');
    const store = await Store.open(target, key);
    for (let i = 1; i <= 8; i++) {
      await store.transaction((tx) =>
        tx.audit.append({
          actor: i % 2 ? 'carol' : 'alice',
          action: i % 3 ? 'request.denied' : 'certificate.issued',
          requestId: i,
          target: 'alice',
          source: '192.0.2.1',
          details: { code: 'ENROLL_DENIED', i },
        }),
      );
    }
    expect(await store.audit.verify()).toEqual({ ok: true, records: 8 });
    const raw = await rawClient(engine, target);
    const done = async () => {
      await raw.close();
      await store.close();
    };
    return { store, raw, done };
  }

  it('detects a modified record and names it', async () => {
    const { store, raw, done } = await freshLog();
    await raw.run(`UPDATE audit SET details = ? WHERE seq = 4`, JSON.stringify({ code: 'ISSUED_OK', i: 4 }));
    expect(await store.audit.verify()).toEqual({
      ok: false,
      records: 3,
      problem: { seq: 4, reason: 'the record was modified after it was written' },
    });
    await done();
  });

  it('detects a change to any column, e.g. who acted', async () => {
    const { store, raw, done } = await freshLog();
    await raw.run(`UPDATE audit SET actor = 'mallory' WHERE seq = 6`);
    expect((await store.audit.verify()).problem?.seq).toBe(6);
    await done();
  });

  it('detects a deleted middle record', async () => {
    const { store, raw, done } = await freshLog();
    await raw.run(`DELETE FROM audit WHERE seq = 4`);
    expect(await store.audit.verify()).toEqual({
      ok: false,
      records: 3,
      problem: { seq: 4, reason: 'record 4 is missing (next is 5)' },
    });
    await done();
  });

  it('detects two records whose sequence numbers were swapped', async () => {
    const { store, raw, done } = await freshLog();
    await raw.run(`UPDATE audit SET seq = -1 WHERE seq = 3`);
    await raw.run(`UPDATE audit SET seq = 3 WHERE seq = 5`);
    await raw.run(`UPDATE audit SET seq = 5 WHERE seq = -1`);
    expect(await store.audit.verify()).toMatchObject({
      ok: false,
      records: 2,
      problem: { seq: 3, reason: expect.stringMatching(/link to the previous record is broken/) },
    });
    await done();
  });

  it('detects deleted tail records', async () => {
    const { store, raw, done } = await freshLog();
    await raw.run(`DELETE FROM audit WHERE seq >= 7`);
    expect(await store.audit.verify()).toEqual({
      ok: false,
      records: 6,
      problem: { seq: 7, reason: 'the log ends at record 6 but its head says 8: records were removed from the end' },
    });
    await done();
  });

  it('detects deleted tail records even when the head is rewound to match', async () => {
    const { store, raw, done } = await freshLog();
    const [six] = await raw.rows<AuditRow>(`SELECT * FROM audit WHERE seq = 6`);
    await raw.run(`DELETE FROM audit WHERE seq >= 7`);
    const [head] = await raw.rows<{ value: string }>(`SELECT value FROM meta WHERE key = 'audit_head'`);
    const forged = { ...JSON.parse(head.value), seq: 6, hash: six.hash };
    await raw.run(`UPDATE meta SET value = ? WHERE key = 'audit_head'`, JSON.stringify(forged));
    expect(await store.audit.verify()).toMatchObject({
      ok: false,
      problem: { seq: 6, reason: expect.stringMatching(/head of the log .* was altered/) },
    });
    await done();
  });

  it('detects a record re-hashed without the key (SHA-256 only), with the next link patched', async () => {
    const { store, raw, done } = await freshLog();
    const rows = await raw.rows<AuditRow>(`SELECT * FROM audit WHERE seq IN (4, 5) ORDER BY seq`);
    const changed = { ...rows[0], details: JSON.stringify({ code: null, i: 4 }) };
    const rehashed = sha256Only(changed.prev, changed);
    await raw.run(`UPDATE audit SET details = ?, hash = ? WHERE seq = 4`, changed.details, rehashed);
    await raw.run(`UPDATE audit SET prev = ? WHERE seq = 5`, rehashed);
    expect(await store.audit.verify()).toEqual({
      ok: false,
      records: 3,
      problem: { seq: 4, reason: 'the record was modified after it was written' },
    });
    await done();
  });

  it('detects a forged record appended at the end', async () => {
    const { store, raw, done } = await freshLog();
    const [last] = await raw.rows<AuditRow>(`SELECT * FROM audit WHERE seq = 8`);
    const forged: AuditRow = {
      ...last,
      seq: 9,
      actor: 'system',
      action: 'ca.initialized',
      prev: last.hash,
      details: '{}',
    };
    forged.hash = sha256Only(forged.prev, forged);
    await raw.run(
      `INSERT INTO audit (seq, at, actor, action, target, request_id, serial, source, details, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      forged.seq,
      forged.at,
      forged.actor,
      forged.action,
      forged.target,
      forged.request_id,
      forged.serial,
      forged.source,
      forged.details,
      forged.prev,
      forged.hash,
    );
    expect((await store.audit.verify()).problem?.seq).toBe(9);
    await done();
  });
});

describe.each(['sqlite', 'postgres'] as const)("a Tessera's own audit log on %s", (engine) => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await newTestCa({ engine });
  });
  afterAll(async () => ca?.close());

  it('records init, administration and issuance in one chain that verifies, and fails once edited', async () => {
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    const alice = await ca.user('alice');
    const r = await submit(ca.t, {
      request: opensslCsr('P-256').csr,
      template: 'SmartcardUser',
      requester: alice,
      source: '192.0.2.1',
    });
    expect(r.disposition).toBe('issued');
    const actions = (await ca.t.store.audit.list({ limit: 100 })).map((a) => a.action).reverse();
    expect(actions[0]).toBe('ca.initialized');
    expect(actions).toEqual(expect.arrayContaining(['certificate.issued', 'template.changed', 'user.created']));
    const ok = await ca.t.store.audit.verify();
    expect(ok.ok).toBe(true);
    expect((await cli(ca.dir, ['audit', 'verify'])).status).toBe(0);

    const target = engine === 'sqlite' ? join(ca.dir, 'tessera.db') : ca.t.config.database;
    const raw = await rawClient(engine, target);
    try {
      // Hide who received the certificate.
      await raw.run(
        `UPDATE audit SET target = 'bob' WHERE action = 'certificate.issued' AND request_id = ?`,
        r.requestId,
      );
    } finally {
      await raw.close();
    }
    const [issued] = await ca.t.store.audit.list({ requestId: r.requestId });
    expect(await ca.t.store.audit.verify()).toMatchObject({ ok: false, problem: { seq: issued.seq } });
    // And `tessera audit verify` says so, naming the record.
    const verify = await cli(ca.dir, ['--json', 'audit', 'verify']);
    expect(verify.status).not.toBe(0);
    expect(verify.error().code).toBe('AUDIT_CHAIN_BROKEN');
    expect(verify.error().detail).toMatch(
      new RegExp(`^record ${issued.seq}: the record was modified after it was written`),
    );
  });
});
