/**
 * Session cookies for people using the web pages: `<username>.<expiry>.<nonce>.<mac>`,
 * HMAC-SHA256 under a key in the data directory (keys/session.key, 0600), so every node
 * sharing the key accepts it. The account is looked up on every request, so disabling a
 * user ends their sessions at once when done through this server, and within the
 * directory's lookup cache (2 s, EmbeddedDirectory) when done elsewhere. The nonce doubles
 * as the CSRF token's seed.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  readonly username: string;
  readonly expires: number;
  readonly nonce: string;
}

export class SessionTokens {
  constructor(
    private readonly key: Buffer,
    readonly lifetimeMs = 8 * 3600 * 1000,
  ) {}

  issue(username: string, now = Date.now()): { token: string; session: Session } {
    const session = { username, expires: now + this.lifetimeMs, nonce: randomBytes(16).toString('base64url') };
    const body = `${Buffer.from(username).toString('base64url')}.${session.expires}.${session.nonce}`;
    return { token: `${body}.${this.#mac(body)}`, session };
  }

  verify(token: string | undefined, now = Date.now()): Session | undefined {
    if (!token || token.length > 1024) return undefined;
    const parts = token.split('.');
    if (parts.length !== 4) return undefined;
    const body = parts.slice(0, 3).join('.');
    const mac = Buffer.from(parts[3], 'base64url');
    const expected = Buffer.from(this.#mac(body), 'base64url');
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    const expires = Number(parts[1]);
    if (!Number.isFinite(expires) || expires <= now) return undefined;
    return { username: Buffer.from(parts[0], 'base64url').toString(), expires, nonce: parts[2] };
  }

  /** The CSRF token bound to a session (synchroniser token derived from its nonce). */
  csrf(session: Session): string {
    return this.#mac(`csrf.${session.nonce}`);
  }

  #mac(s: string): string {
    return createHmac('sha256', this.key).update(s).digest('base64url');
  }
}
