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
import { GroupStore } from './GroupStore.js';
import { MetaStore } from './MetaStore.js';
import { RequestStore } from './RequestStore.js';
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

  private constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    readonly location: string,
    private readonly auditKey: Buffer,
    private readonly inTransaction: boolean,
  ) {
    this.users = new UserStore(db);
    this.groups = new GroupStore(db);
    this.templates = new TemplateStore(db);
    this.requests = new RequestStore(db);
    this.certificates = new CertificateStore(db);
    this.audit = new AuditStore(db, dialect, auditKey);
    this.cas = new CaStore(db);
    this.meta = new MetaStore(db);
    this.agentRestrictions = new AgentRestrictionStore(db);
    this.crls = new CrlStore(db, dialect);
  }

  /** Open (creating if needed) and migrate to the latest schema. */
  static async open(target: string, auditKey: Buffer): Promise<Store> {
    const opened: OpenedDatabase = openDatabase(target);
    const store = new Store(opened.db, opened.dialect, opened.location, auditKey, false);
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
      return await this.db.connection().execute(async (conn) => {
        await sql.raw(this.dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN').execute(conn);
        let result: T;
        try {
          result = await fn(new Store(conn, this.dialect, this.location, this.auditKey, true));
        } catch (e) {
          await sql.raw('ROLLBACK').execute(conn).catch(() => {});
          throw e;
        }
        try {
          await sql.raw('COMMIT').execute(conn);
        } catch (e) {
          await sql.raw('ROLLBACK').execute(conn).catch(() => {});
          throw e;
        }
        return result;
      });
    } catch (e) {
      throw classifyStorageError(e);
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
        const units = this.#queue.splice(0, MAX_BATCH);
        try {
          const results = await this.transaction(async (tx) => {
            const out: unknown[] = [];
            for (const u of units) out.push(await u.fn(tx));
            return out;
          });
          units.forEach((u, i) => u.resolve(results[i]));
        } catch (e) {
          const storageDown = e instanceof TesseraError && (e.code === 'STORAGE_UNAVAILABLE' || e.code === 'STORAGE_FULL');
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

  /** A trivial query, for readiness checks. */
  async ping(): Promise<void> {
    try {
      await sql`select 1`.execute(this.db);
    } catch (e) {
      throw classifyStorageError(e);
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
