import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, SessionTable } from './schema.js';

export type SessionMethod = 'password' | 'smartcard';

export interface SessionRecord {
  /** SHA-256 (base64url) of the cookie's session ID; the ID itself is never stored. */
  readonly id: string;
  readonly username: string;
  readonly method: SessionMethod;
  /** The client address at sign-in. */
  readonly source: string | null;
  /** Roles held at sign-in (ra/Actor.ts Role names). */
  readonly roles: readonly string[];
  /** The user's epoch when the credentials were checked; the session is void once it moves on. */
  readonly epoch: number;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly endedAt: Date | null;
  readonly endReason: string | null;
}

export type NewSession = Omit<SessionRecord, 'endedAt' | 'endReason'>;

const toRecord = (r: Selectable<SessionTable>): SessionRecord => ({
  id: r.id,
  username: r.username,
  method: r.method as SessionMethod,
  source: r.source,
  roles: r.roles ? r.roles.split(',') : [],
  epoch: Number(r.epoch),
  createdAt: new Date(Number(r.created_at)),
  expiresAt: new Date(Number(r.expires_at)),
  endedAt: r.ended_at === null ? null : new Date(Number(r.ended_at)),
  endReason: r.end_reason,
});

/** Usernames match case-insensitively, as everywhere in the directory. */
const keyOf = (username: string) => username.toLowerCase();

/**
 * Session cookies' server-side state (migration 005): what makes signing out, a new
 * password, a disabled account or a lost role end sessions on every node at once.
 */
export class SessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(s: NewSession): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: s.id,
        username: s.username,
        username_key: keyOf(s.username),
        method: s.method,
        source: s.source,
        roles: s.roles.join(','),
        epoch: s.epoch,
        created_at: s.createdAt.getTime(),
        expires_at: s.expiresAt.getTime(),
        ended_at: null,
        end_reason: null,
      })
      .execute();
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const r = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRecord(r);
  }

  /**
   * The session if it is good at `now`: not ended, not expired, and made in its user's
   * current epoch. One primary-key read joined to a primary-key read.
   */
  async active(id: string, now: Date): Promise<SessionRecord | undefined> {
    const r = await this.db
      .selectFrom('sessions')
      .leftJoin('session_epochs', 'session_epochs.username_key', 'sessions.username_key')
      .selectAll('sessions')
      .select('session_epochs.epoch as current_epoch')
      .where('sessions.id', '=', id)
      .executeTakeFirst();
    if (!r || r.ended_at !== null || Number(r.expires_at) <= now.getTime()) return undefined;
    const { current_epoch, ...row } = r;
    if (Number(current_epoch ?? 0) !== Number(row.epoch)) return undefined;
    return toRecord(row);
  }

  /** End one session; false when it was already ended (or never existed). */
  async end(id: string, at: Date, reason: string): Promise<boolean> {
    const r = await this.db
      .updateTable('sessions')
      .set({ ended_at: at.getTime(), end_reason: reason })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * End every session of `username` that has not expired, and move the user's epoch on,
   * which voids whatever was authenticated under the old one. Returns how many sessions
   * were ended.
   */
  async endAllFor(username: string, at: Date, reason: string): Promise<number> {
    const key = keyOf(username);
    const t = at.getTime();
    await this.db
      .insertInto('session_epochs')
      .values({ username_key: key, epoch: 1, changed_at: t })
      .onConflict((oc) =>
        oc.column('username_key').doUpdateSet({ epoch: sql<number>`session_epochs.epoch + 1`, changed_at: t }),
      )
      .execute();
    const r = await this.db
      .updateTable('sessions')
      .set({ ended_at: t, end_reason: reason })
      .where('username_key', '=', key)
      .where('expires_at', '>', t)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** The user's epoch: 0 until the first "end all". Read before a credential check, kept with what it makes. */
  async epoch(username: string): Promise<number> {
    const r = await this.db
      .selectFrom('session_epochs')
      .select('epoch')
      .where('username_key', '=', keyOf(username))
      .executeTakeFirst();
    return r ? Number(r.epoch) : 0;
  }

  /** The user's sessions that are good at `now`, newest first. */
  async listActive(username: string, now: Date): Promise<SessionRecord[]> {
    const epoch = await this.epoch(username);
    const rows = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('username_key', '=', keyOf(username))
      .where('expires_at', '>', now.getTime())
      .where('ended_at', 'is', null)
      .where('epoch', '=', epoch)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  /** Forget sessions that expired before `before`. (Epochs stay: a session row outlives none of them.) */
  async purge(before: Date): Promise<number> {
    const r = await this.db.deleteFrom('sessions').where('expires_at', '<', before.getTime()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
