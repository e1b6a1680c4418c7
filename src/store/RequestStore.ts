import type { Kysely, Selectable } from 'kysely';
import type { Disposition, NewRequest, RequestRecord } from './records.js';
import type { Database, RequestTable } from './schema.js';

const toRecord = (r: Selectable<RequestTable>): RequestRecord => ({
  id: r.id,
  submittedAt: new Date(r.submitted_at),
  requester: r.requester,
  subjectUser: r.subject_user,
  agent: r.agent,
  template: r.template,
  format: r.format,
  requestDer: r.request_der,
  requestSha256: r.request_sha256,
  attributes: JSON.parse(r.attributes),
  disposition: r.disposition,
  code: r.code,
  message: r.message,
  serial: r.serial,
  resolvedAt: r.resolved_at === null ? null : new Date(r.resolved_at),
  resolvedBy: r.resolved_by,
  source: r.source,
});

export interface RequestFilter {
  readonly disposition?: Disposition;
  readonly requester?: string;
  readonly limit?: number;
  readonly beforeId?: number;
}

/** Requests and their dispositions; the integer ID is assigned by the database. */
export class RequestStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(r: NewRequest): Promise<number> {
    const row = await this.db
      .insertInto('requests')
      .values({
        submitted_at: r.submittedAt.getTime(),
        requester: r.requester,
        subject_user: r.subjectUser,
        agent: r.agent,
        template: r.template,
        format: r.format,
        request_der: r.requestDer,
        request_sha256: r.requestSha256,
        attributes: JSON.stringify(r.attributes),
        disposition: r.disposition,
        code: r.code,
        message: r.message,
        source: r.source,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async get(id: number): Promise<RequestRecord | undefined> {
    const r = await this.db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRecord(r);
  }

  /**
   * Move a request to a new disposition, but only from `from` (so two managers acting at
   * once cannot both resolve it). Returns false when the request was not in `from`.
   */
  async resolve(
    id: number,
    from: readonly Disposition[],
    to: { disposition: Disposition; code: string | null; message: string; serial?: string | null; resolvedAt: Date; resolvedBy: string | null; subjectUser?: string | null },
  ): Promise<boolean> {
    const set: Record<string, unknown> = {
      disposition: to.disposition,
      code: to.code,
      message: to.message,
      resolved_at: to.resolvedAt.getTime(),
      resolved_by: to.resolvedBy,
    };
    if (to.serial !== undefined) set.serial = to.serial;
    if (to.subjectUser !== undefined) set.subject_user = to.subjectUser;
    const r = await this.db.updateTable('requests').set(set).where('id', '=', id).where('disposition', 'in', [...from]).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async list(f: RequestFilter = {}): Promise<RequestRecord[]> {
    let q = this.db.selectFrom('requests').selectAll().orderBy('id', 'desc').limit(f.limit ?? 100);
    if (f.disposition) q = q.where('disposition', '=', f.disposition);
    if (f.requester) q = q.where((eb) => eb(eb.fn('lower', ['requester']), '=', f.requester!.toLowerCase()));
    if (f.beforeId) q = q.where('id', '<', f.beforeId);
    return (await q.execute()).map(toRecord);
  }

  /** Requests left mid-issuance by a crash (see ra/recoverInterrupted.ts). */
  async interrupted(): Promise<RequestRecord[]> {
    return (await this.db.selectFrom('requests').selectAll().where('disposition', '=', 'issuing').execute()).map(toRecord);
  }

  async count(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('requests').select((eb) => ['disposition', eb.fn.countAll<number>().as('n')]).groupBy('disposition').execute();
    return Object.fromEntries(rows.map((r) => [r.disposition, Number(r.n)]));
  }
}
