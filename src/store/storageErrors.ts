/**
 * Driver errors leave store/ as registry errors: every query, BEGIN, COMMIT and connection
 * goes through `classifyingDialect`, so a caller sees STORAGE_UNAVAILABLE, STORAGE_FULL,
 * ALREADY_EXISTS (a unique constraint) or INTERNAL — a TesseraError whose `cause` is the
 * driver's own error — and never a raw SQLite or PostgreSQL error.
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect as KyselyDialect,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { TesseraError } from '../errors/TesseraError.js';

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
  if (
    code === 'SQLITE_FULL' ||
    code === '53100' ||
    code === 'ENOSPC' ||
    /ENOSPC|disk is full|No space left/i.test(msg)
  ) {
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
    new RegExp(
      [
        'Connection terminated',
        'timeout exceeded when trying to connect',
        'Client has encountered a connection error',
        'database connection is not open',
        'the database system is (shutting down|starting up)',
        'terminating connection',
      ].join('|'),
      'i',
    ).test(msg)
  ) {
    return new TesseraError('STORAGE_UNAVAILABLE', detail, { cause: e });
  }
  return e;
}

/** The driver's own error code, also under the TesseraError this module made of it. */
export function driverCode(e: unknown): string | undefined {
  const raw = e instanceof TesseraError ? e.cause : e;
  return (raw as { code?: string } | undefined)?.code;
}

export function isUniqueViolation(e: unknown): boolean {
  const code = driverCode(e);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** Any driver error as a registry error (see the top of this file). */
export function storageError(e: unknown, context = ''): TesseraError {
  const classified = classifyStorageError(e, context);
  if (classified instanceof TesseraError) return classified;
  const msg = (e as { message?: string })?.message ?? String(e);
  const detail = context ? `${context}: ${msg}` : msg;
  return new TesseraError(isUniqueViolation(e) ? 'ALREADY_EXISTS' : 'INTERNAL', detail, { cause: e });
}

async function classified<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw storageError(e);
  }
}

class ClassifyingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    return classified(() => this.inner.executeQuery<R>(q));
  }

  async *streamQuery<R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(q, chunkSize);
    } catch (e) {
      throw storageError(e);
    }
  }
}

const innerOf = (c: DatabaseConnection) => (c instanceof ClassifyingConnection ? c.inner : c);

class ClassifyingDriver implements Driver {
  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return classified(() => this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new ClassifyingConnection(await classified(() => this.inner.acquireConnection()));
  }

  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return classified(() => this.inner.beginTransaction(innerOf(c), settings));
  }

  commitTransaction(c: DatabaseConnection): Promise<void> {
    return classified(() => this.inner.commitTransaction(innerOf(c)));
  }

  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return classified(() => this.inner.rollbackTransaction(innerOf(c)));
  }

  releaseConnection(c: DatabaseConnection): Promise<void> {
    return classified(() => this.inner.releaseConnection(innerOf(c)));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** `dialect` with its driver's errors classified (savepoints are not used by the store). */
export function classifyingDialect(dialect: KyselyDialect): KyselyDialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new ClassifyingDriver(dialect.createDriver()),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}
