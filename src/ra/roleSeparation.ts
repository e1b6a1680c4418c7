/**
 * Role separation between CA Administrator and Certificate Manager, as AD CS enforces it
 * with `certutil -setreg ca\RoleSeparationEnabled 1` (learn.microsoft.com "Role-based
 * administration"): one account holding both roles could make a template issue what it
 * wants and then approve the requests for it (ManageCA + ManageCertificates, ESC7).
 * It is on unless tessera.json says `"roleSeparation": false` (AD CS has it off by default;
 * Tessera turns it on, as a CA that issues sign-in credentials should): the embedded
 * directory refuses a membership that would give one account both roles
 * (ra/admin/groups.ts, ra/admin/users.ts), and an account that holds both anyway — through
 * LDAP, or from before the rule — may act in neither role (Actor.ts requireRole), as AD CS
 * denies every CA operation to such a user. A requester never approves their own request,
 * whatever this setting (ra/loadPendingFor.ts).
 */
import type { Config } from '../config/Config.js';

/** The part of the configuration the role rules read. */
export type RoleConfig = Pick<Config, 'roles' | 'roleSeparation'>;

/**
 * Why an account in `groups` would hold both roles, or null when it would not (or role
 * separation is off). Group names compare case-insensitively, as everywhere else
 * (GroupStore.byName, Actor.hasRole).
 */
export function roleSeparationConflict(config: RoleConfig, groups: readonly string[]): string | null {
  if (config.roleSeparation === false) return null;
  const roles = config.roles;
  const held = new Set(groups.map((g) => g.toLowerCase()));
  const admins = roles.caAdministrators;
  const managers = roles.certificateManagers;
  if (!held.has(admins.toLowerCase()) || !held.has(managers.toLowerCase())) return null;
  if (admins.toLowerCase() === managers.toLowerCase()) {
    return (
      'roles.caAdministrators and roles.certificateManagers are the ' +
      `same group (${admins}), so every member would hold both roles`
    );
  }
  return `membership of both ${admins} and ${managers} would make one account CA Administrator and Certificate Manager`;
}
