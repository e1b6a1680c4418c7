/**
 * `tessera directory …`: which directory Tessera signs users in against (docs/directory.md).
 *
 *   tessera directory test [--user NAME [--authenticate --password-stdin]]
 *   tessera directory configure-ldap --flavor activeDirectory --url ldaps://dc1.corp.example.com \
 *       --bind-dn 'CN=svc-tessera,OU=Service Accounts,DC=corp,DC=example,DC=com' \
 *       --bind-password-env TESSERA_LDAP_PASSWORD --base-dn 'DC=corp,DC=example,DC=com' [--check]
 *   tessera directory configure-embedded
 *
 * The service account password is never an argument or a file value: tessera.json names
 * the environment variable that holds it.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { Config, LdapSettings } from '../../../config/Config.js';
import { dataPaths } from '../../../config/dataPaths.js';
import { saveConfig } from '../../../config/loadConfig.js';
import type { DirectoryUser } from '../../../directory/Directory.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { CliContext } from '../CliContext.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function userFields(u: DirectoryUser): [string, unknown][] {
  return [
    ['username', u.username],
    ['UPN', u.upn],
    ['e-mail', u.email],
    ['display name', u.displayName],
    ['SID', u.sid],
    ['DN', u.dn],
    ['enabled', u.enabled],
    ['created', u.createdAt],
    ['groups', u.groups],
  ];
}

/** tessera.json as written (not loadConfig's view, which applies TESSERA_DATABASE_URL). */
async function readRawConfig(path: string): Promise<Config> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Config;
  } catch (e) {
    throw new TesseraError(
      'CONFIG_INVALID',
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; run \`tessera init\` first`,
    );
  }
}

export function register(program: Command, ctx: CliContext): void {
  const directory = program
    .command('directory')
    .description('the user directory: embedded (default) or LDAP / Active Directory');

  directory
    .command('test')
    .description('check the directory connection, and optionally look a user up or check their password')
    .option('--user <name>', 'account name, DOMAIN\\name or UPN to look up')
    .option('--authenticate', "also check the user's password (prompted, or --password-stdin)")
    .addOption(
      new Option('--password-stdin', 'read the password from the first line of standard input').implies({
        authenticate: true,
      }),
    )
    .action(
      ctx.withTessera(async (t, o) => {
        const d = t.directory;
        const report: Record<string, unknown> = { kind: d.kind, domain: d.domain };
        if (d.kind === 'ldap') {
          const { LdapDirectory } = await import('../../../directory/ldap/LdapDirectory.js');
          if (d instanceof LdapDirectory) report.connection = await d.probe();
        }
        let user: DirectoryUser | undefined;
        if (o.user) {
          if (o.authenticate) {
            const password = await ctx.password({ fromStdin: !!o.passwordStdin, prompt: `Password for ${o.user}: ` });
            user = await d.authenticate(o.user, password);
          } else {
            user = await d.findUser(o.user);
            if (!user) throw new TesseraError('USER_UNKNOWN', o.user);
          }
          report.user = user;
        }
        ctx.out.result(report, () => {
          const c = report.connection as
            | {
                urls: string[];
                transport: string;
                vendor: string | null;
                nesting: string;
                userBaseDn: string;
                groupBaseDn: string;
              }
            | undefined;
          ctx.out.line(`Directory: ${d.kind}${c ? ` (${c.urls.join(', ')}, ${c.transport})` : ''}, domain ${d.domain}`);
          if (c) {
            ctx.out.line(`  server:        ${c.vendor ?? '(no vendorName)'}`);
            ctx.out.line(`  nested groups: ${c.nesting}`);
            ctx.out.line(`  users under:   ${c.userBaseDn}`);
            ctx.out.line(`  groups under:  ${c.groupBaseDn}`);
          }
          if (user) {
            ctx.out.line(o.authenticate ? 'Password accepted:' : 'User:');
            ctx.out.fields(userFields(user));
          }
        });
      }),
    );

  directory
    .command('configure-ldap')
    .description('point Tessera at LDAP / Active Directory (writes tessera.json; restart to apply)')
    .addOption(
      new Option('--flavor <flavor>', 'attribute and group defaults')
        .choices(['activeDirectory', 'openldap'])
        .makeOptionMandatory(),
    )
    .requiredOption(
      '--url <url>',
      'ldaps://host[:636] or ldap://host[:389] with StartTLS (repeat for failover)',
      collect,
    )
    .requiredOption('--bind-dn <dn>', 'service account DN (searches; writes userCertificate with --publish)')
    .option(
      '--bind-password-env <name>',
      'environment variable holding the service account password',
      'TESSERA_LDAP_PASSWORD',
    )
    .requiredOption('--base-dn <dn>', 'search base, e.g. DC=corp,DC=example,DC=com')
    .option('--user-base-dn <dn>', 'where users are (default: the base DN)')
    .option('--group-base-dn <dn>', 'where groups are (default: the base DN)')
    .option('--user-filter <filter>', 'which entries are users')
    .option('--group-filter <filter>', 'which entries are groups')
    .option(
      '--ca-file <path>',
      "PEM CA certificates for the directory's TLS certificate (relative to the data directory)",
    )
    .option('--tls-server-name <name>', 'name expected in the TLS certificate when it differs from the URL host')
    .option('--no-start-tls', 'plain LDAP on ldap:// URLs (needs --allow-plaintext; loopback only)')
    .option('--allow-plaintext', 'permit plain LDAP to a loopback address (tests)')
    .addOption(
      new Option('--nested-groups <how>', 'nested group resolution').choices(['auto', 'inChain', 'walk', 'none']),
    )
    .option('--publish', 'publish issued certificates to userCertificate and remove them on revocation')
    .option('--check', 'connect with the new settings before saving (the password variable must be set)')
    .action(async (o) => {
      const path = dataPaths(ctx.dataDir).config;
      const config = await readRawConfig(path);
      const settings: LdapSettings = {
        flavor: o.flavor,
        url: o.url.length === 1 ? o.url[0] : o.url,
        bindDn: o.bindDn,
        bindPasswordEnv: o.bindPasswordEnv,
        baseDn: o.baseDn,
        ...(o.userBaseDn ? { userBaseDn: o.userBaseDn } : {}),
        ...(o.groupBaseDn ? { groupBaseDn: o.groupBaseDn } : {}),
        ...(o.userFilter ? { userFilter: o.userFilter } : {}),
        ...(o.groupFilter ? { groupFilter: o.groupFilter } : {}),
        ...(o.caFile ? { caFile: o.caFile } : {}),
        ...(o.tlsServerName ? { tlsServerName: o.tlsServerName } : {}),
        ...(o.startTls === false ? { startTls: false } : {}),
        ...(o.allowPlaintext ? { allowPlaintext: true } : {}),
        ...(o.nestedGroups ? { nestedGroups: o.nestedGroups } : {}),
        ...(o.publish ? { publish: true } : {}),
      };
      const next: Config = { ...config, directory: { type: 'ldap', ...settings } };
      let connection: unknown;
      const missingGroups: string[] = [];
      if (o.check) {
        const { openLdapDirectory } = await import('../../../directory/ldap/openLdapDirectory.js');
        const { LdapDirectory } = await import('../../../directory/ldap/LdapDirectory.js');
        const d = await openLdapDirectory(next, { baseDir: ctx.dataDir });
        try {
          if (d instanceof LdapDirectory) connection = await d.probe();
          for (const g of new Set(Object.values(next.roles))) if (!(await d.groupExists(g))) missingGroups.push(g);
        } finally {
          await d.close();
        }
      }
      await saveConfig(path, next);
      ctx.out.result(
        { config: path, directory: next.directory, connection: connection ?? null, missingRoleGroups: missingGroups },
        () => {
          ctx.out.line(`Wrote ${path}: directory is LDAP (${settings.flavor}) at ${[settings.url].flat().join(', ')}`);
          ctx.out.line(`  the service account password is read from $${settings.bindPasswordEnv}`);
          if (o.check) ctx.out.line('  connection checked');
          for (const g of missingGroups)
            ctx.out.line(`  note: role group "${g}" (tessera.json roles) does not exist in the directory`);
          ctx.out.line('  templates grant Enroll to directory groups by name or DN: `tessera template grant …`');
          ctx.out.line('  restart Tessera to apply; check with `tessera directory test --user <name>`');
        },
      );
    });

  directory
    .command('configure-embedded')
    .description("go back to Tessera's own user store (writes tessera.json; restart to apply)")
    .action(async () => {
      const path = dataPaths(ctx.dataDir).config;
      const config = await readRawConfig(path);
      await saveConfig(path, { ...config, directory: { type: 'embedded' } });
      ctx.out.result(
        { config: path, directory: { type: 'embedded' } },
        `Wrote ${path}: directory is embedded; restart Tessera to apply`,
      );
    });
}
