import type { Kysely } from 'kysely';
import type { GroupRecord, UserRecord } from './records.js';
import type { OnChange } from './StoreChanges.js';
import type { Database } from './schema.js';

/** The embedded directory's groups and their members. */
export class GroupStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly changed: OnChange = () => {},
  ) {}

  async create(g: { name: string; sid: string; description: string; createdAt: Date }): Promise<GroupRecord> {
    const r = await this.db
      .insertInto('groups')
      .values({ name: g.name, sid: g.sid, description: g.description, created_at: g.createdAt.getTime() })
      .returning(['id', 'name', 'sid', 'description'])
      .executeTakeFirstOrThrow();
    this.changed('directory');
    return r;
  }

  async byName(name: string): Promise<GroupRecord | undefined> {
    return this.db
      .selectFrom('groups')
      .select(['id', 'name', 'sid', 'description'])
      .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
      .executeTakeFirst();
  }

  async list(): Promise<(GroupRecord & { members: number })[]> {
    const rows = await this.db
      .selectFrom('groups')
      .leftJoin('group_members', 'group_members.group_id', 'groups.id')
      .select((eb) => [
        'groups.id',
        'groups.name',
        'groups.sid',
        'groups.description',
        eb.fn.count<number>('group_members.user_id').as('members'),
      ])
      .groupBy(['groups.id', 'groups.name', 'groups.sid', 'groups.description'])
      .orderBy('groups.name')
      .execute();
    return rows.map((r) => ({ ...r, members: Number(r.members) }));
  }

  async addMember(groupId: number, userId: number): Promise<boolean> {
    const existing = await this.db
      .selectFrom('group_members')
      .select('group_id')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (existing) return false;
    await this.db.insertInto('group_members').values({ group_id: groupId, user_id: userId }).execute();
    this.changed('directory');
    return true;
  }

  async removeMember(groupId: number, userId: number): Promise<boolean> {
    const r = await this.db
      .deleteFrom('group_members')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    this.changed('directory');
    return Number(r.numDeletedRows) > 0;
  }

  async groupsOf(userId: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('group_members')
      .innerJoin('groups', 'groups.id', 'group_members.group_id')
      .select('groups.name')
      .where('group_members.user_id', '=', userId)
      .orderBy('groups.name')
      .execute();
    return rows.map((r) => r.name);
  }

  async members(groupId: number): Promise<Pick<UserRecord, 'username' | 'displayName'>[]> {
    const rows = await this.db
      .selectFrom('group_members')
      .innerJoin('users', 'users.id', 'group_members.user_id')
      .select(['users.username', 'users.display_name'])
      .where('group_members.group_id', '=', groupId)
      .orderBy('users.username')
      .execute();
    return rows.map((r) => ({ username: r.username, displayName: r.display_name }));
  }
}
