import type { Kysely, Selectable } from 'kysely';
import { CompiledStatement } from './compiled.js';
import type { Dialect } from './database.js';
import type { Disposition, NewRequest, RequestRecord } from './records.js';
import type { Database, RequestTable } from './schema.js';
import type { Insertable } from 'kysely';

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

type RequestRow = Omit<Insertable<RequestTable>, 'id' | 'serial' | 'resolved_at' | 'resolved_by'>;

// Issuance-path statements, compiled once (compiled.ts).
const REQUEST_COLUMNS = [
  'submitted_at',
  'requester',
  'subject_user',
  'agent',
  'template',
  'format',
  'request_der',
  'request_sha256',
  'attributes',
  'disposition',
  'code',
  'message',
  'source',
] as const;
const INSERT = new CompiledStatement<RequestRow, { id: number }>((db, p) =>
  db
    .insertInto('requests')
    .values(Object.fromEntries(REQUEST_COLUMNS.map((c) => [c, p[c]])) as unknown as RequestRow)
    .returning('id'),
);
interface ResolveValues {
  readonly id: number;
  readonly disposition: Disposition;
  readonly code: string | null;
  readonly message: string;
  readonly resolved_at: number;
  readonly resolved_by: string | null;
  readonly serial?: string | null;
  readonly subject_user?: string | null;
  readonly [from: `from${number}`]: Disposition;
}
const RESOLVE = new CompiledStatement<ResolveValues, never>((db, p, shape) => {
  const [n, withSerial, withSubject] = shape.split('|');
  const set: Record<string, unknown> = {
    disposition: p.disposition,
    code: p.code,
    message: p.message,
    resolved_at: p.resolved_at,
    resolved_by: p.resolved_by,
  };
  if (withSerial === 's') set.serial = p.serial;
  if (withSubject === 'u') set.subject_user = p.subject_user;
  const from = Array.from({ length: Number(n) }, (_, i) => p[`from${i}`]);
  return db.updateTable('requests').set(set).where('id', '=', p.id).where('disposition', 'in', from);
});

/** Requests and their dispositions; the integer ID is assigned by the database. */
export class RequestStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  async insert(r: NewRequest): Promise<number> {
    const { rows } = await INSERT.run(this.db, this.dialect, {
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
    });
    if (!rows[0]) throw new Error('no request ID returned');
    return Number(rows[0].id);
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
    to: {
      disposition: Disposition;
      code: string | null;
      message: string;
      serial?: string | null;
      resolvedAt: Date;
      resolvedBy: string | null;
      subjectUser?: string | null;
    },
  ): Promise<boolean> {
    const values: Record<string, unknown> = {
      id,
      disposition: to.disposition,
      code: to.code,
      message: to.message,
      resolved_at: to.resolvedAt.getTime(),
      resolved_by: to.resolvedBy,
      serial: to.serial,
      subject_user: to.subjectUser,
    };
    from.forEach((d, i) => {
      values[`from${i}`] = d;
    });
    const shape = `${from.length}|${to.serial !== undefined ? 's' : ''}|${to.subjectUser !== undefined ? 'u' : ''}`;
    const r = await RESOLVE.run(this.db, this.dialect, values as unknown as ResolveValues, shape);
    return Number(r.numAffectedRows ?? 0) === 1;
  }

  async list(f: RequestFilter = {}): Promise<RequestRecord[]> {
    let q = this.db
      .selectFrom('requests')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(f.limit ?? 100);
    if (f.disposition) q = q.where('disposition', '=', f.disposition);
    if (f.requester) q = q.where((eb) => eb(eb.fn('lower', ['requester']), '=', f.requester!.toLowerCase()));
    if (f.beforeId) q = q.where('id', '<', f.beforeId);
    return (await q.execute()).map(toRecord);
  }

  /** Requests left mid-issuance by a crash (see ra/recoverInterrupted.ts). */
  async interrupted(): Promise<RequestRecord[]> {
    return (await this.db.selectFrom('requests').selectAll().where('disposition', '=', 'issuing').execute()).map(
      toRecord,
    );
  }

  async count(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('requests')
      .select((eb) => ['disposition', eb.fn.countAll<number>().as('n')])
      .groupBy('disposition')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.disposition, Number(r.n)]));
  }
}
