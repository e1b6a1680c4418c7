/**
 * Enrollment agent restrictions (AD CS "Restrict enrollment agents"; ESC3,
 * docs/security.md §4): which agents (users or groups) may enroll which
 * targets (users or groups) for which templates. The default is none: until a CA
 * administrator adds a rule, no enrollment agent may enroll anyone.
 *
 * Members of privileged groups — the configured CA Administrators and Certificate
 * Managers role groups, plus any group added with `setPrivilegedGroup` — are reached only
 * by a rule marked `allowPrivileged` whose target names the user or one of the privileged
 * groups the user is in: an explicit, separately recorded exception.
 *
 * Every change is audited; only CA administrators (or the local administrator) make them.
 */
import type { DirectoryUser } from '../../directory/Directory.js';
import type { ErrorCode } from '../../errors/registry.js';
import { TesseraError } from '../../errors/TesseraError.js';
import type { AgentRestriction, PrincipalKind } from '../../store/AgentRestrictionStore.js';
import type { Tessera } from '../../Tessera.js';
import { actorName, hasRole, requireRole, type Actor } from '../Actor.js';

export interface AllowAgentInput {
  /** A group or user name; `user:NAME` / `group:NAME` when a name is both. */
  readonly agent: string;
  /** A group or user name the agent may enroll; same prefixes. */
  readonly target: string;
  /** A template name, or `*` for every template. */
  readonly template: string;
  readonly allowPrivileged?: boolean;
}

export interface PrivilegedGroupEntry {
  readonly name: string;
  /** 'role': a configured role group (always privileged); 'configured': added by an administrator. */
  readonly source: 'role' | 'configured';
}

const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const inGroup = (user: DirectoryUser, group: string) => user.groups.some((g) => eq(g, group));

/** Resolve a principal name to a user or a group that exists in the directory. */
async function resolvePrincipal(t: Tessera, raw: string, what: string): Promise<{ name: string; kind: PrincipalKind }> {
  const m = /^(user|group):(.+)$/i.exec(raw.trim());
  const name = (m ? m[2] : raw).trim();
  if (!name || name.length > 256 || /[\x00-\x1f]/.test(name))
    throw new TesseraError('INPUT_INVALID', `${what}: a user or group name`);
  const wanted = m?.[1].toLowerCase() as PrincipalKind | undefined;
  const isGroup = wanted !== 'user' && (await t.directory.groupExists(name));
  const user = wanted !== 'group' ? await t.directory.findUser(name) : undefined;
  if (isGroup && user)
    throw new TesseraError(
      'INPUT_INVALID',
      `${what} "${name}" is both a user and a group; write user:${name} or group:${name}`,
    );
  if (isGroup) return { name, kind: 'group' };
  if (user) return { name: user.username, kind: 'user' };
  throw new TesseraError('NOT_FOUND', `${what}: no ${wanted ?? 'user or group'} named "${name}" in the directory`);
}

/** The privileged groups: the CA Administrators and Certificate Managers role groups, and the configured list. */
export async function privilegedGroups(t: Tessera): Promise<PrivilegedGroupEntry[]> {
  const roles = [t.config.roles.caAdministrators, t.config.roles.certificateManagers];
  const extra = (await t.store.agentRestrictions.privileged()).filter((g) => !roles.some((r) => eq(r, g.name)));
  return [
    ...roles.map((name) => ({ name, source: 'role' as const })),
    ...extra.map((g) => ({ name: g.name, source: 'configured' as const })),
  ];
}

export async function allowAgent(t: Tessera, actor: Actor, input: AllowAgentInput): Promise<AgentRestriction> {
  requireRole(actor, t.config, 'caAdministrators');
  const agent = await resolvePrincipal(t, input.agent, '--agent');
  const target = await resolvePrincipal(t, input.target, '--for');
  const templateName = input.template.trim();
  let template = '*';
  if (templateName !== '*') {
    const tpl = await t.templates.get(templateName);
    if (!tpl) throw new TesseraError('TEMPLATE_UNKNOWN', templateName);
    template = tpl.name;
  }
  const allowPrivileged = !!input.allowPrivileged;
  if (allowPrivileged && target.kind === 'group') {
    // The exception must name what it opens: a user, or a privileged group itself.
    const privileged = await privilegedGroups(t);
    if (!privileged.some((g) => eq(g.name, target.name))) {
      throw new TesseraError(
        'INPUT_INVALID',
        '--allow-privileged needs --for to name a user or a privileged group ' +
          `(${privileged.map((g) => g.name).join(', ')}), not "${target.name}"`,
      );
    }
  }
  try {
    return await t.store.transaction(async (tx) => {
      const rule = await tx.agentRestrictions.add({
        agent: agent.name,
        agentKind: agent.kind,
        target: target.name,
        targetKind: target.kind,
        template,
        allowPrivileged,
        createdAt: t.now(),
        createdBy: actorName(actor),
      });
      await tx.audit.append({
        actor: actorName(actor),
        action: 'agent.restriction_added',
        target: `${agent.kind}:${agent.name}`,
        source: actor.source,
        details: {
          id: rule.id,
          agent: agent.name,
          agentKind: agent.kind,
          for: target.name,
          forKind: target.kind,
          template,
          allowPrivileged,
        },
      });
      return rule;
    });
  } catch (e) {
    // A unique constraint comes out of the store as ALREADY_EXISTS (store/storageErrors.ts).
    if (e instanceof TesseraError && e.code === 'ALREADY_EXISTS') {
      throw new TesseraError(
        'ALREADY_EXISTS',
        `a rule for ${agent.name} → ${target.name} (${template}) already exists`,
      );
    }
    throw e;
  }
}

export async function removeAgentRestriction(t: Tessera, actor: Actor, id: number): Promise<AgentRestriction> {
  requireRole(actor, t.config, 'caAdministrators');
  if (!Number.isSafeInteger(id) || id < 1) throw new TesseraError('INPUT_INVALID', 'a rule ID is a positive integer');
  return t.store.transaction(async (tx) => {
    const rule = await tx.agentRestrictions.get(id);
    if (!rule || !(await tx.agentRestrictions.remove(id)))
      throw new TesseraError('NOT_FOUND', `agent restriction ${id}`);
    await tx.audit.append({
      actor: actorName(actor),
      action: 'agent.restriction_removed',
      target: `${rule.agentKind}:${rule.agent}`,
      source: actor.source,
      details: {
        id,
        agent: rule.agent,
        for: rule.target,
        template: rule.template,
        allowPrivileged: rule.allowPrivileged,
      },
    });
    return rule;
  });
}

/** Read by CA administrators and auditors. */
export async function listAgentRestrictions(
  t: Tessera,
  actor: Actor,
): Promise<{ rules: AgentRestriction[]; privilegedGroups: PrivilegedGroupEntry[] }> {
  if (
    actor.kind === 'user' &&
    !hasRole(actor.user, t.config.roles, 'caAdministrators') &&
    !hasRole(actor.user, t.config.roles, 'auditors')
  ) {
    throw new TesseraError(
      'FORBIDDEN',
      `${actor.user.username} is neither in ${t.config.roles.caAdministrators} nor in ${t.config.roles.auditors}`,
    );
  }
  return { rules: await t.store.agentRestrictions.list(), privilegedGroups: await privilegedGroups(t) };
}

/** Add or remove a group from the privileged list (the role groups are always privileged). */
export async function setPrivilegedGroup(
  t: Tessera,
  actor: Actor,
  name: string,
  privileged: boolean,
): Promise<boolean> {
  requireRole(actor, t.config, 'caAdministrators');
  const roles = [t.config.roles.caAdministrators, t.config.roles.certificateManagers];
  if (!privileged && roles.some((r) => eq(r, name)))
    throw new TesseraError('INPUT_INVALID', `${name} is a role group and always privileged`);
  if (privileged && !(await t.directory.groupExists(name))) throw new TesseraError('NOT_FOUND', `group ${name}`);
  return t.store.transaction(async (tx) => {
    const changed = privileged
      ? await tx.agentRestrictions.addPrivileged(name, t.now(), actorName(actor))
      : await tx.agentRestrictions.removePrivileged(name);
    if (changed) {
      await tx.audit.append({
        actor: actorName(actor),
        action: privileged ? 'agent.privileged_group_added' : 'agent.privileged_group_removed',
        target: name,
        source: actor.source,
        details: {},
      });
    }
    return changed;
  });
}

export type RestrictionDecision =
  | { readonly ok: true; readonly rule: AgentRestriction }
  | {
      readonly ok: false;
      readonly code: Extract<ErrorCode, 'AGENT_NOT_PERMITTED' | 'PRIVILEGED_TARGET'>;
      readonly detail: string;
    };

/**
 * Does any rule let `agent` enroll `target` for `template`? Pure: the RA passes the rules
 * and the privileged group names it read.
 */
export function evaluateRestrictions(
  rules: readonly AgentRestriction[],
  privileged: readonly string[],
  agent: DirectoryUser,
  target: DirectoryUser,
  template: string,
): RestrictionDecision {
  const matches = rules.filter(
    (r) =>
      (r.agentKind === 'user' ? eq(r.agent, agent.username) : inGroup(agent, r.agent)) &&
      (r.template === '*' || eq(r.template, template)) &&
      (r.targetKind === 'user' ? eq(r.target, target.username) : inGroup(target, r.target)),
  );
  if (matches.length === 0) {
    return {
      ok: false,
      code: 'AGENT_NOT_PERMITTED',
      detail: `no enrollment agent restriction lets ${agent.username} enroll ${target.username} for ${template}`,
    };
  }
  const targetPrivileged = privileged.filter((g) => inGroup(target, g));
  if (targetPrivileged.length === 0) return { ok: true, rule: matches[0] };
  // docs/security.md §4.2: an explicit exception that names the user or the privileged group.
  const exception = matches.find(
    (r) => r.allowPrivileged && (r.targetKind === 'user' || targetPrivileged.some((g) => eq(g, r.target))),
  );
  if (exception) return { ok: true, rule: exception };
  return {
    ok: false,
    code: 'PRIVILEGED_TARGET',
    detail:
      `${target.username} is in privileged group(s) ${targetPrivileged.join(', ')}; ` +
      `no rule with --allow-privileged names them for agent ${agent.username}`,
  };
}
