/**
 * The store: the only place that knows SQL. One facade over the repositories, with
 * transactions and group commit.
 */
import { sql, type Kysely } from 'kysely';
import { TesseraError } from '../errors/TesseraError.js';
import { AgentRestrictionStore } from './AgentRestrictionStore.js';
import { AuditStore } from './AuditStore.js';
import { runTransaction } from './runTransaction.js';
import { CaStore } from './CaStore.js';
import { CertificateStore } from './CertificateStore.js';
import { CrlStore } from './CrlStore.js';
import { migrate, openDatabase, type Dialect, type OpenedDatabase } from './database.js';
import { GroupStore } from './GroupStore.js';
import { MetaStore } from './MetaStore.js';
import { RequestStore } from './RequestStore.js';
import { SessionStore } from './SessionStore.js';
import { SigninFailureStore } from './SigninFailureStore.js';
import { classifyStorageError } from './storageErrors.js';
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
  readonly sessions: SessionStore;
  readonly signinFailures: SigninFailureStore;
  #queue: QueuedUnit[] = [];
  #flushing = false;
  #commitsSynced: (() => number) | undefined;
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
    this.sessions = new SessionStore(db);
    this.signinFailures = new SigninFailureStore(db);
  }

  /** Open (creating if needed) and migrate to the latest schema. */
  static async open(target: string, auditKey: Buffer): Promise<Store> {
    const opened: OpenedDatabase = openDatabase(target);
    const store = new Store(opened.db, opened.dialect, opened.location, auditKey, false);
    store.#commitsSynced = opened.sqliteDriver ? () => opened.sqliteDriver!.syncs : undefined;
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
   * Driver failures come out as registry errors (storageErrors.ts).
   */
  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    try {
      return await this.db.connection().execute((conn) => this.#run(conn, fn));
    } catch (e) {
      throw classifyStorageError(e);
    }
  }

  /** One transaction on a held connection. */
  async #run<T>(conn: Kysely<Database>, fn: (tx: Store) => Promise<T>): Promise<T> {
    const tx = new Store(conn, this.dialect, this.location, this.auditKey, true, this.changes);
    try {
      return await runTransaction(conn, this.dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN', async () => {
        const result = await fn(tx);
        // The audit head is written once per transaction, after its last append (AuditStore.ts).
        await tx.audit.writeHead();
        return result;
      });
    } finally {
      for (const kind of tx.#touched) this.changes.bump(kind);
    }
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
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length) {
        // The units are taken once the transaction holds the connection, not before: on
        // SQLite the previous commit's durable sync holds it (SqliteDriver.ts), and
        // everything queued meanwhile joins this commit. (Pipelining instead — the next
        // group's statements running while the previous group syncs — was measured and
        // dropped: groups got smaller, and with them the per-commit costs grew: main-thread
        // CPU per certificate 864–1,083 µs against 525–557 µs at concurrency 32, and lower
        // throughput at 8 and 32; bench/README.md.)
        let units: QueuedUnit[] | undefined;
        try {
          const results = await this.transaction(async (tx) => {
            units = this.#queue.splice(0, MAX_BATCH);
            const out: unknown[] = [];
            for (const u of units) out.push(await u.fn(tx));
            return out;
          });
          units!.forEach((u, i) => {
            u.resolve(results[i]);
          });
        } catch (e) {
          // BEGIN itself failed: the units waiting now share its fate, or this loop would spin.
          units ??= this.#queue.splice(0, MAX_BATCH);
          const storageDown =
            e instanceof TesseraError && (e.code === 'STORAGE_UNAVAILABLE' || e.code === 'STORAGE_FULL');
          if (units.length === 1 || storageDown) {
            for (const u of units) u.reject(e);
            continue;
          }
          for (const u of units) {
            try {
              u.resolve(await this.transaction(u.fn));
            } catch (e2) {
              u.reject(e2);
            }
          }
        }
      }
    } finally {
      this.#flushing = false;
    }
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

  /** Wait until no issuance is in `hold` (at most `graceMs`). */
  async drain(graceMs = 15_000): Promise<void> {
    if (this.#held === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((r) => this.#drained.push(r)),
      new Promise<void>((r) => (timer = setTimeout(r, graceMs))),
    ]);
    clearTimeout(timer);
  }

  /** Close, after the issuances in `hold` finish (at most `graceMs`). */
  async close(graceMs = 15_000): Promise<void> {
    await this.drain(graceMs);
    await this.db.destroy();
  }
}
