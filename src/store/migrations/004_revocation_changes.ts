import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Revocation bookkeeping for delta CRLs (RFC 5280 §5.2.4) and the OCSP cache.
 *
 * - `revocation_version`: one row whose counter goes up by one for every change of a
 *   certificate's revocation state. Each change takes the row lock, so the counter
 *   follows commit order on PostgreSQL too (a sequence would not: two transactions can
 *   commit in the opposite order of their sequence values). A CRL records the version
 *   its snapshot saw; a delta CRL lists exactly the changes with a higher version
 *   (RFC 5280 §5.2.4), and the OCSP responder reads it to know what changed.
 * - `revocation_changes`: one row per change (revoked, or released from hold). Written by
 *   a trigger on `certificates`, so every path that revokes or releases — ra/revoke.ts,
 *   the CLI in another process, another node — is recorded with no code of its own.
 * - `crls.revocation_version`: the version a CRL was generated at.
 * - A partial, covering index over revoked certificates, so CRL generation is one
 *   index range scan in serial order (keyset pagination), never a table scan.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('revocation_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', sql.raw(big), (c) => c.notNull())
    .execute();
  await db.insertInto('revocation_version').values({ id: 1, version: 0 }).execute();

  await db.schema
    .createTable('revocation_changes')
    .addColumn('version', sql.raw(big), (c) => c.primaryKey())
    .addColumn('ca_id', 'text', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull())
    .addColumn('reason', 'integer')
    .addColumn('at', sql.raw(big), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('revocation_changes_ca').on('revocation_changes').columns(['ca_id', 'version']).execute();

  await db.schema
    .alterTable('crls')
    .addColumn('revocation_version', sql.raw(big), (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('crls_latest').on('crls').columns(['ca_id', 'kind', 'number']).execute();

  await db.schema
    .createIndex('certificates_crl')
    .on('certificates')
    .columns(['ca_id', 'serial', 'not_after', 'revoked_at', 'revocation_reason'])
    .where(sql.ref('status'), '=', 'revoked')
    .execute();

  // A change is: entering or leaving `revoked`, or a new reason/date while revoked.
  // For a release the row keeps the original revocation date (RFC 5280 §5.3.1: the
  // delta's removeFromCRL entry names the certificate that was on hold).
  if (dialect === 'postgres') {
    await sql
      .raw(
        `CREATE FUNCTION tessera_revocation_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  IF (OLD.status = 'revoked') IS DISTINCT FROM (NEW.status = 'revoked')
     OR (NEW.status = 'revoked' AND (OLD.revocation_reason IS DISTINCT FROM NEW.revocation_reason OR OLD.revoked_at IS \
DISTINCT FROM NEW.revoked_at)) THEN
    UPDATE revocation_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
    INSERT INTO revocation_changes (version, ca_id, serial, revoked, reason, at)
      VALUES (v, NEW.ca_id, NEW.serial, CASE WHEN NEW.status = 'revoked' THEN 1 ELSE 0 END, NEW.revocation_reason, \
COALESCE(NEW.revoked_at, OLD.revoked_at, 0));
  END IF;
  RETURN NEW;
END $$`,
      )
      .execute(db);
    await sql
      .raw(
        'CREATE TRIGGER certificates_revocation_change AFTER UPDATE ON ' +
          'certificates FOR EACH ROW EXECUTE FUNCTION tessera_revocation_change()',
      )
      .execute(db);
  } else {
    await sql
      .raw(
        `CREATE TRIGGER certificates_revocation_change AFTER UPDATE OF status, revoked_at, revocation_reason ON \
certificates
WHEN (OLD.status = 'revoked') IS NOT (NEW.status = 'revoked')
  OR (NEW.status = 'revoked' AND (OLD.revocation_reason IS NOT NEW.revocation_reason OR OLD.revoked_at IS NOT \
NEW.revoked_at))
BEGIN
  UPDATE revocation_version SET version = version + 1 WHERE id = 1;
  INSERT INTO revocation_changes (version, ca_id, serial, revoked, reason, at)
    SELECT version, NEW.ca_id, NEW.serial, NEW.status = 'revoked', NEW.revocation_reason, COALESCE(NEW.revoked_at, \
OLD.revoked_at, 0)
    FROM revocation_version WHERE id = 1;
END`,
      )
      .execute(db);
  }
}
