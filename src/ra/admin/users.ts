/**
 * Embedded-directory administration: users. Every change is audited in the same
 * transaction. Only CA administrators (or the local administrator) may do it.
 */
import type { Tessera } from '../../Tessera.js';
import { hashPassword } from '../../directory/password.js';
import { TesseraError } from '../../errors/TesseraError.js';
import type { UserRecord } from '../../store/records.js';
import type { Store } from '../../store/Store.js';
import { actorName, requireRole, type Actor } from '../Actor.js';
import { endUserSessions } from '../endUserSessions.js';
import { roleSeparationConflict } from '../roleSeparation.js';

export interface NewUserInput {
  readonly username: string;
  readonly displayName?: string;
  readonly email?: string | null;
  readonly upn?: string | null;
  readonly password?: string | null;
  readonly enabled?: boolean;
  readonly groups?: readonly string[];
  /** Add to "Domain Users" (default true). */
  readonly defaultGroup?: boolean;
}

const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EMAIL_RE = /^[\x21-\x3f\x41-\x7e]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

function requireEmbedded(t: Tessera): void {
  if (t.directory.kind !== 'embedded')
    throw new TesseraError('INPUT_INVALID', 'users and groups are managed in the LDAP directory, not in Tessera');
}

/** The next relative identifier in this domain (AD allocates RIDs from 1000; we start at 1100). */
export async function allocateSid(tx: Store, domainSid: string): Promise<string> {
  const next = Number((await tx.meta.get('next_rid')) ?? '1100');
  await tx.meta.set('next_rid', String(next + 1));
  return `${domainSid}-${next}`;
}

export function userDn(t: Tessera, displayName: string): string {
  const esc = displayName.replace(/([,+"\\<>;=])/g, '\\$1');
  return `CN=${esc},CN=Users,${t.config.domain.dnsName
    .split('.')
    .map((p) => `DC=${p}`)
    .join(',')}`;
}

export async function createUser(t: Tessera, actor: Actor, u: NewUserInput): Promise<UserRecord> {
  requireRole(actor, t.config, 'caAdministrators');
  requireEmbedded(t);
  if (!USERNAME_RE.test(u.username))
    throw new TesseraError('INPUT_INVALID', 'username: letters, digits, ".", "_" and "-", at most 64');
  const email = u.email ?? null;
  if (email !== null && !EMAIL_RE.test(email))
    throw new TesseraError('INPUT_INVALID', `e-mail address "${email}" is not valid`);
  const upn = u.upn === undefined ? `${u.username}@${t.config.domain.dnsName}` : u.upn;
  if (upn !== null && !/^[^@\s\x00-\x1f]+@[A-Za-z0-9.-]+$/.test(upn))
    throw new TesseraError('INPUT_INVALID', `UPN "${upn}" is not valid`);
  const displayName = (u.displayName ?? u.username).trim();
  if (!displayName || displayName.length > 128 || /[\x00-\x1f<>]/.test(displayName))
    throw new TesseraError('INPUT_INVALID', 'display name: 1–128 printable characters, without < or >');
  if (u.password !== undefined && u.password !== null && u.password.length < 8)
    throw new TesseraError('INPUT_INVALID', 'passwords have at least 8 characters');
  const passwordHash = u.password ? await hashPassword(u.password) : null;
  const groups = [...(u.defaultGroup === false ? [] : ['Domain Users']), ...(u.groups ?? [])];
  // Role separation (ra/roleSeparation.ts): a new account cannot start with both roles.
  const conflict = roleSeparationConflict(t.config, groups);
  if (conflict) {
    const detail = `${u.username} cannot be created in ${groups.join(', ')}: ${conflict}`;
    await t.store.transaction((tx) =>
      tx.audit.append({
        actor: actorName(actor),
        action: 'user.create_refused',
        target: u.username,
        source: actor.source,
        details: { groups, code: 'ROLE_CONFLICT', detail },
      }),
    );
    throw new TesseraError('ROLE_CONFLICT', detail);
  }
  try {
    return await t.store.transaction(async (tx) => {
      // Usernames and UPNs match case-insensitively (UserStore.byUsername/byUpn, as AD
      // does); the unique constraints alone would let "Alice" sit beside "alice".
      if ((await tx.users.byUsername(u.username)) || (upn !== null && (await tx.users.byUpn(upn)))) {
        throw new TesseraError('ALREADY_EXISTS', `a user with username ${u.username} or UPN ${upn} already exists`);
      }
      const groupRows = [];
      for (const g of groups) {
        const row = await tx.groups.byName(g);
        if (!row) throw new TesseraError('NOT_FOUND', `group ${g}`);
        groupRows.push(row);
      }
      const sid = await allocateSid(tx, t.config.domain.sid);
      const created = await tx.users.create({
        username: u.username,
        upn,
        email,
        displayName,
        sid,
        dn: userDn(t, displayName),
        enabled: u.enabled ?? true,
        passwordHash,
        createdAt: t.now(),
      });
      for (const g of groupRows) await tx.groups.addMember(g.id, created.id);
      await tx.audit.append({
        actor: actorName(actor),
        action: 'user.created',
        target: created.username,
        source: actor.source,
        details: { upn, email, sid, groups: groupRows.map((g) => g.name), enabled: created.enabled },
      });
      return created;
    });
  } catch (e) {
    // A unique constraint comes out of the store as ALREADY_EXISTS (store/storageErrors.ts).
    if (e instanceof TesseraError && e.code === 'ALREADY_EXISTS') {
      throw new TesseraError('ALREADY_EXISTS', `a user with username ${u.username} or UPN ${upn} already exists`);
    }
    throw e;
  }
}

async function findUserRecord(t: Tessera, username: string): Promise<UserRecord> {
  const u = await t.store.users.byUsername(username);
  if (!u) throw new TesseraError('USER_UNKNOWN', username);
  return u;
}

export async function setUserEnabled(t: Tessera, actor: Actor, username: string, enabled: boolean): Promise<void> {
  requireRole(actor, t.config, 'caAdministrators');
  requireEmbedded(t);
  const u = await findUserRecord(t, username);
  await t.store.transaction(async (tx) => {
    await tx.users.setEnabled(u.id, enabled);
    await tx.audit.append({
      actor: actorName(actor),
      action: enabled ? 'user.enabled' : 'user.disabled',
      target: u.username,
      source: actor.source,
    });
    // Disabling ends the account's sessions now; enabling it again does not revive them.
    if (!enabled) await endUserSessions(tx, actor, u.username, 'account_disabled', t.now());
  });
}

/** Administrators set anyone's password; a user may change their own. */
export async function setUserPassword(t: Tessera, actor: Actor, username: string, password: string): Promise<void> {
  const self = actor.kind === 'user' && actor.user.username.toLowerCase() === username.toLowerCase();
  if (!self) requireRole(actor, t.config, 'caAdministrators');
  requireEmbedded(t);
  if (password.length < 8) throw new TesseraError('INPUT_INVALID', 'passwords have at least 8 characters');
  const u = await findUserRecord(t, username);
  const hash = await hashPassword(password);
  await t.store.transaction(async (tx) => {
    await tx.users.setPasswordHash(u.id, hash);
    // The audit record says that the password changed, never what it is.
    await tx.audit.append({
      actor: actorName(actor),
      action: 'user.password_set',
      target: u.username,
      source: actor.source,
    });
    // Whoever knew the old password may hold a session made with it: all of them end,
    // the caller's own included when users change their own password.
    await endUserSessions(tx, actor, u.username, 'password_set', t.now());
  });
}
