/**
 * DurableSqliteDriver (SqliteDriver.ts): prepared statements are reused, every commit
 * and every autocommit write waits for an fdatasync of the WAL before it resolves (and
 * nothing else does), the connection stays at SQLite's FULL guarantee, and checkpoints
 * move to a worker once a connection is busy.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/support/openssl.js';
import { openDatabase, type OpenedDatabase } from './database.js';
import { Store } from './Store.js';

const opened: OpenedDatabase[] = [];
function open(): OpenedDatabase & { driver: NonNullable<OpenedDatabase['sqliteDriver']> } {
  const o = openDatabase(join(tmpDir('driver-'), 'x.db'));
  opened.push(o);
  return { ...o, driver: o.sqliteDriver! };
}
afterEach(async () => {
  for (const o of opened.splice(0)) await o.db.destroy();
});

describe('DurableSqliteDriver', () => {
  it('runs at NORMAL with its own WAL sync per commit (FULL in effect), in WAL mode', async () => {
    const { db } = open();
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
    const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
    expect(mode.rows[0].journal_mode).toBe('wal');
    expect(sync.rows[0].synchronous).toBe(1);
  });

  it('syncs the WAL after each commit and each autocommit write, and after nothing else', async () => {
    const { db, driver } = open();
    await sql`create table t (a integer primary key, b text)`.execute(db);
    let n = driver.syncs;
    const step = async (what: string, q: Promise<unknown>, expected: number) => {
      await q;
      expect({ what, syncs: driver.syncs - n }).toEqual({ what, syncs: expected });
      n = driver.syncs;
    };
    await step('autocommit insert', sql`insert into t (b) values ('x')`.execute(db), 1);
    await step('select', sql`select * from t`.execute(db), 0);
    await step('insert … returning', sql`insert into t (b) values ('y') returning a`.execute(db), 1);
    await db.connection().execute(async (c) => {
      await step('begin', sql`begin immediate`.execute(c), 0);
      await step('insert in a transaction', sql`insert into t (b) values ('z')`.execute(c), 0);
      await step('commit', sql`commit`.execute(c), 1);
      await step('begin', sql`begin immediate`.execute(c), 0);
      await step('insert in a transaction', sql`insert into t (b) values ('w')`.execute(c), 0);
      await step('rollback', sql`rollback`.execute(c), 0);
    });
    await step(
      'Kysely transaction',
      db.transaction().execute((tx) => tx.executeQuery(sql`insert into t (b) values ('v')`.compile(tx))),
      1,
    );
    expect((await sql<{ n: number }>`select count(*) n from t`.execute(db)).rows[0].n).toBe(4);
  });

  it('reuses one prepared statement per SQL text, with fresh parameters each time', async () => {
    const { db } = open();
    await sql`create table t (a integer primary key, b text)`.execute(db);
    const prepare = BetterSqlite3.prototype.prepare;
    const prepared: string[] = [];
    BetterSqlite3.prototype.prepare = function (this: BetterSqlite3.Database, s: string) {
      prepared.push(s);
      return prepare.call(this, s);
    } as typeof prepare;
    try {
      for (let i = 0; i < 5; i++) await sql`insert into t (b) values (${`v${i}`})`.execute(db);
      const got = await Promise.all(
        [0, 3].map(async (i) => (await sql<{ b: string }>`select b from t where a = ${i + 1}`.execute(db)).rows[0].b),
      );
      expect(got).toEqual(['v0', 'v3']);
    } finally {
      BetterSqlite3.prototype.prepare = prepare;
    }
    expect(prepared.filter((s) => s.startsWith('insert'))).toHaveLength(1);
    expect(prepared.filter((s) => s.startsWith('select'))).toHaveLength(1);
  });

  it('streams a statement while the same SQL runs again on the connection', async () => {
    const { db, driver } = open();
    await sql`create table t (a integer primary key)`.execute(db);
    for (let i = 0; i < 3; i++) await sql`insert into t default values`.execute(db);
    const q = CompiledQuery.raw('select a from t order by a');
    const conn = await driver.acquireConnection();
    const seen: unknown[] = [];
    try {
      for await (const r of conn.streamQuery(q)) {
        seen.push((r.rows[0] as { a: number }).a);
        // The cached statement is busy iterating; the same SQL gets a statement of its own.
        expect((await conn.executeQuery(q)).rows).toHaveLength(3);
      }
    } finally {
      await driver.releaseConnection();
    }
    expect(seen).toEqual([1, 2, 3]);
  });

  it('moves checkpoints to a worker once the connection has committed 64 times, and closes cleanly', async () => {
    const { db } = open();
    await sql`create table t (a integer primary key, b blob)`.execute(db);
    const auto = async () =>
      (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows[0].wal_autocheckpoint;
    expect(await auto()).toBe(1000);
    for (let i = 0; i < 200; i++) await sql`insert into t (b) values (${randomBytes(2000)})`.execute(db);
    expect(await auto()).toBe(0);
    // Commits keep landing, and the worker checkpoints them into the database file.
    await new Promise((r) => setTimeout(r, 200));
    expect((await sql<{ n: number }>`select count(*) n from t`.execute(db)).rows[0].n).toBe(200);
  });

  it('with TESSERA_SQLITE_SYNC=inline leaves the sync to SQLite (synchronous = FULL)', async () => {
    process.env.TESSERA_SQLITE_SYNC = 'inline';
    try {
      const { db, driver } = open();
      expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0].synchronous).toBe(2);
      await sql`create table t (a integer)`.execute(db);
      await sql`insert into t values (1)`.execute(db);
      expect(driver.syncs).toBe(0);
    } finally {
      delete process.env.TESSERA_SQLITE_SYNC;
    }
  });
});

describe('Store on the durable driver', () => {
  it('groups concurrent units into fewer commits, each unit settling after its commit was synced', async () => {
    const file = join(tmpDir('driver-'), 'tessera.db');
    const store = await Store.open(file, randomBytes(32));
    try {
      const before = store.commitsSynced!;
      const ids = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.batch(async (tx) => {
            const id = await tx.requests.insert({
              submittedAt: new Date(),
              requester: `u${i}`,
              subjectUser: null,
              agent: null,
              template: null,
              format: 'pkcs10',
              requestDer: null,
              requestSha256: '00'.repeat(32),
              attributes: {},
              disposition: 'pending',
              code: null,
              message: 'x',
              source: null,
            });
            await tx.audit.append({ actor: `u${i}`, action: 'test.batch' });
            await tx.audit.append({ actor: `u${i}`, action: 'test.batch' });
            return id;
          }),
        ),
      );
      expect(new Set(ids).size).toBe(50);
      const commits = store.commitsSynced! - before;
      expect(commits).toBeGreaterThan(0);
      expect(commits).toBeLessThan(50);
      // Another connection sees every unit: each was committed (and synced) before it settled.
      const raw = new BetterSqlite3(file, { readonly: true });
      try {
        expect((raw.prepare("select count(*) n from audit where action = 'test.batch'").get() as { n: number }).n).toBe(
          100,
        );
      } finally {
        raw.close();
      }
      expect(await store.audit.verify()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
  });

  it('close() waits for issuances held open between their two commits', async () => {
    const store = await Store.open(join(tmpDir('driver-'), 'tessera.db'), randomBytes(32));
    let release!: () => void;
    const held = store.hold(async () => {
      await new Promise<void>((r) => (release = r));
      return store.batch((tx) => tx.audit.append({ actor: 'late', action: 'test.held' }));
    });
    const closing = store.close();
    await new Promise((r) => setTimeout(r, 20));
    release();
    expect(await held).toBeGreaterThan(0);
    await closing;
  });
});
