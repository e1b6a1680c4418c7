/** Embedded-directory administration: groups and memberships, audited. */
import type { Tessera } from '../../Tessera.js';
import { TesseraError } from '../../errors/TesseraError.js';
import type { GroupRecord } from '../../store/records.js';
import { actorName, requireRole, type Actor, type Role } from '../Actor.js';
import { roleSeparationConflict } from '../roleSeparation.js';
import { endUserSessions } from '../endUserSessions.js';
import { allocateSid } from './users.js';

export async function createGroup(t: Tessera, actor: Actor, name: string, description = ''): Promise<GroupRecord> {
  requireRole(actor, t.config, 'caAdministrators');
  if (t.directory.kind !== 'embedded')
    throw new TesseraError('INPUT_INVALID', 'groups are managed in the LDAP directory');
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/.test(name))
    throw new TesseraError('INPUT_INVALID', 'group name: letters, digits, spaces, ".", "_" and "-", at most 64');
  try {
    return await t.store.transaction(async (tx) => {
      // Names match case-insensitively everywhere (GroupStore.byName, as AD does), so a
      // name differing only in case would be a second group no lookup could tell apart.
      if (await tx.groups.byName(name)) throw new TesseraError('ALREADY_EXISTS', `group ${name}`);
      const sid = await allocateSid(tx, t.config.domain.sid);
      const g = await tx.groups.create({ name, sid, description, createdAt: t.now() });
      await tx.audit.append({
        actor: actorName(actor),
        action: 'group.created',
        target: name,
        source: actor.source,
        details: { sid },
      });
      return g;
    });
  } catch (e) {
    // A unique constraint comes out of the store as ALREADY_EXISTS (store/storageErrors.ts).
    if (e instanceof TesseraError && e.code === 'ALREADY_EXISTS') {
      throw new TesseraError('ALREADY_EXISTS', `group ${name}`);
    }
    throw e;
  }
}

export async function setGroupMember(
  t: Tessera,
  actor: Actor,
  group: string,
  username: string,
  member: boolean,
): Promise<boolean> {
  requireRole(actor, t.config, 'caAdministrators');
  if (t.directory.kind !== 'embedded')
    throw new TesseraError('INPUT_INVALID', 'groups are managed in the LDAP directory');
  try {
    return await t.store.transaction(async (tx) => {
      const g = await tx.groups.byName(group);
      if (!g) throw new TesseraError('NOT_FOUND', `group ${group}`);
      const u = await tx.users.byUsername(username);
      if (!u) throw new TesseraError('USER_UNKNOWN', username);
      const changed = member ? await tx.groups.addMember(g.id, u.id) : await tx.groups.removeMember(g.id, u.id);
      if (changed)
        await tx.audit.append({
          actor: actorName(actor),
          action: member ? 'group.member_added' : 'group.member_removed',
          target: g.name,
          source: actor.source,
          details: { user: u.username },
        });
      if (changed && member) {
        // Role separation (ra/roleSeparation.ts), whoever asks — the user themselves or
        // another administrator. Read after the audit append, which on PostgreSQL waits for
        // the audit head's row lock (AuditStore.ts): a concurrent addition to the other role
        // group has committed by then and this read sees it, so two additions racing each
        // other cannot both pass. The throw rolls the addition and its record back.
        const conflict = roleSeparationConflict(t.config, await tx.groups.groupsOf(u.id));
        if (conflict)
          throw new MembershipRefused(g.name, u.username, `${u.username} cannot be added to ${g.name}: ${conflict}`);
      }
      // Leaving a role group (CA Administrators, Certificate Managers, Auditors, Enrollment
      // Agents: config roles) ends the user's sessions on every node at once. Other groups
      // only grant Enroll on templates, which every request checks against the groups the
      // directory gives now (policy/mayEnroll.ts), so the session goes on and the next
      // request for that template is denied, as AD CS denies it.
      const role = (Object.keys(t.config.roles) as Role[]).find(
        (r) => t.config.roles[r].toLowerCase() === g.name.toLowerCase(),
      );
      if (changed && !member && role)
        await endUserSessions(tx, actor, u.username, 'role_removed', t.now(), { group: g.name, role });
      return changed;
    });
  } catch (e) {
    // Audited on its own, once the rollback has left the membership as it was.
    if (e instanceof MembershipRefused) {
      await t.store.transaction((tx) =>
        tx.audit.append({
          actor: actorName(actor),
          action: 'group.member_refused',
          target: e.group,
          source: actor.source,
          details: { user: e.user, code: e.code, detail: e.detail },
        }),
      );
    }
    throw e;
  }
}

/** A ROLE_CONFLICT refusal of one membership, carrying what the audit record names. */
class MembershipRefused extends TesseraError {
  constructor(
    readonly group: string,
    readonly user: string,
    detail: string,
  ) {
    super('ROLE_CONFLICT', detail);
  }
}
