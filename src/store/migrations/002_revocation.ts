import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/** CRL bookkeeping: one row per issued CRL (full or delta) per CA. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('crls')
    .addColumn('ca_id', 'text', (c) => c.notNull())
    .addColumn('number', sql.raw(big), (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('base_number', sql.raw(big))
    .addColumn('this_update', sql.raw(big), (c) => c.notNull())
    .addColumn('next_update', sql.raw(big), (c) => c.notNull())
    .addColumn('entries', 'integer', (c) => c.notNull())
    .addColumn('der', sql.raw(blob), (c) => c.notNull())
    .addPrimaryKeyConstraint('crls_pk', ['ca_id', 'number'])
    .execute();
  await db.schema.createIndex('certificates_revoked').on('certificates').columns(['ca_id', 'revoked_at']).execute();
}
