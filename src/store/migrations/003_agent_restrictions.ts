import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Enrollment agent restrictions (ESC3; docs/security.md §4): which agents (users or
 * groups) may enroll which targets (users or groups) for which templates, with an explicit
 * flag for the exception that lets a rule reach members of privileged groups; and the
 * privileged groups beyond the configured role groups.
 * No rows means no agent may enroll anyone.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = (t: any) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'bigint', (c: any) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());

  await id(db.schema.createTable('agent_restrictions'))
    .addColumn('agent', 'text', (c: any) => c.notNull())
    .addColumn('agent_kind', 'text', (c: any) => c.notNull())
    .addColumn('target', 'text', (c: any) => c.notNull())
    .addColumn('target_kind', 'text', (c: any) => c.notNull())
    .addColumn('template', 'text', (c: any) => c.notNull())
    .addColumn('allow_privileged', 'integer', (c: any) => c.notNull())
    // Lower-cased agent/target/template: one rule per combination, whatever the case.
    .addColumn('rule_key', 'text', (c: any) => c.notNull().unique())
    .addColumn('created_at', sql.raw(big), (c: any) => c.notNull())
    .addColumn('created_by', 'text', (c: any) => c.notNull())
    .execute();

  await db.schema
    .createTable('agent_privileged_groups')
    .addColumn('name_key', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', sql.raw(big), (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
}
