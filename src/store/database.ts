/**
 * Opening the database: SQLite (better-sqlite3, WAL) by default, PostgreSQL when the
 * URL is postgres://. Only store/ imports this.
 */
import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Dialect as KyselyDialect,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import pg from 'pg';
import { TesseraError } from '../errors/TesseraError.js';
import * as m001 from './migrations/001_initial.js';
import * as m002 from './migrations/002_revocation.js';
import * as m003 from './migrations/003_agent_restrictions.js';
import * as m004 from './migrations/004_revocation_changes.js';
import * as m005 from './migrations/005_sessions.js';
import type { Database } from './schema.js';
import { DurableSqliteDriver, type SqliteSyncMode } from './SqliteDriver.js';
import type { Dialect } from './dialect.js';
import { classifyingDialect, storageError } from './storageErrors.js';

export type { Dialect } from './dialect.js';
// entry/http/problem.ts still imports it from here; its classification is a no-op now.

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
      // Fail fast when the server is away: requests fail with STORAGE_UNAVAILABLE instead
      // of hanging (test/http/crashSafety.test.ts).
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 10_000,
      query_timeout: 15_000,
    });
    // An idle client losing its connection emits 'error' on the pool; without a
    // listener that would crash the process. The next query reports it instead.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: classifyingDialect(new PostgresDialect({ pool })) });
    return { db, dialect: 'postgres', location: redactUrl(target) };
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
  const mode: SqliteSyncMode =
    wal && !sqlite.memory && process.env.TESSERA_SQLITE_SYNC !== 'inline' ? 'deferred' : 'inline';
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
  const db = new Kysely<Database>({ dialect: classifyingDialect(dialect) });
  return { db, dialect: 'sqlite', location: target, sqliteDriver: driver };
}

/** A migration gets the schema-less Kysely that Kysely's Migrator passes (see migrations/), and the dialect. */
type DialectMigration = { up: (db: Parameters<Migration['up']>[0], d: Dialect) => Promise<void> };

const MIGRATIONS: Record<string, DialectMigration> = {
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
    // The driver's error, classified here with the migration's name (storageErrors.ts).
    const cause = error instanceof TesseraError && error.cause !== undefined ? error.cause : error;
    throw storageError(cause, `migration ${failed?.migrationName ?? ''} failed`);
  }
}
