import type { Kysely, Selectable } from 'kysely';
import type { AgentRestrictionTable, Database } from './schema.js';

export type PrincipalKind = 'user' | 'group';

export interface AgentRestriction {
  readonly id: number;
  /** The enrollment agent: a user name or a group name. */
  readonly agent: string;
  readonly agentKind: PrincipalKind;
  /** Who the agent may enroll: a user name or a group name. */
  readonly target: string;
  readonly targetKind: PrincipalKind;
  /** A template name, or `*` for every template. */
  readonly template: string;
  /** The explicit exception for members of privileged groups (docs/security.md §4.2). */
  readonly allowPrivileged: boolean;
  readonly createdAt: Date;
  readonly createdBy: string;
}

export type NewAgentRestriction = Omit<AgentRestriction, 'id'>;

export interface PrivilegedGroup {
  readonly name: string;
  readonly createdAt: Date;
  readonly createdBy: string;
}

const toRecord = (r: Selectable<AgentRestrictionTable>): AgentRestriction => ({
  id: Number(r.id),
  agent: r.agent,
  agentKind: r.agent_kind as PrincipalKind,
  target: r.target,
  targetKind: r.target_kind as PrincipalKind,
  template: r.template,
  allowPrivileged: r.allow_privileged === 1,
  createdAt: new Date(Number(r.created_at)),
  createdBy: r.created_by,
});

/** The rule's identity: the same agent, target and template in any letter case is one rule. */
export const ruleKey = (r: Pick<NewAgentRestriction, 'agent' | 'agentKind' | 'target' | 'targetKind' | 'template'>) =>
  JSON.stringify([r.agentKind, r.agent, r.targetKind, r.target, r.template].map((s) => s.toLowerCase()));

/** Enrollment agent restrictions and the extra privileged groups (migration 003). */
export class AgentRestrictionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async add(r: NewAgentRestriction): Promise<AgentRestriction> {
    const row = await this.db
      .insertInto('agent_restrictions')
      .values({
        agent: r.agent,
        agent_kind: r.agentKind,
        target: r.target,
        target_kind: r.targetKind,
        template: r.template,
        allow_privileged: r.allowPrivileged ? 1 : 0,
        rule_key: ruleKey(r),
        created_at: r.createdAt.getTime(),
        created_by: r.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async get(id: number): Promise<AgentRestriction | undefined> {
    const r = await this.db.selectFrom('agent_restrictions').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRecord(r);
  }

  async list(): Promise<AgentRestriction[]> {
    return (await this.db.selectFrom('agent_restrictions').selectAll().orderBy('id').execute()).map(toRecord);
  }

  async remove(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('agent_restrictions').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async addPrivileged(name: string, at: Date, by: string): Promise<boolean> {
    const existing = await this.db
      .selectFrom('agent_privileged_groups')
      .select('name')
      .where('name_key', '=', name.toLowerCase())
      .executeTakeFirst();
    if (existing) return false;
    await this.db
      .insertInto('agent_privileged_groups')
      .values({ name_key: name.toLowerCase(), name, created_at: at.getTime(), created_by: by })
      .execute();
    return true;
  }

  async removePrivileged(name: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('agent_privileged_groups')
      .where('name_key', '=', name.toLowerCase())
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async privileged(): Promise<PrivilegedGroup[]> {
    const rows = await this.db.selectFrom('agent_privileged_groups').selectAll().orderBy('name_key').execute();
    return rows.map((r) => ({ name: r.name, createdAt: new Date(Number(r.created_at)), createdBy: r.created_by }));
  }
}
