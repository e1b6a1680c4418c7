import type { Kysely } from 'kysely';
import type { UserRecord } from './records.js';
import type { OnChange } from './StoreChanges.js';
import type { Database, UserTable } from './schema.js';
import type { Selectable } from 'kysely';

/** A user as created: the record without its database ID, with the password hash it never hands out. */
export interface NewUser extends Omit<UserRecord, 'id'> {
  readonly passwordHash: string | null;
}

const toRecord = (r: Selectable<UserTable>): UserRecord => ({
  id: r.id,
  username: r.username,
  upn: r.upn,
  email: r.email,
  displayName: r.display_name,
  sid: r.sid,
  dn: r.dn,
  enabled: r.enabled === 1,
  createdAt: new Date(r.created_at),
});

/** The embedded directory's users. Usernames are matched case-insensitively, as AD does. */
export class UserStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly changed: OnChange = () => {},
  ) {}

  async create(u: NewUser): Promise<UserRecord> {
    const row = await this.db
      .insertInto('users')
      .values({
        username: u.username,
        upn: u.upn,
        email: u.email,
        display_name: u.displayName,
        sid: u.sid,
        dn: u.dn,
        enabled: u.enabled ? 1 : 0,
        password_hash: u.passwordHash,
        created_at: u.createdAt.getTime(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    this.changed('directory');
    return toRecord(row);
  }

  async byUsername(username: string): Promise<UserRecord | undefined> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
      .executeTakeFirst();
    return r && toRecord(r);
  }

  async byUpn(upn: string): Promise<UserRecord | undefined> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['upn']), '=', upn.toLowerCase()))
      .executeTakeFirst();
    return r && toRecord(r);
  }

  async bySid(sid: string): Promise<UserRecord | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('sid', '=', sid).executeTakeFirst();
    return r && toRecord(r);
  }

  async byEmail(email: string): Promise<UserRecord[]> {
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .execute();
    return rows.map(toRecord);
  }

  async passwordHash(username: string): Promise<string | null | undefined> {
    const r = await this.db
      .selectFrom('users')
      .select('password_hash')
      .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
      .executeTakeFirst();
    return r ? r.password_hash : undefined;
  }

  async list(): Promise<UserRecord[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('username').execute()).map(toRecord);
  }

  async setEnabled(id: number, enabled: boolean): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ enabled: enabled ? 1 : 0 })
      .where('id', '=', id)
      .execute();
    this.changed('directory');
  }

  async setPasswordHash(id: number, hash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: hash }).where('id', '=', id).execute();
    this.changed('directory');
  }

  async update(id: number, fields: Partial<Pick<NewUser, 'upn' | 'email' | 'displayName' | 'dn'>>): Promise<void> {
    const set: Record<string, unknown> = {};
    if (fields.upn !== undefined) set.upn = fields.upn;
    if (fields.email !== undefined) set.email = fields.email;
    if (fields.displayName !== undefined) set.display_name = fields.displayName;
    if (fields.dn !== undefined) set.dn = fields.dn;
    if (Object.keys(set).length) await this.db.updateTable('users').set(set).where('id', '=', id).execute();
    this.changed('directory');
  }
}
