/**
 * Kysely's driver for better-sqlite3, rebuilt for the issuance hot path. Two changes
 * from Kysely's own SqliteDriver, both measured (bench/README.md, "What was changed"):
 *
 * 1. Prepared statements are cached per SQL text. Kysely's driver calls `db.prepare()`
 *    on every query; with ~16 statements per issued certificate that was 14% of the event
 *    loop (in-process profile, P-256 CA, concurrency 8).
 *
 * 2. The durable flush of a commit runs on the libuv thread pool instead of the event
 *    loop. With `synchronous = FULL`, better-sqlite3's COMMIT calls fdatasync() inside
 *    the synchronous call: 0.3–0.45 ms here, twice per certificate, during which the
 *    process can do nothing else — not even queue the next requests, so Store.batch never
 *    grouped more than one unit per commit (measured: 5,994 commits for 3,000
 *    certificates, COMMIT 41% of wall time, 382 certificates/s).
 *
 *    Instead the connection runs with `synchronous = NORMAL`, and *this driver* calls
 *    fdatasync() on the WAL file (fs.fdatasync, on the thread pool) after every
 *    statement that ends a transaction or writes in autocommit mode, and only then
 *    resolves that statement's promise. That is exactly what FULL adds to NORMAL in WAL
 *    mode (SQLite "PRAGMA synchronous": FULL syncs the WAL at each commit; NORMAL
 *    already syncs at checkpoints and when the WAL restarts), so a COMMIT that has
 *    returned to its caller is on stable storage, as before. While the sync runs the
 *    connection stays held (Kysely's mutex), so no statement of this process — read or
 *    write — can see data that is not yet durable; meanwhile the event loop serves
 *    HTTP, verifies, signs, and queues the next batch, which is what lets group commit
 *    group. (Another process reading the file — the CLI beside a running server — can see
 *    a commit up to one sync, ~0.2 ms, before it is on disk; nothing it could do with it
 *    reaches a client sooner than the server's own answer, which waits for the sync.)
 *    A failed fdatasync poisons the driver: every later query fails with
 *    STORAGE_UNAVAILABLE (after a failed fsync, Linux may have dropped the dirty pages:
 *    retrying it would lie).
 *
 *    `TESSERA_SQLITE_SYNC=inline` restores SQLite's own FULL (fsync inside COMMIT, on the
 *    event loop), for comparison rows in the benchmark.
 *
 *    The sync runs first on the libuv pool; once the connection has committed 64 times
 *    (a server, not a one-shot CLI command), on a worker thread of its own: on the pool it
 *    queued behind RSA signatures (FileSigner signs there too, 0.3 ms each), and every
 *    commit of the group waited for them — with an RSA CA at concurrency 8 the server sat
 *    at 65% CPU with 19 ms median latency.
 *
 * 3. Checkpoints run in a worker thread with its own connection. SQLite checkpoints
 *    automatically inside a COMMIT once the WAL passes 1,000 pages, copying them into the
 *    database file and syncing both files — on the event loop. Measured with rows like
 *    ours (random 16-byte serial keys, three indexes), COMMIT of 8 rows took 480 µs with
 *    automatic checkpoints and 100 µs without. Once a connection has committed 64
 *    times (a server, not a one-shot CLI command), automatic checkpoints are turned off
 *    on it and every 32 commits a worker runs `PRAGMA wal_checkpoint(PASSIVE)` (which
 *    never blocks the writer, and syncs as SQLite's checkpoints always do). If the worker
 *    fails, automatic checkpoints come back on.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { resolve as resolvePath } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';

export type SqliteSyncMode = 'deferred' | 'inline';

/** Statements kept prepared; beyond this the cache starts over (dynamic SQL such as IN lists). */
const MAX_CACHED_STATEMENTS = 512;
/** Commits before checkpoints move to the worker, and commits between two of its checkpoints. */
const CHECKPOINTER_AFTER = 64;
const CHECKPOINT_EVERY = 32;

const SYNCER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { fdatasyncSync } = require('node:fs');
parentPort.on('message', (m) => {
  try { fdatasyncSync(m.fd); parentPort.postMessage({ id: m.id }); }
  catch (e) { parentPort.postMessage({ id: m.id, message: String(e && e.message), code: e && e.code }); }
});
`;

const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = FULL');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next request tries again */ }
});
`;

export class DurableSqliteDriver implements Driver {
  readonly #db: BetterSqlite3.Database;
  readonly #walPath: string;
  readonly #mode: SqliteSyncMode;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  readonly #iterating = new Set<BetterSqlite3.Statement>();
  readonly #mutex = new Mutex();
  #walFd: number | undefined;
  #poisoned: Error | undefined;
  #commits = 0;
  #checkpointer: Worker | undefined;
  #syncer: Worker | undefined;
  #syncId = 0;
  readonly #syncWaiters = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  readonly #connection: DatabaseConnection;
  /** fdatasync calls made (tests check that a commit waits for one). */
  syncs = 0;

  constructor(db: BetterSqlite3.Database, mode: SqliteSyncMode) {
    this.#db = db;
    this.#mode = mode;
    // Absolute now: a relative name would follow a later change of working directory.
    this.#walPath = `${resolvePath(db.name)}-wal`;
    this.#connection = { executeQuery: (q) => this.#execute(q), streamQuery: (q) => this.#stream(q) };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    return this.#connection;
  }

  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  async destroy(): Promise<void> {
    const s = this.#syncer;
    this.#syncer = undefined;
    if (s) await s.terminate();
    const w = this.#checkpointer;
    this.#checkpointer = undefined;
    if (w) {
      const exited = new Promise((r) => w.once('exit', r));
      w.postMessage('close');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      await w.terminate();
    }
    this.#statements.clear();
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#walFd = undefined;
    if (this.#db.open) this.#db.close();
  }

  #prepare(sql: string): BetterSqlite3.Statement {
    const cached = this.#statements.get(sql);
    // A statement being iterated cannot run again until the iteration ends. (Tracked
    // here: better-sqlite3's native `busy` getter was 1.5% of the event loop.)
    if (cached && !this.#iterating.has(cached)) return cached;
    const stmt = this.#db.prepare(sql);
    if (!cached) {
      if (this.#statements.size >= MAX_CACHED_STATEMENTS) this.#statements.clear();
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #execute<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#poisoned) return Promise.reject(this.#poisoned);
    const stmt = this.#prepare(q.sql);
    const wasInTransaction = this.#db.inTransaction;
    let result: QueryResult<R>;
    if (stmt.reader) {
      result = { rows: stmt.all(q.parameters) as R[] };
    } else {
      const { changes, lastInsertRowid } = stmt.run(q.parameters);
      result = {
        numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
        insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
        rows: [],
      };
    }
    if (this.#mode === 'inline' || this.#db.inTransaction) return Promise.resolve(result);
    // Transaction control statements report readonly (sqlite3_stmt_readonly), so a
    // transaction's end is recognised by the connection leaving it.
    const committed = wasInTransaction ? !/^\s*rollback\b/i.test(q.sql) : !stmt.readonly;
    if (!committed) return Promise.resolve(result);
    this.#afterCommit();
    return this.#sync().then(() => result);
  }

  #afterCommit(): void {
    const n = ++this.#commits;
    if (n === CHECKPOINTER_AFTER && !this.#checkpointer) {
      this.#startCheckpointer();
      this.#startSyncer();
    } else if (this.#checkpointer && n % CHECKPOINT_EVERY === 0) this.#checkpointer.postMessage('checkpoint');
  }

  #startCheckpointer(): void {
    try {
      const module = createRequire(import.meta.url).resolve('better-sqlite3');
      const w = new Worker(CHECKPOINTER_SOURCE, {
        eval: true,
        name: 'tessera-checkpoint',
        workerData: { module, file: resolvePath(this.#db.name) },
      });
      w.unref();
      const fallBack = () => {
        if (this.#checkpointer !== w) return;
        this.#checkpointer = undefined;
        if (this.#db.open) this.#db.pragma('wal_autocheckpoint = 1000');
      };
      w.on('error', fallBack);
      w.on('exit', fallBack);
      this.#db.pragma('wal_autocheckpoint = 0');
      this.#checkpointer = w;
    } catch {
      /* automatic checkpoints stay on */
    }
  }

  async *#stream<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (this.#poisoned) throw this.#poisoned;
    const stmt = this.#prepare(q.sql);
    if (!stmt.reader) throw new Error('only statements that return rows can be streamed');
    this.#iterating.add(stmt);
    try {
      for (const row of stmt.iterate(q.parameters)) yield { rows: [row as R] };
    } finally {
      this.#iterating.delete(stmt);
    }
  }

  #startSyncer(): void {
    try {
      const w = new Worker(SYNCER_SOURCE, { eval: true, name: 'tessera-wal-sync' });
      w.unref();
      w.on('message', (m: { id: number; message?: string; code?: string }) => {
        const waiter = this.#syncWaiters.get(m.id);
        this.#syncWaiters.delete(m.id);
        if (!this.#syncWaiters.size) w.unref();
        if (!waiter) return;
        if (m.message === undefined) waiter.resolve();
        else waiter.reject(this.#poison(Object.assign(new Error(m.message), { code: m.code })));
      });
      const gone = (e?: unknown) => {
        if (this.#syncer !== w) return;
        this.#syncer = undefined;
        // A sync whose answer is lost cannot be assumed done.
        for (const waiter of this.#syncWaiters.values())
          waiter.reject(this.#poison(e ?? new Error('the WAL sync thread stopped')));
        this.#syncWaiters.clear();
      };
      w.on('error', gone);
      w.on('exit', () => gone());
      this.#syncer = w;
    } catch {
      /* syncs stay on the libuv pool */
    }
  }

  /** fdatasync the WAL: what `synchronous = FULL` does inside COMMIT, off the event loop. */
  #sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        // The WAL exists from the first write on and stays (same inode) while this
        // connection is open: SQLite removes it only when the last connection closes.
        this.#walFd ??= openSync(this.#walPath, 'r');
      } catch (e) {
        // No WAL yet: nothing was ever written to one (a pragma on a new database).
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') resolve();
        else reject(this.#poison(e));
        return;
      }
      this.syncs++;
      const w = this.#syncer;
      if (w) {
        const id = ++this.#syncId;
        this.#syncWaiters.set(id, { resolve, reject });
        w.ref();
        w.postMessage({ id, fd: this.#walFd });
        return;
      }
      fdatasync(this.#walFd, (e) => (e ? reject(this.#poison(e)) : resolve()));
    });
  }

  #poison(e: unknown): Error {
    const err = Object.assign(
      new Error(`fdatasync of ${this.#walPath} failed: ${(e as Error).message}; restart after checking the disk`),
      { code: 'SQLITE_IOERR_FSYNC', cause: e },
    );
    this.#poisoned = err;
    return err;
  }
}

/** One connection, one user at a time (Kysely's ConnectionMutex, FIFO). */
class Mutex {
  #locked = false;
  readonly #waiters: (() => void)[] = [];

  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}
