import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * BEGIN (as given), `fn`, COMMIT — or ROLLBACK when `fn` or the COMMIT fails — on one held
 * connection. Store.transaction and the CRL publisher (which needs its own isolation
 * level) share it.
 */
export async function runTransaction<T>(
  conn: Kysely<Database>,
  begin: string,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  await sql.raw(begin).execute(conn);
  try {
    const result = await fn(conn);
    await sql.raw('COMMIT').execute(conn);
    return result;
  } catch (e) {
    await sql
      .raw('ROLLBACK')
      .execute(conn)
      .catch(() => {});
    throw e;
  }
}
