/**
 * The store: the only place that knows SQL. One facade over the repositories, with
 * transactions and group commit.
 */
import { sql, type Kysely } from 'kysely';
import { TesseraError } from '../errors/TesseraError.js';
import { AgentRestrictionStore } from './AgentRestrictionStore.js';
import { AuditStore } from './AuditStore.js';
import { CaStore } from './CaStore.js';
import { CertificateStore } from './CertificateStore.js';
import { CrlStore } from './CrlStore.js';
import { classifyStorageError, migrate, openDatabase, type Dialect, type OpenedDatabase } from './database.js';
import type { DurableSqliteDriver } from './SqliteDriver.js';
import { GroupStore } from './GroupStore.js';
import { MetaStore } from './MetaStore.js';
import { RequestStore } from './RequestStore.js';
import { StoreChanges, type ChangeKind } from './StoreChanges.js';
import type { Database } from './schema.js';
import { TemplateStore } from './TemplateStore.js';
import { UserStore } from './UserStore.js';

interface QueuedUnit {
  readonly fn: (tx: Store) => Promise<unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/** How many units one group commit may carry. */
const MAX_BATCH = 256;

export class Store {
  readonly users: UserStore;
  readonly groups: GroupStore;
  readonly templates: TemplateStore;
  readonly requests: RequestStore;
  readonly certificates: CertificateStore;
  readonly audit: AuditStore;
  readonly cas: CaStore;
  readonly meta: MetaStore;
  readonly agentRestrictions: AgentRestrictionStore;
  readonly crls: CrlStore;
  #queue: QueuedUnit[] = [];
  #flushing = false;
  #commitsSynced: (() => number) | undefined;
  /** SQLite: the driver, for the pipelined group commit. */
  #driver: DurableSqliteDriver | undefined;
  #wake: (() => void) | undefined;
  #held = 0;
  readonly #drained: (() => void)[] = [];
  /** Kinds written in this transaction, counted again when it ends. */
  readonly #touched = new Set<ChangeKind>();

  private constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    readonly location: string,
    private readonly auditKey: Buffer,
    private readonly inTransaction: boolean,
    /** Change counters shared by this Store and its transactions (StoreChanges.ts). */
    readonly changes: StoreChanges = new StoreChanges(),
  ) {
    const onChange = (kind: ChangeKind) => {
      this.changes.bump(kind);
      if (this.inTransaction) this.#touched.add(kind);
    };
    this.users = new UserStore(db, onChange);
    this.groups = new GroupStore(db, onChange);
    this.templates = new TemplateStore(db, onChange);
    this.requests = new RequestStore(db, dialect);
    this.certificates = new CertificateStore(db, dialect);
    this.audit = new AuditStore(db, dialect, auditKey, inTransaction);
    this.cas = new CaStore(db);
    this.meta = new MetaStore(db);
    this.agentRestrictions = new AgentRestrictionStore(db);
    this.crls = new CrlStore(db, dialect);
  }

  /** Open (creating if needed) and migrate to the latest schema. */
  static async open(target: string, auditKey: Buffer): Promise<Store> {
    const opened: OpenedDatabase = openDatabase(target);
    const store = new Store(opened.db, opened.dialect, opened.location, auditKey, false);
    store.#commitsSynced = opened.sqliteDriver ? () => opened.sqliteDriver!.syncs : undefined;
    store.#driver = opened.sqliteDriver;
    try {
      await migrate(opened);
      await store.audit.ensureHead();
    } catch (e) {
      await opened.db.destroy().catch(() => {});
      throw classifyStorageError(e);
    }
    return store;
  }

  /**
   * Run `fn` in one transaction. SQLite uses BEGIN IMMEDIATE so a second process (the
   * CLI beside a running server) waits for the write lock instead of failing on upgrade.
   * Driver failures come out classified (STORAGE_UNAVAILABLE, STORAGE_FULL).
   */
  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    try {
      return await this.db.connection().execute(async (conn) => (await this.#run(conn, fn, false)).result);
    } catch (e) {
      throw classifyStorageError(e);
    }
  }

  /**
   * One transaction on a held connection. With `deferSync` (SQLite batches only) the
   * commit returns before its durable sync, which comes back as `durable`: the caller
   * keeps the connection and reports nothing until it settles (SqliteDriver.ts).
   */
  async #run<T>(conn: Kysely<Database>, fn: (tx: Store) => Promise<T>, deferSync: boolean): Promise<{ result: T; durable: Promise<void> }> {
    await sql.raw(this.dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN').execute(conn);
    const tx = new Store(conn, this.dialect, this.location, this.auditKey, true, this.changes);
    let result: T;
    let durable: Promise<void> = Promise.resolve();
    try {
      try {
        result = await fn(tx);
        // The audit head is written once per transaction, after its last append (AuditStore.ts).
        await tx.audit.writeHead();
      } catch (e) {
        await sql.raw('ROLLBACK').execute(conn).catch(() => {});
        throw e;
      }
      try {
        if (deferSync) this.#driver?.deferNextSync();
        await sql.raw('COMMIT').execute(conn);
        if (deferSync && this.#driver) durable = this.#driver.takeDeferredSync();
      } catch (e) {
        this.#driver?.takeDeferredSync();
        await sql.raw('ROLLBACK').execute(conn).catch(() => {});
        throw e;
      }
    } finally {
      for (const kind of tx.#touched) this.changes.bump(kind);
    }
    return { result, durable };
  }

  /**
   * Group commit: `fn` joins the next transaction together with every other unit queued
   * while the previous one was committing, so N concurrent issuances share one durable
   * commit (one fsync on SQLite). The promise settles only after that commit. When a
   * batch fails for a reason other than the storage itself, each unit is retried on its
   * own, so one bad unit cannot fail its neighbours.
   */
  batch<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.#wake?.();
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      // Checked again here, in the same turn as the flag is cleared: a unit queued while
      // the inner loop was returning would otherwise wait for the next one.
      do {
        if (this.#driver) await this.#flushPipelined(this.#driver);
        else await this.#flushSerial();
      } while (this.#queue.length);
    } finally {
      this.#flushing = false;
    }
  }

  /** PostgreSQL: one transaction per group, the next group taken once it commits. */
  async #flushSerial(): Promise<void> {
    while (this.#queue.length) {
      // The units are taken once the transaction holds a connection, not before.
      let units: QueuedUnit[] | undefined;
      try {
        const results = await this.transaction(async (tx) => {
          units = this.#queue.splice(0, MAX_BATCH);
          const out: unknown[] = [];
          for (const u of units) out.push(await u.fn(tx));
          return out;
        });
        units!.forEach((u, i) => u.resolve(results[i]));
      } catch (e) {
        // BEGIN itself failed: the units waiting now share its fate, or this loop would spin.
        units ??= this.#queue.splice(0, MAX_BATCH);
        await this.#retryAlone(units, e, (u) => this.transaction(u.fn).then(u.resolve, u.reject));
      }
    }
  }

  /**
   * SQLite: group commit, pipelined. The flusher keeps the one connection while there is
   * work: it commits a group, hands its fdatasync to the sync thread and, without waiting
   * for it, commits the next group — everything queued meanwhile — so the statements of
   * group k+1 run while group k is being synced. Each unit settles only once the sync
   * covering its commit has completed (a later sync covers every earlier commit: the WAL
   * is appended in order). The connection is released only after all syncs settled, so
   * no other reader in this process sees what is not yet on disk; someone waiting for it
   * gets it between two groups. Measured: with a P-256 CA at concurrency 8, requests
   * spent 2 ms waiting for the previous group's sync before their own group began.
   */
  async #flushPipelined(driver: DurableSqliteDriver): Promise<void> {
    while (this.#queue.length) {
      const pending = new Set<Promise<void>>();
      try {
        await this.db.connection().execute(async (conn) => {
          try {
            for (let groups = 0; ; groups++) {
              if (!this.#queue.length) {
                if (!pending.size) break;
                // Wait for a sync to finish or for new work, whichever comes first.
                await Promise.race([...pending, new Promise<void>((r) => (this.#wake = r))]);
                this.#wake = undefined;
                continue;
              }
              if (groups > 0 && driver.waiting > 0) break;
              await this.#commitGroup(conn, this.#queue.splice(0, MAX_BATCH), pending);
            }
          } finally {
            this.#wake = undefined;
            await Promise.allSettled([...pending]);
          }
        });
      } catch (e) {
        // The connection itself failed: nothing more can run in this round.
        for (const u of this.#queue.splice(0, MAX_BATCH)) u.reject(classifyStorageError(e));
      }
    }
  }

  async #commitGroup(conn: Kysely<Database>, units: QueuedUnit[], pending: Set<Promise<void>>): Promise<void> {
    const track = (durable: Promise<void>, settle: () => void, fail: (e: unknown) => void) => {
      const p: Promise<void> = durable.then(settle, (e) => fail(classifyStorageError(e))).finally(() => pending.delete(p));
      pending.add(p);
    };
    try {
      const { result, durable } = await this.#run(
        conn,
        async (tx) => {
          const out: unknown[] = [];
          for (const u of units) out.push(await u.fn(tx));
          return out;
        },
        true,
      );
      track(
        durable,
        () => units.forEach((u, i) => u.resolve(result[i])),
        (e) => units.forEach((u) => u.reject(e)),
      );
    } catch (e) {
      await this.#retryAlone(units, classifyStorageError(e), async (u) => {
        try {
          const { result, durable } = await this.#run(conn, u.fn, true);
          track(durable, () => u.resolve(result), u.reject);
        } catch (e2) {
          u.reject(classifyStorageError(e2));
        }
      });
    }
  }

  /** A group failed: storage away fails them all; otherwise each unit runs again alone. */
  async #retryAlone(units: QueuedUnit[], e: unknown, alone: (u: QueuedUnit) => Promise<void>): Promise<void> {
    const storageDown = e instanceof TesseraError && (e.code === 'STORAGE_UNAVAILABLE' || e.code === 'STORAGE_FULL');
    if (units.length === 1 || storageDown) {
      for (const u of units) u.reject(e);
      return;
    }
    for (const u of units) await alone(u);
  }

  /** SQLite: how many commits this Store has synced to disk itself (SqliteDriver.ts); for tests and diagnostics. */
  get commitsSynced(): number | undefined {
    return this.#commitsSynced?.();
  }

  /** A trivial query, for readiness checks. */
  async ping(): Promise<void> {
    try {
      await sql`select 1`.execute(this.db);
    } catch (e) {
      throw classifyStorageError(e);
    }
  }

  /**
   * Run `fn` — an issuance between its intent commit and its release commit — so that
   * `close()` waits for it: a graceful shutdown must not cut an issuance in half and
   * leave its serial reserved (found by the benchmark: wrk closes its connections, Fastify
   * then closes at once while handlers are still between the two commits).
   */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    this.#held++;
    try {
      return await fn();
    } finally {
      if (--this.#held === 0) for (const wake of this.#drained.splice(0)) wake();
    }
  }

  /** Close, after the issuances in `hold` finish (at most `graceMs`). */
  async close(graceMs = 15_000): Promise<void> {
    if (this.#held > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => this.#drained.push(r)), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    await this.db.destroy();
  }
}
