/**
 * Session cookies for people using the web pages: `<username>.<expiry>.<id>.<mac>`,
 * HMAC-SHA256 under a key in the data directory (keys/session.key, 0600), with a row in
 * the database for each session (store/SessionStore.ts, keyed by the SHA-256 of the
 * random ID). The MAC keeps forged cookies away from the database; the row is what lets
 * a session end before it expires — signing out ends it, a new password, a disabled
 * account or a lost role end all of the user's sessions — on every node sharing the
 * database at once, because every request made with a cookie reads its row (one
 * primary-key lookup; no cache). The ID doubles as the CSRF token's seed.
 *
 * OWASP Session Management Cheat Sheet: server-side invalidation on logout and on any
 * change of credentials or privileges; a fresh random ID at every sign-in.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DirectoryUser } from '../../../directory/Directory.js';
import { rolesOf } from '../../../ra/Actor.js';
import type { SessionMethod } from '../../../store/SessionStore.js';
import type { Tessera } from '../../../Tessera.js';

export interface Session {
  /** The row's key: SHA-256 of the nonce. */
  readonly id: string;
  readonly username: string;
  readonly expires: number;
  readonly nonce: string;
  readonly method: SessionMethod;
  /** Roles held at sign-in; losing one ends the session (Authenticator.resolve). */
  readonly roles: readonly string[];
}

export type SessionEnd = 'signed_out' | 'account_disabled' | 'account_missing' | 'role_removed';

/** Expired rows are deleted this long after they expire; longer than any session lives. */
const PURGE_AFTER_MS = 24 * 3600 * 1000;
const PURGE_EVERY_MS = 10 * 60 * 1000;

export class SessionTokens {
  #lastPurge = 0;

  constructor(
    private readonly key: Buffer,
    private readonly tessera: Tessera,
    readonly lifetimeMs = 8 * 3600 * 1000,
  ) {}

  /**
   * A new session for `user`, recorded before the cookie is handed out. `epoch` is the
   * user's session epoch read before the credential check: a password reset committed
   * after that read voids the session even if its row lands later (SessionStore.active).
   */
  async issue(
    user: DirectoryUser,
    o: { readonly method: SessionMethod; readonly source: string | null; readonly epoch?: number },
  ): Promise<{ token: string; session: Session }> {
    const now = this.tessera.now();
    const nonce = randomBytes(16).toString('base64url');
    const session: Session = {
      id: idOf(nonce),
      username: user.username,
      expires: now.getTime() + this.lifetimeMs,
      nonce,
      method: o.method,
      roles: rolesOf(user, this.tessera.config.roles),
    };
    const store = this.tessera.store;
    const epoch = o.epoch ?? (await store.sessions.epoch(user.username));
    await store.transaction((tx) =>
      tx.sessions.create({
        id: session.id,
        username: session.username,
        method: o.method,
        source: o.source,
        roles: session.roles,
        epoch,
        createdAt: now,
        expiresAt: new Date(session.expires),
      }),
    );
    if (now.getTime() - this.#lastPurge > PURGE_EVERY_MS) {
      this.#lastPurge = now.getTime();
      await store.sessions.purge(new Date(now.getTime() - PURGE_AFTER_MS)).catch(() => {});
    }
    const body = `${Buffer.from(user.username).toString('base64url')}.${session.expires}.${nonce}`;
    return { token: `${body}.${this.#mac(body)}`, session };
  }

  /** The session a cookie carries: the MAC is right, it has not expired, and its row is still good. */
  async verify(token: string | undefined): Promise<Session | undefined> {
    const parsed = this.#parse(token);
    if (!parsed) return undefined;
    const row = await this.tessera.store.sessions.active(parsed.id, this.tessera.now());
    if (!row || row.username.toLowerCase() !== parsed.username.toLowerCase()) return undefined;
    return { ...parsed, username: row.username, method: row.method, roles: row.roles };
  }

  /** End one session, audited in the same transaction; false when it had ended already. */
  async end(
    session: Session,
    reason: SessionEnd,
    o: { readonly actor: string; readonly source: string | null },
  ): Promise<boolean> {
    return this.tessera.store.transaction(async (tx) => {
      const ended = await tx.sessions.end(session.id, this.tessera.now(), reason);
      if (ended)
        await tx.audit.append({
          actor: o.actor,
          action: 'session.ended',
          target: session.username,
          source: o.source,
          details: { reason, method: session.method, sessions: 1 },
        });
      return ended;
    });
  }

  /** The CSRF token bound to a session (synchroniser token derived from its nonce). */
  csrf(session: Pick<Session, 'nonce'>): string {
    return this.#mac(`csrf.${session.nonce}`);
  }

  /** MAC and expiry only, no database: a cookie this key made and that has not expired. */
  #parse(token: string | undefined): Omit<Session, 'method' | 'roles'> | undefined {
    if (!token || token.length > 1024) return undefined;
    const parts = token.split('.');
    if (parts.length !== 4) return undefined;
    const body = parts.slice(0, 3).join('.');
    const mac = Buffer.from(parts[3], 'base64url');
    const expected = Buffer.from(this.#mac(body), 'base64url');
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    const expires = Number(parts[1]);
    if (!Number.isFinite(expires) || expires <= this.tessera.now().getTime()) return undefined;
    if (!parts[2]) return undefined;
    return { id: idOf(parts[2]), username: Buffer.from(parts[0], 'base64url').toString(), expires, nonce: parts[2] };
  }

  #mac(s: string): string {
    return createHmac('sha256', this.key).update(s).digest('base64url');
  }
}

function idOf(nonce: string): string {
  return createHash('sha256').update(nonce).digest('base64url');
}
