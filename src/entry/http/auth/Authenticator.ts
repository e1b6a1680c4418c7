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
 * a change made through this server is seen at once). A remembered check also ends when
 * the user's session epoch moves on (a new password, a disabled account, a role group
 * left, on any node: store/SessionStore.ts), read from the database at each use.
 *
 * Sessions are rows in the database (sessionToken.ts), read on every request; one whose
 * account has gone, is disabled, or has lost a role it held at sign-in — in the embedded
 * directory or in LDAP, whoever changed it — is ended there and then, and audited.
 *
 * Wrong passwords are slowed per (user, address) and per address (SignInThrottle.ts),
 * never locked for everyone; sessions and client certificates are never throttled. A
 * disabled account's right password gets the same AUTH_FAILED as a wrong one, so the
 * answer does not confirm the password; the audit record keeps the true reason.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { DirectoryUser } from '../../../directory/Directory.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { rolesOf, type Actor } from '../../../ra/Actor.js';
import { recordFailedSignIn } from '../../../ra/recordFailedSignIn.js';
import type { Tessera } from '../../../Tessera.js';
import { OID } from '../../../x509/oids.js';
import type { Session, SessionTokens } from './sessionToken.js';
import { SignInThrottle, type SignInThrottlePolicy } from './SignInThrottle.js';

export type AuthMethod = 'basic' | 'certificate' | 'session';

export interface Principal {
  readonly actor: Extract<Actor, { kind: 'user' }>;
  readonly method: AuthMethod;
  readonly session?: Session;
}

export const SESSION_COOKIE = 'tessera_session';

export interface AuthenticatorOptions {
  /** Failures per (user, address) before attempts wait (per address: ten times this); 0 turns the throttle off. */
  readonly freeFailures?: number;
  /** The rest of the throttle's policy (SignInThrottle.ts DEFAULT_THROTTLE). */
  readonly throttle?: Partial<SignInThrottlePolicy>;
  readonly credentialCacheMs?: number;
}

/** A password check that passed: the account, and the session epoch read before the check. */
interface Verified {
  readonly user: DirectoryUser;
  readonly epoch: number;
}

export class Authenticator {
  readonly throttle: SignInThrottle;
  readonly #verified = new Map<
    string,
    { username: string; expires: number; directoryVersion: number; epoch: number }
  >();
  readonly #sockets = new WeakMap<object, { username: string | null; expires: number }>();
  readonly #cacheMs: number;

  constructor(
    private readonly tessera: Tessera,
    readonly sessions: SessionTokens,
    o: AuthenticatorOptions = {},
  ) {
    const free = o.freeFailures;
    // An address may carry several people (a NAT), so it gets a larger allowance.
    this.throttle = new SignInThrottle(tessera.store, () => tessera.now(), {
      ...(free === undefined ? {} : { freeFailures: free, freeAddressFailures: free * 10 }),
      ...o.throttle,
    });
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
    const session = await this.sessions.verify(cookie);
    if (session) {
      const user = await this.tessera.directory.findUser(session.username);
      // What the directory says now decides, whoever changed it: an LDAP account disabled
      // or taken out of a role group in the directory ends its sessions like a change
      // made through Tessera does (ra/endUserSessions.ts), and re-enabling it revives none.
      const current: readonly string[] = user ? rolesOf(user, this.tessera.config.roles) : [];
      const ended = !user
        ? 'account_missing'
        : !user.enabled
          ? 'account_disabled'
          : session.roles.some((r) => !current.includes(r))
            ? 'role_removed'
            : undefined;
      if (!ended) return { actor: { kind: 'user', user: user!, source }, method: 'session', session };
      await this.sessions.end(session, ended, { actor: 'tessera', source });
    }
    return undefined;
  }

  /** Sign in with a password and open a session (the sign-in form, POST /api/v1/session). */
  async signIn(
    username: string,
    password: string,
    source: string,
  ): Promise<{ user: DirectoryUser; token: string; session: Session }> {
    const { user, epoch } = await this.#check(username, password, source);
    return { user, ...(await this.sessions.issue(user, { method: 'password', source, epoch })) };
  }

  /**
   * End the session the request's cookie carries (sign-out), whatever else authenticated
   * the request; audited. Nothing to do for a cookie that is no longer good.
   */
  async signOut(req: FastifyRequest): Promise<boolean> {
    const cookie = (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE];
    const session = await this.sessions.verify(cookie);
    return session ? this.sessions.end(session, 'signed_out', { actor: session.username, source: req.ip }) : false;
  }

  /** Check a password (sign-in form and Basic). Throttled per user and address; failures audited. */
  async password(username: string, password: string, source: string): Promise<DirectoryUser> {
    return (await this.#check(username, password, source)).user;
  }

  async #check(username: string, password: string, source: string): Promise<Verified> {
    const userKey = username.trim().toLowerCase();
    if (!userKey || !password) throw new TesseraError('AUTH_FAILED', 'empty user name or password');
    const cacheKey = createHash('sha256').update(userKey).update('\0').update(password).digest('base64');
    // Credentials checked right a moment ago skip the password check and the queue of the
    // throttle, not its wait (SignInThrottle.refuseWhileWaiting says why).
    const remembered = await this.#remembered(cacheKey);
    if (remembered) {
      await this.throttle.refuseWhileWaiting(userKey, source);
      return remembered;
    }
    return this.throttle.attempt(userKey, source, async () => {
      // An attempt queued behind another of the same pair may find it already checked.
      const again = await this.#remembered(cacheKey);
      if (again) return again;
      const directoryVersion = this.tessera.store.changes.directory;
      // Read before the check: a reset committed meanwhile moves it on, voiding both the
      // remembered check and the session made from it. Epochs are kept under the account
      // name; a UPN or DOMAIN\name is looked up first.
      const accountKey = /[@\\]/.test(userKey)
        ? (await this.tessera.directory.findUser(username).catch(() => undefined))?.username.toLowerCase()
        : userKey;
      let epoch = accountKey ? await this.tessera.store.sessions.epoch(accountKey) : 0;
      try {
        const user = await this.tessera.directory.authenticate(username, password);
        if (user.username.toLowerCase() !== accountKey) epoch = await this.tessera.store.sessions.epoch(user.username);
        if (this.#verified.size > 10_000) this.#verified.clear();
        this.#verified.set(cacheKey, {
          username: user.username,
          expires: Date.now() + this.#cacheMs,
          directoryVersion,
          epoch,
        });
        return { user, epoch };
      } catch (e) {
        if (!(e instanceof TesseraError && (e.code === 'AUTH_FAILED' || e.code === 'USER_DISABLED'))) throw e;
        // The true reason (USER_DISABLED, a directory's detail) is for the audit trail only.
        const failure = { account: userKey, source, code: e.code, detail: e.detail };
        await recordFailedSignIn(this.tessera, failure, (tx) => this.throttle.recordFailure(tx, userKey, source)).catch(
          () => {},
        );
        // One answer for a wrong password, an unknown user and a disabled account whose
        // password is right, without the directory's detail (which could tell them apart).
        throw new TesseraError('AUTH_FAILED', undefined, { cause: e });
      }
    });
  }

  /** A remembered check that still holds: same credentials, nothing changed locally, same epoch, account enabled. */
  async #remembered(cacheKey: string): Promise<Verified | undefined> {
    const c = this.#verified.get(cacheKey);
    if (!c) return undefined;
    // Any directory change made through this server (a new password, a disabled account)
    // invalidates remembered checks at once; one made on another node moves the epoch.
    if (
      c.expires <= Date.now() ||
      c.directoryVersion !== this.tessera.store.changes.directory ||
      (await this.tessera.store.sessions.epoch(c.username)) !== c.epoch
    ) {
      this.#verified.delete(cacheKey);
      return undefined;
    }
    const user = await this.tessera.directory.findUser(c.username);
    // A disabled or vanished account takes the full check, and its answer (AUTH_FAILED).
    if (!user?.enabled) {
      this.#verified.delete(cacheKey);
      return undefined;
    }
    return { user, epoch: c.epoch };
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
    if (record?.status !== 'issued' || !record.der?.equals(peer.raw) || record.notAfter <= new Date()) return null;
    return record.subjectUser;
  }
}
