/**
 * Revocation data: published CRLs, the revocation version and changes (migration 004),
 * the keyset-paginated streams CRL generation reads, and the status lookups the OCSP
 * responder makes. The only SQL behind CRLs and OCSP.
 */
import { createHash } from 'node:crypto';
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { TesseraError } from '../errors/TesseraError.js';
import type { Dialect } from './database.js';
import { classifyStorageError, driverCode } from './storageErrors.js';
import type { Database } from './schema.js';
import { runTransaction } from './runTransaction.js';

export type CrlKind = 'full' | 'delta';

export interface CrlRecord {
  readonly caId: string;
  readonly number: number;
  readonly kind: CrlKind;
  /** For a delta CRL, the cRLNumber of its base (RFC 5280 §5.2.4). */
  readonly baseNumber: number | null;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: number;
  /** revocation_version the CRL's snapshot saw. */
  readonly revocationVersion: number;
}

export interface StoredCrl extends CrlRecord {
  readonly der: Buffer;
}

/** One revoked certificate as a full CRL lists it. */
export interface RevokedRow {
  readonly serial: string;
  readonly revoked_at: number;
  readonly revocation_reason: number | null;
}

/** One certificate whose revocation state changed since a version, with its state now. */
export interface ChangedRow {
  readonly serial: string;
  readonly status: string;
  readonly revoked_at: number | null;
  readonly revocation_reason: number | null;
  /** The revocation date recorded with the latest change (for a release: the hold's date). */
  readonly change_at: number;
}

/** What the OCSP responder needs to know about one serial. */
export interface CertificateStatusRow {
  readonly serial: string;
  readonly ca_id: string;
  readonly status: string;
  readonly revoked_at: number | null;
  readonly revocation_reason: number | null;
}

const META_COLUMNS = [
  'ca_id',
  'number',
  'kind',
  'base_number',
  'this_update',
  'next_update',
  'entries',
  'revocation_version',
] as const;

type MetaRow = {
  ca_id: string;
  number: number;
  kind: CrlKind;
  base_number: number | null;
  this_update: number;
  next_update: number;
  entries: number;
  revocation_version: number;
};

const toRecord = (r: MetaRow): CrlRecord => ({
  caId: r.ca_id,
  number: Number(r.number),
  kind: r.kind,
  baseNumber: r.base_number === null ? null : Number(r.base_number),
  thisUpdate: new Date(Number(r.this_update)),
  nextUpdate: new Date(Number(r.next_update)),
  entries: Number(r.entries),
  revocationVersion: Number(r.revocation_version),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A 64-bit advisory lock key per CA, derived from a fixed namespace (pg_advisory_lock takes bigint). */
export function publisherLockKey(caId: string): string {
  return createHash('sha256').update(`tessera.crl-publisher:${caId}`).digest().readBigInt64BE(0).toString();
}

export class CrlStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Run `fn` as the only CRL publisher for `caId`, in one transaction over one
   * consistent snapshot:
   * - PostgreSQL: a session advisory lock taken *before* the transaction begins (so the
   *   REPEATABLE READ snapshot, taken at its first statement, sees every CRL the previous
   *   holder committed), then BEGIN ISOLATION LEVEL REPEATABLE READ. Several nodes on one
   *   database publish one at a time, and CRL numbers never repeat or go backwards
   *   (dogtagpki/pki#138).
   * - SQLite: BEGIN IMMEDIATE, the database write lock.
   * Waits up to `waitMs` for another publisher, then fails with CRL_PUBLISH_BUSY.
   */
  async withPublisherLock<T>(caId: string, fn: (db: Kysely<Database>) => Promise<T>, waitMs = 120_000): Promise<T> {
    const deadline = Date.now() + waitMs;
    try {
      return await this.db.connection().execute(async (conn) => {
        if (this.dialect === 'postgres') {
          const key = publisherLockKey(caId);
          for (;;) {
            const r = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${key}::bigint) as ok`.execute(conn);
            if (r.rows[0]?.ok) break;
            if (Date.now() > deadline)
              throw new TesseraError('CRL_PUBLISH_BUSY', `another node is publishing the CRL of ${caId}`);
            await sleep(25 + Math.random() * 75);
          }
          try {
            return await runTransaction(conn, 'BEGIN ISOLATION LEVEL REPEATABLE READ', fn);
          } finally {
            await sql`select pg_advisory_unlock(${key}::bigint)`.execute(conn).catch(() => {});
          }
        }
        for (;;) {
          try {
            return await runTransaction(conn, 'BEGIN IMMEDIATE', fn);
          } catch (e) {
            // Another process (the CLI beside the server) holds the write lock past busy_timeout.
            if (driverCode(e) !== 'SQLITE_BUSY' || Date.now() > deadline) throw e;
            await sleep(50 + Math.random() * 100);
          }
        }
      });
    } catch (e) {
      throw classifyStorageError(e);
    }
  }

  /** The highest CRL number of a CA over both kinds: full and delta CRLs share one sequence (RFC 5280 §5.2.3). */
  async lastNumber(caId: string): Promise<number> {
    const r = await this.db
      .selectFrom('crls')
      .select((eb) => eb.fn.max('number').as('n'))
      .where('ca_id', '=', caId)
      .executeTakeFirst();
    return r?.n === null || r?.n === undefined ? 0 : Number(r.n);
  }

  /** One CA's CRLs of a kind, highest number first; callers pick the columns. */
  #newestFirst(caId: string, kind: CrlKind) {
    return this.db.selectFrom('crls').where('ca_id', '=', caId).where('kind', '=', kind).orderBy('number', 'desc');
  }

  async latest(caId: string, kind: CrlKind): Promise<CrlRecord | undefined> {
    const r = await this.#newestFirst(caId, kind).select(META_COLUMNS).limit(1).executeTakeFirst();
    return r && toRecord(r as MetaRow);
  }

  async latestNumber(caId: string, kind: CrlKind): Promise<number | undefined> {
    const r = await this.#newestFirst(caId, kind).select('number').limit(1).executeTakeFirst();
    return r ? Number(r.number) : undefined;
  }

  async get(caId: string, number: number): Promise<StoredCrl | undefined> {
    const r = await this.db
      .selectFrom('crls')
      .select([...META_COLUMNS, 'der'])
      .where('ca_id', '=', caId)
      .where('number', '=', number)
      .executeTakeFirst();
    return r && { ...toRecord(r as MetaRow), der: r.der };
  }

  async list(caId?: string, limit = 50): Promise<CrlRecord[]> {
    let q = this.db.selectFrom('crls').select(META_COLUMNS).orderBy('ca_id').orderBy('number', 'desc').limit(limit);
    if (caId) q = q.where('ca_id', '=', caId);
    return (await q.execute()).map((r) => toRecord(r as MetaRow));
  }

  async insert(c: StoredCrl): Promise<void> {
    await this.db
      .insertInto('crls')
      .values({
        ca_id: c.caId,
        number: c.number,
        kind: c.kind,
        base_number: c.baseNumber,
        this_update: c.thisUpdate.getTime(),
        next_update: c.nextUpdate.getTime(),
        entries: c.entries,
        der: c.der,
        revocation_version: c.revocationVersion,
      })
      .execute();
  }

  /** Keep the newest `keep` CRLs of a kind; the newest row keeps the number sequence. */
  async prune(caId: string, kind: CrlKind, keep: number): Promise<void> {
    const cut = await this.#newestFirst(caId, kind).select('number').offset(keep).limit(1).executeTakeFirst();
    if (cut)
      await this.db
        .deleteFrom('crls')
        .where('ca_id', '=', caId)
        .where('kind', '=', kind)
        .where('number', '<=', cut.number)
        .execute();
  }

  /**
   * The revocation version now (migration 004). The OCSP responder asks before every
   * answer (freshness 0), so the query is compiled once, not per call.
   */
  async revocationVersion(): Promise<number> {
    this.#versionQuery ??= this.db.selectFrom('revocation_version').select('version').where('id', '=', 1).compile();
    const r = await this.db.executeQuery(this.#versionQuery);
    return r.rows[0] ? Number(r.rows[0].version) : 0;
  }

  #versionQuery: CompiledQuery<{ version: number }> | undefined;

  /**
   * Revoked certificates of a CA that expire after `notAfterCutoff`, in serial order,
   * one page at a time (keyset pagination on the partial index certificates_crl): the
   * caller never holds more than one page of rows.
   */
  async *revokedPages(caId: string, notAfterCutoff: number, pageSize = 10_000): AsyncGenerator<RevokedRow[]> {
    let after = '';
    for (;;) {
      const rows = await this.db
        .selectFrom('certificates')
        .select(['serial', 'revoked_at', 'revocation_reason'])
        .where('ca_id', '=', caId)
        // A literal, not a parameter, so both engines can use the partial index.
        .where(sql<boolean>`status = 'revoked'`)
        .where('serial', '>', after)
        .where('not_after', '>', notAfterCutoff)
        .orderBy('serial')
        .limit(pageSize)
        .execute();
      if (rows.length === 0) return;
      yield rows as RevokedRow[];
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1].serial;
    }
  }

  /**
   * Certificates of a CA whose revocation state changed after `sinceVersion`, with their
   * state now (for a delta CRL), in serial order, one page at a time.
   */
  async *changedPages(caId: string, sinceVersion: number, pageSize = 10_000): AsyncGenerator<ChangedRow[]> {
    let after = '';
    for (;;) {
      const r = await sql<ChangedRow>`
        select c.serial, c.status, c.revoked_at, c.revocation_reason,
          (select rc.at from revocation_changes rc where rc.serial = c.serial and rc.version > ${sinceVersion} order \
by rc.version desc limit 1) as change_at
        from certificates c
        where c.serial in (select serial from revocation_changes where ca_id = ${caId} and version > ${sinceVersion})
          and c.serial > ${after}
        order by c.serial
        limit ${pageSize}`.execute(this.db);
      const rows = r.rows;
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1].serial;
    }
  }

  /** Serials whose revocation state changed in (fromVersion, toVersion]. */
  async changedSerials(
    fromVersion: number,
    toVersion: number,
    limit = 100_000,
  ): Promise<{ serial: string; caId: string; version: number }[]> {
    const rows = await this.db
      .selectFrom('revocation_changes')
      .select(['serial', 'ca_id', 'version'])
      .where('version', '>', fromVersion)
      .where('version', '<=', toVersion)
      .orderBy('version')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ serial: r.serial, caId: r.ca_id, version: Number(r.version) }));
  }

  /**
   * Status of some serials and the revocation version, read by one statement (one
   * snapshot on both engines), so the OCSP cache knows exactly which version an answer
   * reflects.
   */
  async statusOf(serials: readonly string[]): Promise<{ version: number; rows: CertificateStatusRow[] }> {
    const r = await sql<CertificateStatusRow & { v: number }>`
      select v.version as v, c.serial, c.ca_id, c.status, c.revoked_at, c.revocation_reason
      from revocation_version v
      left join certificates c on c.serial in (${sql.join(serials)})
      where v.id = 1`.execute(this.db);
    const rows = r.rows;
    return { version: rows.length ? Number(rows[0].v) : 0, rows: rows.filter((x) => x.serial !== null) };
  }

  /** The delegated OCSP responder certificates a CA issued, newest first. */
  async serviceCertificates(
    caId: string,
    template: string,
  ): Promise<{ serial: string; der: Buffer; notBefore: Date; notAfter: Date }[]> {
    const rows = await this.db
      .selectFrom('certificates')
      .select(['serial', 'der', 'not_before', 'not_after'])
      .where('ca_id', '=', caId)
      .where('template', '=', template)
      .where('status', '=', 'issued')
      .orderBy('not_after', 'desc')
      .limit(20)
      .execute();
    return rows
      .filter((r) => r.der)
      .map((r) => ({
        serial: r.serial,
        der: r.der!,
        notBefore: new Date(Number(r.not_before)),
        notAfter: new Date(Number(r.not_after)),
      }));
  }
}
