/**
 * Who is calling: HTTP Basic against the directory (over TLS only), a client certificate
 * issued by Tessera (mTLS, mapped strongly by issuer + serial to the account it was
 * issued to), or a session cookie from the sign-in page. No NTLM, ever (ESC8).
 *
 * Checking a password costs a deliberate ~50 ms of scrypt or an LDAP bind; scripts that
 * send Basic on every request would pay it every time, so a successful check is
 * remembered for a minute under a SHA-256 of the credentials (never the password
 * itself), while the account's enabled flag and groups are read on every request through
 * the directory, whose lookups are at most a few seconds old (EmbeddedDirectory: 2 s, and
 * a change made through this server is seen at once).
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { DirectoryUser } from '../../../directory/Directory.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { Actor } from '../../../ra/Actor.js';
import type { Tessera } from '../../../Tessera.js';
import { OID } from '../../../x509/oids.js';
import { RateLimiter } from './RateLimiter.js';
import type { Session, SessionTokens } from './sessionToken.js';

export type AuthMethod = 'basic' | 'certificate' | 'session';

export interface Principal {
  readonly actor: Extract<Actor, { kind: 'user' }>;
  readonly method: AuthMethod;
  readonly session?: Session;
}

export const SESSION_COOKIE = 'tessera_session';

export interface AuthenticatorOptions {
  readonly failuresPerWindow?: number;
  readonly windowMs?: number;
  readonly credentialCacheMs?: number;
}

export class Authenticator {
  readonly #failuresByUser: RateLimiter;
  readonly #failuresByAddress: RateLimiter;
  readonly #verified = new Map<string, { username: string; expires: number; directoryVersion: number }>();
  readonly #sockets = new WeakMap<object, { username: string | null; expires: number }>();
  readonly #cacheMs: number;

  constructor(
    private readonly tessera: Tessera,
    readonly sessions: SessionTokens,
    o: AuthenticatorOptions = {},
  ) {
    const windowMs = o.windowMs ?? 5 * 60_000;
    this.#failuresByUser = new RateLimiter(o.failuresPerWindow ?? 10, windowMs);
    // An address may carry several people (a NAT), so it gets a larger allowance.
    this.#failuresByAddress = new RateLimiter((o.failuresPerWindow ?? 10) * 5, windowMs);
    this.#cacheMs = o.credentialCacheMs ?? 60_000;
  }

  /** The caller, or undefined for an anonymous request. Throws on bad credentials. */
  async resolve(req: FastifyRequest): Promise<Principal | undefined> {
    const source = req.ip;
    const header = req.headers.authorization;
    if (header) {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
      if (!m) throw new TesseraError('AUTH_FAILED', 'unsupported Authorization scheme (only Basic over TLS)');
      const decoded = Buffer.from(m[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new TesseraError('AUTH_FAILED', 'malformed Basic credentials');
      const user = await this.password(decoded.slice(0, colon), decoded.slice(colon + 1), source);
      return { actor: { kind: 'user', user, source }, method: 'basic' };
    }
    const viaCert = await this.certificate(req);
    if (viaCert) return { actor: { kind: 'user', user: viaCert, source }, method: 'certificate' };
    const cookie = (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE];
    const session = this.sessions.verify(cookie);
    if (session) {
      const user = await this.tessera.directory.findUser(session.username);
      if (user?.enabled) return { actor: { kind: 'user', user, source }, method: 'session', session };
    }
    return undefined;
  }

  /** Check a password (sign-in form and Basic). Rate limited per user and per address; failures audited. */
  async password(username: string, password: string, source: string): Promise<DirectoryUser> {
    const userKey = username.trim().toLowerCase();
    if (!userKey || !password) throw new TesseraError('AUTH_FAILED', 'empty user name or password');
    if (this.#failuresByUser.blocked(userKey) || this.#failuresByAddress.blocked(source)) {
      throw new TesseraError('RATE_LIMITED', `too many failed sign-ins for ${userKey} or from ${source}`);
    }
    const cacheKey = createHash('sha256').update(userKey).update('\0').update(password).digest('base64');
    const cached = this.#verified.get(cacheKey);
    // Any directory change made through this server (a new password, a disabled account)
    // invalidates remembered checks at once; changes made elsewhere within the cache time.
    if (cached && cached.expires > Date.now() && cached.directoryVersion === this.tessera.store.changes.directory) {
      const user = await this.tessera.directory.findUser(cached.username);
      if (!user) throw new TesseraError('AUTH_FAILED');
      if (!user.enabled) throw new TesseraError('USER_DISABLED', user.username);
      return user;
    }
    const directoryVersion = this.tessera.store.changes.directory;
    try {
      const user = await this.tessera.directory.authenticate(username, password);
      this.#failuresByUser.reset(userKey);
      if (this.#verified.size > 10_000) this.#verified.clear();
      this.#verified.set(cacheKey, { username: user.username, expires: Date.now() + this.#cacheMs, directoryVersion });
      return user;
    } catch (e) {
      if (e instanceof TesseraError && (e.code === 'AUTH_FAILED' || e.code === 'USER_DISABLED')) {
        this.#failuresByUser.hit(userKey);
        this.#failuresByAddress.hit(source);
        await this.tessera.store
          .transaction((tx) => tx.audit.append({ actor: userKey.slice(0, 128), action: 'auth.failed', source, details: { code: e.code } }))
          .catch(() => {});
      }
      throw e;
    }
  }

  /**
   * A client certificate Node has verified against Tessera's chain, that Tessera issued
   * (the same DER is in the database), still `issued` (not revoked), within validity and
   * with Client Authentication — mapped to the account it was issued to (KB5014754
   * strong mapping: issuer + serial). Remembered per TLS connection for a minute.
   */
  async certificate(req: FastifyRequest): Promise<DirectoryUser | undefined> {
    const socket = req.raw.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
    const cached = this.#sockets.get(socket);
    let username: string | null;
    if (cached && cached.expires > Date.now()) username = cached.username;
    else {
      username = await this.#mapCertificate(socket);
      this.#sockets.set(socket, { username, expires: Date.now() + 60_000 });
    }
    if (!username) return undefined;
    const user = await this.tessera.directory.findUser(username);
    return user?.enabled ? user : undefined;
  }

  async #mapCertificate(socket: TLSSocket): Promise<string | null> {
    const peer = socket.getPeerCertificate();
    if (!peer?.raw || !peer.serialNumber) return null;
    if (!(peer.ext_key_usage ?? []).includes(OID.clientAuth)) return null;
    const record = await this.tessera.store.certificates.get(peer.serialNumber.toLowerCase());
    if (!record || record.status !== 'issued' || !record.der?.equals(peer.raw) || record.notAfter <= new Date()) return null;
    return record.subjectUser;
  }
}
