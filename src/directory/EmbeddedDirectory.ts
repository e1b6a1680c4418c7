/**
 * The default directory: users and groups in Tessera's own database (store/), passwords
 * hashed with scrypt. Administration (adding users, groups, memberships) is done by the
 * RA use cases in ra/admin, which audit every change.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/Store.js';
import { splitAccountName, type Directory, type DirectoryUser } from './Directory.js';
import { dummyHash, verifyPassword } from './password.js';

export class EmbeddedDirectory implements Directory {
  readonly kind = 'embedded' as const;

  constructor(
    private readonly store: Store,
    readonly domain: string,
  ) {}

  private async withGroups(u: UserRecord): Promise<DirectoryUser> {
    return {
      username: u.username,
      upn: u.upn,
      email: u.email,
      displayName: u.displayName,
      sid: u.sid,
      dn: u.dn,
      enabled: u.enabled,
      createdAt: u.createdAt,
      groups: await this.store.groups.groupsOf(u.id),
    };
  }

  private async record(name: string): Promise<UserRecord | undefined> {
    const n = splitAccountName(name, this.domain);
    if (!n) return undefined;
    return n.kind === 'upn' ? this.store.users.byUpn(n.value) : this.store.users.byUsername(n.value);
  }

  async authenticate(username: string, password: string): Promise<DirectoryUser> {
    const u = await this.record(username);
    const stored = u ? await this.store.users.passwordHash(u.username) : undefined;
    // Same work whether or not the user exists, so timing does not reveal account names.
    const ok = await verifyPassword(password, stored ?? (await dummyHash()));
    if (!u || !stored || !ok) throw new TesseraError('AUTH_FAILED');
    if (!u.enabled) throw new TesseraError('USER_DISABLED', u.username);
    return this.withGroups(u);
  }

  async findUser(name: string): Promise<DirectoryUser | undefined> {
    const u = await this.record(name);
    return u && this.withGroups(u);
  }

  async findUserBySid(sid: string): Promise<DirectoryUser | undefined> {
    const u = await this.store.users.bySid(sid);
    return u && this.withGroups(u);
  }

  async findUserByUpn(upn: string): Promise<DirectoryUser | undefined> {
    const u = await this.store.users.byUpn(upn);
    return u && this.withGroups(u);
  }

  async findUsersByEmail(email: string): Promise<DirectoryUser[]> {
    return Promise.all((await this.store.users.byEmail(email)).map((u) => this.withGroups(u)));
  }

  async groupExists(name: string): Promise<boolean> {
    return (await this.store.groups.byName(name)) !== undefined;
  }

  async close(): Promise<void> {}
}
