import type { Kysely, Selectable } from 'kysely';
import type { CaRecord } from './records.js';
import type { CaTable, Database } from './schema.js';

const toRecord = (r: Selectable<CaTable>): CaRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  parentId: r.parent_id,
  certificate: r.certificate,
  keyRef: r.key_ref,
  renewal: r.renewal,
  active: r.active === 1,
});

/** The CA certificates of the hierarchy (one row per CA certificate; renewals add rows). */
export class CaStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(ca: Omit<CaRecord, 'active'> & { createdAt: Date }): Promise<void> {
    await this.db
      .insertInto('cas')
      .values({
        id: ca.id,
        name: ca.name,
        role: ca.role,
        parent_id: ca.parentId,
        certificate: ca.certificate,
        key_ref: ca.keyRef,
        renewal: ca.renewal,
        active: 1,
        created_at: ca.createdAt.getTime(),
      })
      .execute();
  }

  async list(): Promise<CaRecord[]> {
    return (await this.db.selectFrom('cas').selectAll().orderBy('created_at').execute()).map(toRecord);
  }

  async get(id: string): Promise<CaRecord | undefined> {
    const r = await this.db.selectFrom('cas').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRecord(r);
  }
}
