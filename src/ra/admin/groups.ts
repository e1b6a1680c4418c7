/** Embedded-directory administration: groups and memberships, audited. */
import type { Tessera } from '../../Tessera.js';
import { TesseraError } from '../../errors/TesseraError.js';
import { isUniqueViolation } from '../../store/database.js';
import type { GroupRecord } from '../../store/records.js';
import { actorName, requireRole, type Actor } from '../Actor.js';
import { allocateSid } from './users.js';

export async function createGroup(t: Tessera, actor: Actor, name: string, description = ''): Promise<GroupRecord> {
  requireRole(actor, t.config.roles, 'caAdministrators');
  if (t.directory.kind !== 'embedded') throw new TesseraError('INPUT_INVALID', 'groups are managed in the LDAP directory');
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/.test(name)) throw new TesseraError('INPUT_INVALID', 'group name: letters, digits, spaces, ".", "_" and "-", at most 64');
  try {
    return await t.store.transaction(async (tx) => {
      // Names match case-insensitively everywhere (GroupStore.byName, as AD does), so a
      // name differing only in case would be a second group no lookup could tell apart.
      if (await tx.groups.byName(name)) throw new TesseraError('ALREADY_EXISTS', `group ${name}`);
      const sid = await allocateSid(tx, t.config.domain.sid);
      const g = await tx.groups.create({ name, sid, description, createdAt: t.now() });
      await tx.audit.append({ actor: actorName(actor), action: 'group.created', target: name, source: actor.source, details: { sid } });
      return g;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new TesseraError('ALREADY_EXISTS', `group ${name}`);
    throw e;
  }
}

export async function setGroupMember(t: Tessera, actor: Actor, group: string, username: string, member: boolean): Promise<boolean> {
  requireRole(actor, t.config.roles, 'caAdministrators');
  if (t.directory.kind !== 'embedded') throw new TesseraError('INPUT_INVALID', 'groups are managed in the LDAP directory');
  return t.store.transaction(async (tx) => {
    const g = await tx.groups.byName(group);
    if (!g) throw new TesseraError('NOT_FOUND', `group ${group}`);
    const u = await tx.users.byUsername(username);
    if (!u) throw new TesseraError('USER_UNKNOWN', username);
    const changed = member ? await tx.groups.addMember(g.id, u.id) : await tx.groups.removeMember(g.id, u.id);
    if (changed) await tx.audit.append({ actor: actorName(actor), action: member ? 'group.member_added' : 'group.member_removed', target: g.name, source: actor.source, details: { user: u.username } });
    return changed;
  });
}
