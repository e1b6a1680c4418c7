/**
 * `tessera agent …`: enrollment agent restrictions (ra/admin/agentRestrictions.ts): which
 * agents may enroll which users or groups for which templates. Nothing is allowed until a
 * rule exists; members of privileged groups need a rule with --allow-privileged that names
 * them. CA administrators only; every change is audited.
 */
import type { Command } from 'commander';
import {
  allowAgent,
  listAgentRestrictions,
  removeAgentRestriction,
  setPrivilegedGroup,
} from '../../../ra/admin/agentRestrictions.js';
import { positiveInt } from '../argParsers.js';
import type { CliContext } from '../CliContext.js';

const asOption = ['--as <user>', 'act as this directory user (default: the local administrator)'] as const;

export function register(program: Command, ctx: CliContext): void {
  const agent = program.command('agent').description('enrollment agent restrictions: who may enroll on behalf of whom');

  agent
    .command('allow')
    .description('let an agent (user or group) enroll members of a group (or a user) for a template')
    .requiredOption(
      '--agent <name>',
      'the enrollment agent: a group or user name (user:NAME / group:NAME when both exist)',
    )
    .requiredOption('--for <name>', 'who the agent may enroll: a group or user name (same prefixes)')
    .requiredOption('--template <name>', 'a template name, or * for every template')
    .option(
      '--allow-privileged',
      'the explicit exception for members of privileged groups; --for must name the user or a privileged group',
    )
    .option(...asOption)
    .action(
      ctx.withTessera(async (t, o) => {
        const rule = await allowAgent(t, await ctx.actor(o.as), {
          agent: o.agent,
          target: o.for,
          template: o.template,
          allowPrivileged: !!o.allowPrivileged,
        });
        ctx.out.result(
          rule,
          `Rule ${rule.id}: ${rule.agentKind} ${rule.agent} may enroll ${rule.targetKind} ` +
            `${rule.target} for ${rule.template === '*' ? 'every template' : rule.template}` +
            `${rule.allowPrivileged ? ' (privileged exception)' : ''}`,
        );
      }),
    );

  agent
    .command('list')
    .description('list the restrictions and the privileged groups')
    .option(...asOption)
    .action(
      ctx.withTessera(async (t, o) => {
        const { rules, privilegedGroups } = await listAgentRestrictions(t, await ctx.actor(o.as));
        if (ctx.json) {
          ctx.out.result({ rules, privilegedGroups });
          return;
        }
        ctx.out.table(rules, [
          { header: 'ID', value: (r) => r.id },
          { header: 'AGENT', value: (r) => `${r.agentKind}:${r.agent}` },
          { header: 'FOR', value: (r) => `${r.targetKind}:${r.target}` },
          { header: 'TEMPLATE', value: (r) => r.template },
          { header: 'PRIVILEGED', value: (r) => (r.allowPrivileged ? 'allowed' : '') },
          { header: 'CREATED', value: (r) => r.createdAt },
          { header: 'BY', value: (r) => r.createdBy },
        ]);
        ctx.out.line();
        ctx.out.line(
          'Privileged groups (never enrolled on behalf without an exception): ' +
            `${privilegedGroups.map((g) => (g.source === 'role' ? `${g.name} (role)` : g.name)).join(', ')}`,
        );
      }),
    );

  agent
    .command('remove')
    .description('remove a restriction by its ID')
    .argument('<id>', 'rule ID (tessera agent list)', positiveInt())
    .option(...asOption)
    .action(
      ctx.withTessera(async (t, id: number, o) => {
        const rule = await removeAgentRestriction(t, await ctx.actor(o.as), id);
        ctx.out.result(rule, `Removed rule ${rule.id} (${rule.agent} → ${rule.target}, ${rule.template})`);
      }),
    );

  for (const [name, privileged, text] of [
    ['protect', true, 'add a group to the privileged groups (its members need an explicit exception)'],
    ['unprotect', false, 'remove a group from the privileged groups (the role groups always stay)'],
  ] as const) {
    agent
      .command(name)
      .description(text)
      .argument('<group>')
      .option(...asOption)
      .action(
        ctx.withTessera(async (t, group: string, o) => {
          const changed = await setPrivilegedGroup(t, await ctx.actor(o.as), group, privileged);
          ctx.out.result(
            { group, privileged, changed },
            changed
              ? `${group} is ${privileged ? 'now' : 'no longer'} a privileged group`
              : `${group} was ${privileged ? 'already' : 'not'} a privileged group; nothing changed`,
          );
        }),
      );
  }
}
