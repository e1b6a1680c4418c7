import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/** The first schema: CAs, templates, the embedded directory, requests, certificates, audit. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = (t: any) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'bigint', (c: any) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());

  await db.schema
    .createTable('meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('cas')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('certificate', sql.raw(blob), (c) => c.notNull())
    .addColumn('key_ref', 'text', (c) => c.notNull())
    .addColumn('renewal', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', sql.raw(big), (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('templates')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', sql.raw(big), (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  await id(db.schema.createTable('users'))
    .addColumn('username', 'text', (c: any) => c.notNull().unique())
    .addColumn('upn', 'text', (c: any) => c.unique())
    .addColumn('email', 'text')
    .addColumn('display_name', 'text', (c: any) => c.notNull())
    .addColumn('sid', 'text', (c: any) => c.notNull().unique())
    .addColumn('dn', 'text', (c: any) => c.notNull())
    .addColumn('enabled', 'integer', (c: any) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('created_at', sql.raw(big), (c: any) => c.notNull())
    .execute();

  await id(db.schema.createTable('groups'))
    .addColumn('name', 'text', (c: any) => c.notNull().unique())
    .addColumn('sid', 'text', (c: any) => c.notNull().unique())
    .addColumn('description', 'text', (c: any) => c.notNull())
    .addColumn('created_at', sql.raw(big), (c: any) => c.notNull())
    .execute();

  await db.schema
    .createTable('group_members')
    .addColumn('group_id', sql.raw(big), (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('user_id', sql.raw(big), (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
    .execute();

  await id(db.schema.createTable('requests'))
    .addColumn('submitted_at', sql.raw(big), (c: any) => c.notNull())
    .addColumn('requester', 'text', (c: any) => c.notNull())
    .addColumn('subject_user', 'text')
    .addColumn('agent', 'text')
    .addColumn('template', 'text')
    .addColumn('format', 'text', (c: any) => c.notNull())
    .addColumn('request_der', sql.raw(blob))
    .addColumn('request_sha256', 'text', (c: any) => c.notNull())
    .addColumn('attributes', 'text', (c: any) => c.notNull())
    .addColumn('disposition', 'text', (c: any) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('message', 'text', (c: any) => c.notNull())
    .addColumn('serial', 'text')
    .addColumn('resolved_at', sql.raw(big))
    .addColumn('resolved_by', 'text')
    .addColumn('source', 'text')
    .execute();
  await db.schema.createIndex('requests_disposition').on('requests').columns(['disposition', 'id']).execute();
  await db.schema.createIndex('requests_requester').on('requests').columns(['requester', 'id']).execute();

  await db.schema
    .createTable('certificates')
    // RFC 5280 §4.1.2.2 / CA/B BR §7.1: serials are unique per CA; the primary key makes
    // a collision a database error rather than a second certificate.
    .addColumn('serial', 'text', (c) => c.primaryKey())
    .addColumn('ca_id', 'text', (c) => c.notNull().references('cas.id'))
    .addColumn('request_id', sql.raw(big))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('subject_user', 'text')
    .addColumn('template', 'text')
    .addColumn('not_before', sql.raw(big), (c) => c.notNull())
    .addColumn('not_after', sql.raw(big), (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('tbs', sql.raw(blob), (c) => c.notNull())
    .addColumn('der', sql.raw(blob))
    .addColumn('issued_at', sql.raw(big))
    .addColumn('revoked_at', sql.raw(big))
    .addColumn('revocation_reason', 'integer')
    .addColumn('created_at', sql.raw(big), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('certificates_request').on('certificates').column('request_id').execute();
  await db.schema
    .createIndex('certificates_status')
    .on('certificates')
    .columns(['ca_id', 'status', 'not_after'])
    .execute();
  await db.schema.createIndex('certificates_user').on('certificates').columns(['subject_user', 'issued_at']).execute();

  await db.schema
    .createTable('audit')
    .addColumn('seq', sql.raw(big), (c) => c.primaryKey())
    .addColumn('at', sql.raw(big), (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('request_id', sql.raw(big))
    .addColumn('serial', 'text')
    .addColumn('source', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('prev', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
}
