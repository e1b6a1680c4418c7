import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Sign-in state that every node sharing the database must agree on.
 *
 * - `sessions`: one row per session cookie, keyed by the SHA-256 of the cookie's random
 *   session ID (a copy of the database does not hold live cookies). A session is good
 *   while `ended_at` is null and `expires_at` is ahead; signing out ends one row, a new
 *   password, a disabled account or a lost role end all of a user's rows. Every request
 *   made with a cookie reads its row by primary key, so an end is seen by every node at
 *   once. `roles` are the roles held at sign-in, so that losing one — in the embedded
 *   directory or in LDAP — ends the session. `epoch` is the user's epoch (below) read
 *   before the credential check that made the session.
 * - `session_epochs`: per user, a counter that every "end all" moves on. A session, or a
 *   remembered password check, is good only under the epoch it was made in: that also
 *   voids a sign-in whose password check began before a reset and whose row landed after
 *   it, with no clock involved.
 * - `signin_failures`: failed password sign-ins per (user, client address) and per
 *   address (username_key ''), for the growing delay of entry/http/auth/SignInThrottle.ts;
 *   shared, so that several nodes behind a load balancer do not each grant an attacker
 *   the full allowance.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('username_key', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('epoch', 'integer', (c) => c.notNull())
    .addColumn('created_at', sql.raw(big), (c) => c.notNull())
    .addColumn('expires_at', sql.raw(big), (c) => c.notNull())
    .addColumn('ended_at', sql.raw(big))
    .addColumn('end_reason', 'text')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').columns(['username_key', 'expires_at']).execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

  await db.schema
    .createTable('session_epochs')
    .addColumn('username_key', 'text', (c) => c.primaryKey())
    .addColumn('epoch', 'integer', (c) => c.notNull())
    .addColumn('changed_at', sql.raw(big), (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('signin_failures')
    .addColumn('username_key', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', sql.raw(big), (c) => c.notNull())
    .addPrimaryKeyConstraint('signin_failures_pk', ['username_key', 'address'])
    .execute();
  await db.schema.createIndex('signin_failures_last').on('signin_failures').column('last_failure_at').execute();
}
