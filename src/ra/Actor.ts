/**
 * Who is acting. A directory user (signed in over HTTP, or named with --as on the CLI),
 * or the local administrator: someone with access to the data directory on the CA host,
 * which is the trust AD CS gives certutil run on the CA server.
 */
import type { RoleGroups } from '../config/Config.js';
import type { DirectoryUser } from '../directory/Directory.js';
import { TesseraError } from '../errors/TesseraError.js';
import { roleSeparationConflict, type RoleConfig } from './roleSeparation.js';

export type Actor =
  | { readonly kind: 'user'; readonly user: DirectoryUser; readonly source: string | null }
  | { readonly kind: 'local'; readonly name: string; readonly source: string };

export type Role = keyof RoleGroups;

export function actorName(a: Actor): string {
  return a.kind === 'user' ? a.user.username : `local:${a.name}`;
}

/** A disabled account holds no role, even when named with --as on the CA host. */
export function hasRole(user: DirectoryUser, roles: RoleGroups, role: Role): boolean {
  if (!user.enabled) return false;
  const group = roles[role].toLowerCase();
  return user.groups.some((g) => g.toLowerCase() === group);
}

/** The local administrator holds every administrative role; a user needs the role's group. */
export function requireRole(actor: Actor, config: RoleConfig, role: Role): void {
  if (actor.kind === 'local') return;
  const roles = config.roles;
  if (!hasRole(actor.user, roles, role))
    throw new TesseraError('FORBIDDEN', `${actor.user.username} is not in ${roles[role]}`);
  // Role separation (roleSeparation.ts): an account holding both roles acts in neither.
  if (role === 'caAdministrators' || role === 'certificateManagers') {
    const conflict = roleSeparationConflict(config, actor.user.groups);
    if (conflict)
      throw new TesseraError(
        'ROLE_CONFLICT',
        `${actor.user.username} holds both roles: ${conflict}; remove them from one of the groups`,
      );
  }
}

export function rolesOf(user: DirectoryUser, roles: RoleGroups): Role[] {
  return (Object.keys(roles) as Role[]).filter((r) => hasRole(user, roles, r));
}
