/**
 * Opening the database: SQLite (better-sqlite3, WAL) by default, PostgreSQL when the
 * URL is postgres://. Only store/ imports this.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type Dialect as KyselyDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { TesseraError } from '../errors/TesseraError.js';
import * as m001 from './migrations/001_initial.js';
import * as m002 from './migrations/002_revocation.js';
import * as m003 from './migrations/003_agent_restrictions.js';
import * as m004 from './migrations/004_revocation_changes.js';
import * as m005 from './migrations/005_sessions.js';
import type { Database } from './schema.js';
import { DurableSqliteDriver, type SqliteSyncMode } from './SqliteDriver.js';

export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where it is, without credentials, for messages. */
  readonly location: string;
  /** SQLite only: the driver, for tests that check the durable flush. */
  readonly sqliteDriver?: DurableSqliteDriver;
}

// PostgreSQL BIGINT (OID 20) comes back as a string by default; every BIGINT column here
// holds milliseconds or IDs far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+)(:[^@/]*)?@/, '//$1:***@');
}

export function openDatabase(target: string): OpenedDatabase {
  if (isPostgresUrl(target)) {
    const pool = new pg.Pool({
      connectionString: target,
      max: 16,
      // Fail fast when the server is away (issue #3: "requests fail fast with a clear
      // storage unavailable error, no hang").
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 10_000,
      query_timeout: 15_000,
    });
    // An idle client losing its connection emits 'error' on the pool; without a
    // listener that would crash the process. The next query reports it instead.
    pool.on('error', () => {});
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', location: redactUrl(target) };
  }
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(target);
  } catch (e) {
    throw new TesseraError('STORAGE_UNAVAILABLE', `cannot open ${target}: ${(e as Error).message}`);
  }
  const wal = String(sqlite.pragma('journal_mode = WAL', { simple: true })).toLowerCase() === 'wal';
  // A commit is on disk before it returns, so a response never promises a certificate
  // the database could lose on power failure. In WAL mode that is SQLite's FULL, with
  // its per-commit fdatasync of the WAL done by DurableSqliteDriver on the thread pool
  // instead of inside COMMIT on the event loop (see SqliteDriver.ts for why and how);
  // NORMAL below is SQLite's FULL minus exactly that sync. Without WAL (an in-memory
  // database, a file system without shared memory), or with TESSERA_SQLITE_SYNC=inline,
  // SQLite's own FULL does it.
  const mode: SqliteSyncMode = wal && !sqlite.memory && process.env.TESSERA_SQLITE_SYNC !== 'inline' ? 'deferred' : 'inline';
  sqlite.pragma(mode === 'deferred' ? 'synchronous = NORMAL' : 'synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const driver = new DurableSqliteDriver(sqlite, mode);
  const dialect: KyselyDialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  return { db: new Kysely<Database>({ dialect }), dialect: 'sqlite', location: target, sqliteDriver: driver };
}

const MIGRATIONS: Record<string, { up: (db: Kysely<any>, d: Dialect) => Promise<void> }> = {
  '001_initial': m001,
  '002_revocation': m002,
  '003_agent_restrictions': m003,
  '004_revocation_changes': m004,
  '005_sessions': m005,
};

export async function migrate(opened: OpenedDatabase): Promise<void> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, mod] of Object.entries(MIGRATIONS)) out[name] = { up: (db) => mod.up(db, opened.dialect) };
      return out;
    },
  };
  const { error, results } = await new Migrator({ db: opened.db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw classifyStorageError(error, `migration ${failed?.migrationName ?? ''} failed`);
  }
}

// SQLSTATE classes that mean "cannot use the database at all" (PostgreSQL Appendix A):
// 08 connection exception, 28 invalid authorization (bad credentials), 3D000 no such
// database, 57P01–57P03 shutdown / cannot connect now, 53300 too many connections.
const PG_UNAVAILABLE = /^(08|28|3D000|57P0[1-3]|53300)/;

/**
 * Map a driver error to the registry: a full disk is STORAGE_FULL, a database that
 * went away is STORAGE_UNAVAILABLE; anything else stays as it is for the caller.
 */
export function classifyStorageError(e: unknown, context = ''): unknown {
  if (e instanceof TesseraError) return e;
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  const msg = err?.message ?? String(e);
  const detail = context ? `${context}: ${msg}` : msg;
  if (code === 'SQLITE_FULL' || code === '53100' || code === 'ENOSPC' || /ENOSPC|disk is full|No space left/i.test(msg)) {
    return new TesseraError('STORAGE_FULL', detail, { cause: e });
  }
  if (
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_BUSY' ||
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_CORRUPT' ||
    PG_UNAVAILABLE.test(code) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|database connection is not open|the database system is (shutting down|starting up)|terminating connection/i.test(msg)
  ) {
    return new TesseraError('STORAGE_UNAVAILABLE', detail, { cause: e });
  }
  return e;
}

export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
