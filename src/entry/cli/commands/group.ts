/**
 * `tessera group …`: embedded directory groups and memberships, through
 * ra/admin/groups.ts (CA Administrators role, audited). Membership is what Enroll
 * permissions on templates and the role groups (tessera.json "roles") are granted to.
 */
import type { Command } from 'commander';
import type { RoleGroups } from '../../../config/Config.js';
import { createGroup, setGroupMember } from '../../../ra/admin/groups.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { CliContext } from '../CliContext.js';

export function register(program: Command, ctx: CliContext): void {
  const group = program.command('group').description('groups of the embedded directory');

  group
    .command('add')
    .description('create a group')
    .argument('<name>', 'group name (letters, digits, spaces, ".", "_", "-")')
    .option('--description <text>', 'what the group is for', '')
    .action(
      ctx.withTessera(async (t, name: string, o) => {
        const g = await createGroup(t, await ctx.actor(), name, o.description);
        ctx.out.result(g, `Created group ${g.name} (${g.sid})`);
      }),
    );

  group
    .command('list')
    .description('list groups with their member counts')
    .action(
      ctx.withTessera(async (t) => {
        const rows = await t.store.groups.list();
        const roleOf = roleNames(t.config.roles);
        ctx.out.table(
          rows,
          [
            { header: 'NAME', value: (g) => g.name },
            { header: 'MEMBERS', value: (g) => g.members },
            { header: 'ROLE', value: (g) => roleOf(g.name) },
            { header: 'SID', value: (g) => g.sid },
            { header: 'DESCRIPTION', value: (g) => g.description },
          ],
          rows.map((g) => ({ ...g, role: roleOf(g.name) ?? null })),
        );
      }),
    );

  group
    .command('show')
    .description('show a group and its members')
    .argument('<name>')
    .action(
      ctx.withTessera(async (t, name: string) => {
        const g = await t.store.groups.byName(name);
        if (!g) throw new TesseraError('NOT_FOUND', `group ${name}`);
        const members = await t.store.groups.members(g.id);
        const role = roleNames(t.config.roles)(g.name) ?? null;
        ctx.out.fields(
          [
            ['Name', g.name],
            ['SID', g.sid],
            ['Description', g.description || '(none)'],
            ['Role', role ?? '(none)'],
            ['Members', members.length ? members.map((m) => m.username) : '(none)'],
          ],
          { ...g, role, members },
        );
      }),
    );

  for (const [name, member] of [
    ['add-member', true],
    ['remove-member', false],
  ] as const) {
    group
      .command(name)
      .description(member ? 'add a user to a group' : 'remove a user from a group')
      .argument('<group>')
      .argument('<username>')
      .action(
        ctx.withTessera(async (t, groupName: string, username: string) => {
          const changed = await setGroupMember(t, await ctx.actor(), groupName, username, member);
          ctx.out.result(
            { group: groupName, username, member, changed },
            changed
              ? `${member ? 'Added' : 'Removed'} ${username} ${member ? 'to' : 'from'} ${groupName}`
              : `${username} was ${member ? 'already' : 'not'} a member of ${groupName}; nothing changed`,
          );
        }),
      );
  }
}

/** Which Tessera role (tessera.json "roles") a group stands for, if any. */
function roleNames(roles: RoleGroups): (group: string) => string | undefined {
  return (group) => Object.entries(roles).find(([, g]) => g.toLowerCase() === group.toLowerCase())?.[0];
}
