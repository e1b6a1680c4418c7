/**
 * Connections to the directory (ldapts): a small pool of connections bound as the
 * service account for searches and publication, and one fresh connection per password
 * check, bound as the user and closed at once — a pooled connection never carries a
 * user's identity.
 *
 * Transport security (RFC 4513 §3, §5.1.2): ldaps:// is TLS from the first byte; ldap://
 * is upgraded with StartTLS before any bind, and a StartTLS refusal is an error, never a
 * fallback to clear text. Plain LDAP exists only for loopback tests (ldapSettings.ts).
 * Certificates are always verified (rejectUnauthorized), TLS 1.2 at least.
 *
 * Failure handling: every connect, TLS handshake and operation has a deadline; a
 * connection that failed or timed out is destroyed, and the next request opens a new
 * one, so the directory coming back needs no restart. ldapts would otherwise reconnect a
 * dropped socket by itself — silently, unauthenticated and, for StartTLS, unencrypted —
 * so each client gets a connection factory that refuses a second connection.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { Client } from 'ldapts';
import { TesseraError } from '../../errors/TesseraError.js';
import { describeLdapError, isResultCode } from './ldapErrors.js';
import type { ResolvedLdapSettings } from './ldapSettings.js';
import { deadline, DeadlineError } from '../../util/deadline.js';

export interface LdapLogger {
  warn(obj: object, msg: string): void;
}

/** Whether a connection's sockets are still open, and a promise that rejects when they close. */
interface Liveness {
  dead: boolean;
  readonly lost: Promise<never>;
}

interface PooledConnection {
  readonly client: Client;
  readonly url: string;
  readonly live: Liveness;
  lastUsed: number;
  reused: boolean;
}

interface Waiter {
  resolve(c: PooledConnection): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

/** Close politely when possible, without waiting on a server that may not answer. */
function destroy(client: Client): void {
  client.unbind().catch(() => {});
}

/**
 * Connection factories for one ldapts Client that allow exactly one connection (plus the
 * StartTLS upgrade of that same socket), so a lost connection is reported instead of
 * being replaced behind our back; and that watch every socket they make.
 *
 * The watching is needed because ldapts 8 misses a StartTLS connection going away: its
 * close/end handlers stay on the plain socket and compare it with the TLS socket that
 * replaced it, so `isBound` stays true and the next request waits for its timeout.
 */
function watchedFactories(): {
  createConnection: typeof netConnect;
  createSecureConnection: typeof tlsConnect;
  live: Liveness;
} {
  let markLost: (e: Error) => void = () => {};
  const live: Liveness = {
    dead: false,
    lost: new Promise<never>((_, reject) => {
      markLost = reject;
    }),
  };
  live.lost.catch(() => {});
  const watch = <S extends Socket>(sock: S): S => {
    const gone = (why: string) => () => {
      if (live.dead) return;
      live.dead = true;
      markLost(new Error(`the directory connection was lost (${why})`));
    };
    sock.once('close', gone('closed'));
    sock.once('end', gone('closed by the server'));
    sock.once('error', (e: Error) => gone(describeLdapError(e))());
    return sock;
  };
  let opened = false;
  const once = () => {
    if (opened) throw new Error('the directory connection was lost');
    opened = true;
  };
  const createConnection = ((...args: unknown[]) => {
    once();
    return watch((netConnect as (...a: unknown[]) => Socket)(...args));
  }) as typeof netConnect;
  const createSecureConnection = ((...args: unknown[]) => {
    const first = args[0] as ConnectionOptions | undefined;
    // startTLS() upgrades the existing socket: tls.connect({ socket, ... }).
    if (args.length === 1 && typeof first === 'object' && first?.socket) return watch(tlsConnect(first));
    once();
    return watch((tlsConnect as (...a: unknown[]) => TLSSocket)(...args));
  }) as typeof tlsConnect;
  return { createConnection, createSecureConnection, live };
}

/** At most `size` holders; others wait up to a deadline. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  acquire(ms: number): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(grant);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new Error(`too many sign-ins in progress; none finished within ${ms} ms`));
      }, ms);
      timer.unref();
      this.#waiting.push(grant);
    });
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/** Password checks (user binds) in flight at once, per directory. */
const MAX_CONCURRENT_BINDS = 16;

export class LdapConnectionPool {
  readonly #bindSlots = new Slots(MAX_CONCURRENT_BINDS);
  readonly #idle: PooledConnection[] = [];
  readonly #waiters: Waiter[] = [];
  #checkedOut = 0;
  #opening = 0;
  #closed = false;

  constructor(
    private readonly s: ResolvedLdapSettings,
    private readonly bindPassword: string,
    private readonly ca: string | Buffer | undefined,
    private readonly log: LdapLogger,
  ) {}

  /** TLS options for one URL: the configured trust, the name the certificate must carry. */
  tlsOptions(url: string): ConnectionOptions {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const name = this.s.tlsServerName ?? (isIP(host) ? undefined : host);
    return {
      host,
      // RFC 6066 §3: SNI carries host names only; node checks an IP against the certificate's IP SANs.
      ...(name ? { servername: name } : {}),
      ...(this.ca ? { ca: this.ca } : {}),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    };
  }

  #client(url: string): { client: Client; live: Liveness } {
    const { live, ...factories } = watchedFactories();
    const client = new Client({
      url,
      connectTimeout: this.s.connectTimeoutMs,
      timeout: this.s.operationTimeoutMs,
      // Only for ldaps://: ldapts treats any tlsOptions as "connect with TLS at once",
      // which is wrong for ldap:// + StartTLS (there they go to startTLS()).
      tlsOptions: this.s.transport === 'ldaps' ? this.tlsOptions(url) : undefined,
      ...factories,
    });
    return { client, live };
  }

  /**
   * A connection bound as `dn`, trying each URL in turn while servers cannot be reached.
   * A server's answer (a refused bind, a refused StartTLS) ends the attempt: it is not a
   * reason to try elsewhere, and never a reason to go on without TLS.
   */
  async connect(dn: string, password: string): Promise<{ client: Client; url: string; live: Liveness }> {
    let last: unknown = new Error('no directory URL');
    for (const url of this.s.urls) {
      const { client, live } = this.#client(url);
      try {
        const steps = async () => {
          if (this.s.transport === 'startTls') await client.startTLS(this.tlsOptions(url));
          await client.bind(dn, password);
        };
        await deadline(steps(), this.s.connectTimeoutMs + this.s.operationTimeoutMs, `connecting to ${url}`, () =>
          destroy(client),
        );
        return { client, url, live };
      } catch (e) {
        destroy(client);
        if (isResultCode(e)) throw e;
        last = new Error(`${url}: ${describeLdapError(e)}`, { cause: e });
      }
    }
    throw last;
  }

  /**
   * Check a password by binding as `dn` on a connection of its own (RFC 4513 §5.1.3).
   * Resolves when the server accepted it; rejects with the server's answer otherwise.
   */
  async verifyPassword(dn: string, password: string): Promise<void> {
    // RFC 4513 §5.1.2: a simple bind with a DN and an empty password is an
    // "unauthenticated" bind that servers may answer with success. Never send one.
    if (!password) throw new TesseraError('AUTH_FAILED', 'empty password');
    // A burst of sign-ins must not become a burst of connections to the domain controller.
    await this.#bindSlots.acquire(this.s.operationTimeoutMs);
    try {
      const { client } = await this.connect(dn, password);
      destroy(client);
    } finally {
      this.#bindSlots.release();
    }
  }

  /**
   * Run `fn` on a service-account connection. A failure that is not an LDAP result (a
   * lost socket, a timeout) destroys the connection; on a reused connection a read is
   * retried once on a fresh one, since an idle connection may have been cut meanwhile.
   */
  async run<T>(what: string, fn: (client: Client) => Promise<T>, opts: { idempotent?: boolean } = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.#acquire();
      let broken = false;
      try {
        // Race the operation against the socket closing: ldapts may not notice (see watchedFactories).
        return await deadline(
          Promise.race([fn(conn.client), conn.live.lost]),
          this.s.operationTimeoutMs + 1000,
          what,
          () => {
            broken = true;
            destroy(conn.client);
          },
        );
      } catch (e) {
        if (!isResultCode(e)) broken = true;
        if (conn.live.dead) broken = true;
        const stale =
          broken &&
          conn.reused &&
          (conn.live.dead || (!(e instanceof DeadlineError) && !/timed out/i.test(String((e as Error)?.message))));
        if (stale && opts.idempotent && attempt === 0) {
          this.log.warn(
            { url: conn.url, err: describeLdapError(e) },
            'directory connection was lost; retrying on a new one',
          );
          continue;
        }
        throw e;
      } finally {
        this.#release(conn, broken);
      }
    }
  }

  /** Connections open now (for tests and `tessera directory test`). */
  stats(): { idle: number; busy: number } {
    return { idle: this.#idle.length, busy: this.#checkedOut };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new TesseraError('DIRECTORY_UNAVAILABLE', 'the directory connection pool is closed'));
    }
    for (const c of this.#idle.splice(0)) destroy(c.client);
  }

  #healthy(c: PooledConnection): boolean {
    return !c.live.dead && c.client.isBound && Date.now() - c.lastUsed < this.s.idleMs;
  }

  async #acquire(): Promise<PooledConnection> {
    if (this.#closed) throw new TesseraError('DIRECTORY_UNAVAILABLE', 'the directory connection pool is closed');
    for (let c = this.#idle.pop(); c; c = this.#idle.pop()) {
      if (this.#healthy(c)) {
        this.#checkedOut++;
        c.reused = true;
        return c;
      }
      destroy(c.client);
    }
    if (this.#checkedOut + this.#opening < this.s.poolSize) {
      this.#opening++;
      try {
        const { client, url, live } = await this.connect(this.s.bindDn, this.bindPassword);
        this.#checkedOut++;
        return { client, url, live, lastUsed: Date.now(), reused: false };
      } catch (e) {
        // A refused service bind is a configuration problem, reported as the directory being unavailable.
        throw new Error(`service account ${this.s.bindDn}: ${describeLdapError(e)}`, { cause: e });
      } finally {
        this.#opening--;
      }
    }
    return new Promise<PooledConnection>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(
            new Error(`all ${this.s.poolSize} directory connections stayed busy for ${this.s.operationTimeoutMs} ms`),
          );
        }, this.s.operationTimeoutMs),
      };
      waiter.timer.unref();
      this.#waiters.push(waiter);
    });
  }

  #release(c: PooledConnection, broken: boolean): void {
    this.#checkedOut--;
    if (broken || this.#closed || c.live.dead || !c.client.isBound) destroy(c.client);
    else {
      c.lastUsed = Date.now();
      this.#idle.push(c);
    }
    // Hand a free slot to the next waiter: an idle connection, or room to open one.
    const w = this.#waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      this.#acquire().then(w.resolve, w.reject);
    }
  }
}
