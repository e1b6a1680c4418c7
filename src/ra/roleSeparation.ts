/**
 * Role separation between CA Administrator and Certificate Manager, as AD CS enforces it
 * with `certutil -setreg ca\RoleSeparationEnabled 1` (learn.microsoft.com "Role-based
 * administration"): one account holding both roles could make a template issue what it
 * wants and then approve the requests for it (ManageCA + ManageCertificates, ESC7).
 * Tessera keeps separation of duties on unconditionally (ra/loadPendingFor.ts), so this
 * rule has no switch either: the embedded directory refuses a membership that would give
 * one account both roles (ra/admin/groups.ts, ra/admin/users.ts), and an account that
 * holds both anyway — through LDAP, or from before this rule — may act in neither role
 * (Actor.ts requireRole), as AD CS denies every CA operation to such a user.
 */
import type { RoleGroups } from '../config/Config.js';

/**
 * Why an account in `groups` would hold both roles, or null when it would not. Group
 * names compare case-insensitively, as everywhere else (GroupStore.byName, Actor.hasRole).
 */
export function roleSeparationConflict(roles: RoleGroups, groups: readonly string[]): string | null {
  const held = new Set(groups.map((g) => g.toLowerCase()));
  const admins = roles.caAdministrators;
  const managers = roles.certificateManagers;
  if (!held.has(admins.toLowerCase()) || !held.has(managers.toLowerCase())) return null;
  if (admins.toLowerCase() === managers.toLowerCase()) {
    return `roles.caAdministrators and roles.certificateManagers are the same group (${admins}), so every member would hold both roles`;
  }
  return `membership of both ${admins} and ${managers} would make one account CA Administrator and Certificate Manager`;
}
