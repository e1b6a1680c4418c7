import type { Kysely, Selectable } from 'kysely';
import { CompiledStatement } from './compiled.js';
import type { Dialect } from './database.js';
import type { CertificateRecord, CertificateStatus } from './records.js';
import type { CertificateTable, Database } from './schema.js';

const toRecord = (r: Omit<Selectable<CertificateTable>, 'tbs'>): CertificateRecord => ({
  serial: r.serial,
  caId: r.ca_id,
  requestId: r.request_id,
  subject: r.subject,
  subjectUser: r.subject_user,
  template: r.template,
  notBefore: new Date(r.not_before),
  notAfter: new Date(r.not_after),
  status: r.status,
  der: r.der,
  issuedAt: r.issued_at === null ? null : new Date(r.issued_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
  revocationReason: r.revocation_reason,
});

const COLUMNS = [
  'serial',
  'ca_id',
  'request_id',
  'subject',
  'subject_user',
  'template',
  'not_before',
  'not_after',
  'status',
  'der',
  'issued_at',
  'revoked_at',
  'revocation_reason',
  'created_at',
] as const;

export interface Reservation {
  readonly serial: string;
  readonly caId: string;
  readonly requestId: number;
  readonly subject: string;
  readonly subjectUser: string | null;
  readonly template: string | null;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly tbs: Buffer;
}

// Issuance-path statements, compiled once (compiled.ts).
interface ReserveValues {
  readonly serial: string;
  readonly ca_id: string;
  readonly request_id: number;
  readonly subject: string;
  readonly subject_user: string | null;
  readonly template: string | null;
  readonly not_before: number;
  readonly not_after: number;
  readonly tbs: Buffer;
  readonly created_at: number;
}
const RESERVE = new CompiledStatement<ReserveValues, never>((db, p) =>
  db.insertInto('certificates').values({
    serial: p.serial,
    ca_id: p.ca_id,
    request_id: p.request_id,
    subject: p.subject,
    subject_user: p.subject_user,
    template: p.template,
    not_before: p.not_before,
    not_after: p.not_after,
    status: 'reserved',
    tbs: p.tbs,
    der: null,
    issued_at: null,
    revoked_at: null,
    revocation_reason: null,
    created_at: p.created_at,
  }),
);
const MARK_ISSUED = new CompiledStatement<
  { readonly serial: string; readonly der: Buffer; readonly issued_at: number },
  never
>((db, p) =>
  db
    .updateTable('certificates')
    .set({ status: 'issued', der: p.der, issued_at: p.issued_at })
    .where('serial', '=', p.serial)
    .where('status', '=', 'reserved'),
);

export interface CertificateFilter {
  readonly status?: CertificateStatus;
  readonly subjectUser?: string;
  readonly caId?: string;
  readonly limit?: number;
}

/**
 * Issued certificates. A certificate exists here before it is signed (status
 * `reserved`, with its to-be-signed bytes) — Boulder's "record intent before signing" —
 * and becomes `issued` in the commit that releases it.
 */
export class CertificateStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  async reserve(r: Reservation, at: Date): Promise<void> {
    await RESERVE.run(this.db, this.dialect, {
      serial: r.serial,
      ca_id: r.caId,
      request_id: r.requestId,
      subject: r.subject,
      subject_user: r.subjectUser,
      template: r.template,
      not_before: r.notBefore.getTime(),
      not_after: r.notAfter.getTime(),
      tbs: r.tbs,
      created_at: at.getTime(),
    });
  }

  async markIssued(serial: string, der: Buffer, at: Date): Promise<void> {
    await MARK_ISSUED.run(this.db, this.dialect, { serial, der, issued_at: at.getTime() });
  }

  /** A reservation that will never be signed (issuance failed or was interrupted). */
  async abandon(serial: string): Promise<void> {
    await this.db
      .updateTable('certificates')
      .set({ status: 'abandoned' })
      .where('serial', '=', serial)
      .where('status', '=', 'reserved')
      .execute();
  }

  async get(serial: string): Promise<CertificateRecord | undefined> {
    const r = await this.db
      .selectFrom('certificates')
      .select(COLUMNS)
      .where('serial', '=', serial.toLowerCase())
      .executeTakeFirst();
    return r && toRecord(r);
  }

  async tbs(serial: string): Promise<Buffer | undefined> {
    const r = await this.db
      .selectFrom('certificates')
      .select('tbs')
      .where('serial', '=', serial.toLowerCase())
      .executeTakeFirst();
    return r?.tbs;
  }

  async byRequest(requestId: number): Promise<CertificateRecord | undefined> {
    const r = await this.db
      .selectFrom('certificates')
      .select(COLUMNS)
      .where('request_id', '=', requestId)
      .where('status', 'in', ['issued', 'revoked'])
      .executeTakeFirst();
    return r && toRecord(r);
  }

  async list(f: CertificateFilter = {}): Promise<CertificateRecord[]> {
    let q = this.db
      .selectFrom('certificates')
      .select(COLUMNS)
      .orderBy('created_at', 'desc')
      .limit(f.limit ?? 100);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.subjectUser) q = q.where((eb) => eb(eb.fn('lower', ['subject_user']), '=', f.subjectUser!.toLowerCase()));
    if (f.caId) q = q.where('ca_id', '=', f.caId);
    return (await q.execute()).map(toRecord);
  }

  async revoke(serial: string, at: Date, reason: number): Promise<boolean> {
    const r = await this.db
      .updateTable('certificates')
      .set({ status: 'revoked', revoked_at: at.getTime(), revocation_reason: reason })
      .where('serial', '=', serial.toLowerCase())
      .where('status', '=', 'issued')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Release from certificateHold (RFC 5280 §5.3.1: only a hold can be undone). */
  async release(serial: string): Promise<boolean> {
    const r = await this.db
      .updateTable('certificates')
      .set({ status: 'issued', revoked_at: null, revocation_reason: null })
      .where('serial', '=', serial.toLowerCase())
      .where('status', '=', 'revoked')
      .where('revocation_reason', '=', 6)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async reserved(): Promise<{ serial: string; requestId: number | null }[]> {
    const rows = await this.db
      .selectFrom('certificates')
      .select(['serial', 'request_id'])
      .where('status', '=', 'reserved')
      .execute();
    return rows.map((r) => ({ serial: r.serial, requestId: r.request_id }));
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('certificates')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}
