/**
 * The default directory: users and groups in Tessera's own database (store/), passwords
 * hashed with scrypt. Administration (adding users, groups, memberships) is done by the
 * RA use cases in ra/admin, which audit every change.
 *
 * Lookups (never password checks) are cached for a short time, 2 s by default: issuance
 * looked up the requester (user + groups) for authentication and again for the name
 * owners (UPN, e-mail) — five queries per request, at thousands per second. A change
 * made through this process's Store is seen by the very next lookup
 * (store/StoreChanges.ts); one made elsewhere (`tessera user disable` beside a running
 * server, another node on PostgreSQL) within the time-to-live — well inside the seconds
 * to minutes that Active Directory itself takes to replicate a disabled account.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/Store.js';
import { splitAccountName, type Directory, type DirectoryUser } from './Directory.js';
import { dummyHash, verifyPassword } from './password.js';

export interface DirectoryCacheOptions {
  /** How long a lookup may be reused when nothing changed locally; 0 turns the cache off. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export const DIRECTORY_CACHE_TTL_MS = 2000;

interface Entry {
  readonly value: unknown;
  readonly expires: number;
  readonly generation: number;
}

export class EmbeddedDirectory implements Directory {
  readonly kind = 'embedded' as const;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, Entry>();

  constructor(
    private readonly store: Store,
    readonly domain: string,
    o: DirectoryCacheOptions = {},
  ) {
    this.#ttlMs = o.ttlMs ?? DIRECTORY_CACHE_TTL_MS;
    this.#now = o.now ?? Date.now;
  }

  /** A cached lookup; the value is frozen, as every caller shares it. */
  async #cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const e = this.#cache.get(key);
    if (e && e.generation === this.store.changes.directory && e.expires > this.#now()) return e.value as T;
    // The count before the read: a change landing during it leaves the entry already stale.
    const generation = this.store.changes.directory;
    const value = await load();
    if (this.#ttlMs > 0) {
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(key, { value, generation, expires: this.#now() + this.#ttlMs });
    }
    return value;
  }

  private async withGroups(u: UserRecord): Promise<DirectoryUser> {
    return Object.freeze({
      username: u.username,
      upn: u.upn,
      email: u.email,
      displayName: u.displayName,
      sid: u.sid,
      dn: u.dn,
      enabled: u.enabled,
      createdAt: u.createdAt,
      groups: Object.freeze(await this.store.groups.groupsOf(u.id)),
    });
  }

  private async record(name: string): Promise<UserRecord | undefined> {
    const n = splitAccountName(name, this.domain);
    if (!n) return undefined;
    return n.kind === 'upn' ? this.store.users.byUpn(n.value) : this.store.users.byUsername(n.value);
  }

  async authenticate(username: string, password: string): Promise<DirectoryUser> {
    // Never cached: the password and the account state are read at every check.
    const u = await this.record(username);
    const stored = u ? await this.store.users.passwordHash(u.username) : undefined;
    // Same work whether or not the user exists, so timing does not reveal account names.
    const ok = await verifyPassword(password, stored ?? (await dummyHash()));
    if (!u || !stored || !ok) throw new TesseraError('AUTH_FAILED');
    if (!u.enabled) throw new TesseraError('USER_DISABLED', u.username);
    return this.withGroups(u);
  }

  async findUser(name: string): Promise<DirectoryUser | undefined> {
    return this.#cached(`name:${name.trim().toLowerCase()}`, async () => {
      const u = await this.record(name);
      return u && this.withGroups(u);
    });
  }

  async findUserBySid(sid: string): Promise<DirectoryUser | undefined> {
    return this.#cached(`sid:${sid}`, async () => {
      const u = await this.store.users.bySid(sid);
      return u && this.withGroups(u);
    });
  }

  async findUserByUpn(upn: string): Promise<DirectoryUser | undefined> {
    return this.#cached(`upn:${upn.toLowerCase()}`, async () => {
      const u = await this.store.users.byUpn(upn);
      return u && this.withGroups(u);
    });
  }

  async findUsersByEmail(email: string): Promise<DirectoryUser[]> {
    const users = await this.#cached(`email:${email.toLowerCase()}`, async () =>
      Object.freeze(await Promise.all((await this.store.users.byEmail(email)).map((u) => this.withGroups(u)))),
    );
    return [...users];
  }

  async groupExists(name: string): Promise<boolean> {
    return this.#cached(
      `group:${name.toLowerCase()}`,
      async () => (await this.store.groups.byName(name)) !== undefined,
    );
  }

  async close(): Promise<void> {}
}
