/**
 * `tessera user …`: the embedded directory's accounts, through ra/admin/users.ts (which
 * checks the CA Administrators role and audits every change). Passwords come from
 * standard input or a prompt, never from an argument (docs/cli.md "Passwords and PINs").
 */
import { Option, type Command } from 'commander';
import { rolesOf } from '../../../ra/Actor.js';
import { createUser, setUserEnabled, setUserPassword } from '../../../ra/admin/users.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { collectList } from '../argParsers.js';
import type { CliContext } from '../CliContext.js';

export function register(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('users of the embedded directory');

  user
    .command('add')
    .description('create a user (in "Domain Users" unless --no-default-group)')
    .argument('<username>', 'account name (letters, digits, ".", "_", "-")')
    .option('--display-name <name>', 'display name (default: the username); also the CN of the user DN')
    .option('--email <address>', 'e-mail address (the rfc822Name in certificates)')
    .option('--upn <upn>', 'user principal name (default: <username>@<DNS domain>)')
    .option('--group <name>', 'also add to this group (repeat, or a comma list)', collectList, [])
    .option('--no-default-group', 'do not add to "Domain Users"')
    .option('--disabled', 'create the account disabled')
    .addOption(
      new Option('--password-stdin', 'read the password from the first line of standard input').conflicts('password'),
    )
    .option('--no-password', 'no password: the user cannot sign in to the enrollment site')
    .action(
      ctx.withTessera(async (t, username: string, o) => {
        const actor = await ctx.actor();
        // A password is asked for unless explicitly refused; without a terminal the
        // prompt fails and names --password-stdin (CliContext.password).
        const password =
          o.password === false
            ? null
            : await ctx.password({ fromStdin: !!o.passwordStdin, prompt: `Password for ${username}: `, confirm: true });
        const created = await createUser(t, actor, {
          username,
          displayName: o.displayName,
          email: o.email ?? null,
          upn: o.upn,
          password,
          enabled: !o.disabled,
          groups: o.group,
          defaultGroup: o.defaultGroup,
        });
        const groups = await t.store.groups.groupsOf(created.id);
        ctx.out.result({ ...created, groups, password: password !== null }, () => {
          ctx.out.line(`Created ${created.username} (${created.sid})${created.enabled ? '' : ', disabled'}`);
          ctx.out.line(`  DN:     ${created.dn}`);
          ctx.out.line(`  groups: ${groups.join(', ') || '(none)'}`);
          if (password === null) ctx.out.line('  no password: set one with `tessera user set-password`');
        });
      }),
    );

  user
    .command('list')
    .description('list users')
    .action(
      ctx.withTessera(async (t) => {
        const rows = await Promise.all(
          (await t.store.users.list()).map(async (u) => ({ ...u, groups: await t.store.groups.groupsOf(u.id) })),
        );
        ctx.out.table(rows, [
          { header: 'USERNAME', value: (u) => u.username },
          { header: 'DISPLAY NAME', value: (u) => u.displayName },
          { header: 'UPN', value: (u) => u.upn },
          { header: 'E-MAIL', value: (u) => u.email },
          { header: 'ENABLED', value: (u) => (u.enabled ? 'yes' : 'no') },
          { header: 'GROUPS', value: (u) => u.groups },
        ]);
      }),
    );

  user
    .command('show')
    .description('show a user: SID, DN, groups, roles, created')
    .argument('<username>', 'account name, DOMAIN\\name or UPN')
    .action(
      ctx.withTessera(async (t, username: string) => {
        const u = await t.directory.findUser(username);
        if (!u) throw new TesseraError('USER_UNKNOWN', username);
        const roles = rolesOf(u, t.config.roles);
        ctx.out.fields(
          [
            ['Username', u.username],
            ['Display name', u.displayName],
            ['UPN', u.upn ?? '(none)'],
            ['E-mail', u.email ?? '(none)'],
            ['SID', u.sid ?? '(none)'],
            ['DN', u.dn],
            ['Enabled', u.enabled ? 'yes' : 'no'],
            ['Groups', u.groups.length ? u.groups : '(none)'],
            ['Roles', roles.length ? roles : '(none)'],
            ['Created', u.createdAt],
          ],
          { ...u, roles },
        );
      }),
    );

  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    user
      .command(name)
      .description(enabled ? 'enable a user' : 'disable a user: sign-in and new requests are refused (USER_DISABLED)')
      .argument('<username>')
      .action(
        ctx.withTessera(async (t, username: string) => {
          await setUserEnabled(t, await ctx.actor(), username, enabled);
          ctx.out.result({ username, enabled }, `${enabled ? 'Enabled' : 'Disabled'} ${username}`);
        }),
      );
  }

  user
    .command('set-password')
    .description("set a user's password (at least 8 characters)")
    .argument('<username>')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(
      ctx.withTessera(async (t, username: string, o) => {
        const actor = await ctx.actor();
        // Resolve the account before asking, so a typo fails without a pointless prompt.
        if (!(await t.directory.findUser(username))) throw new TesseraError('USER_UNKNOWN', username);
        const password = await ctx.password({
          fromStdin: !!o.passwordStdin,
          prompt: `New password for ${username}: `,
          confirm: true,
        });
        await setUserPassword(t, actor, username, password);
        ctx.out.result({ username, passwordSet: true }, `Password set for ${username}`);
      }),
    );
}
