import type { Kysely } from 'kysely';
import type { OnChange } from './StoreChanges.js';
import type { Database } from './schema.js';

export interface StoredTemplate {
  readonly name: string;
  readonly definition: unknown;
  readonly version: number;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/** Templates are data: a JSON definition per name, validated by template/ before every save. */
export class TemplateStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly changed: OnChange = () => {},
  ) {}

  async list(): Promise<StoredTemplate[]> {
    const rows = await this.db.selectFrom('templates').selectAll().orderBy('name').execute();
    return rows.map((r) => ({
      name: r.name,
      definition: JSON.parse(r.definition),
      version: r.version,
      updatedAt: new Date(r.updated_at),
      updatedBy: r.updated_by,
    }));
  }

  async get(name: string): Promise<StoredTemplate | undefined> {
    const r = await this.db
      .selectFrom('templates')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
      .executeTakeFirst();
    return (
      r && {
        name: r.name,
        definition: JSON.parse(r.definition),
        version: r.version,
        updatedAt: new Date(r.updated_at),
        updatedBy: r.updated_by,
      }
    );
  }

  /** Insert or replace; the version counts saves. */
  async put(name: string, definition: unknown, by: string, at: Date): Promise<number> {
    const existing = await this.db
      .selectFrom('templates')
      .select('version')
      .where('name', '=', name)
      .executeTakeFirst();
    const json = JSON.stringify(definition);
    if (existing) {
      const version = existing.version + 1;
      await this.db
        .updateTable('templates')
        .set({ definition: json, version, updated_at: at.getTime(), updated_by: by })
        .where('name', '=', name)
        .execute();
      this.changed('templates');
      return version;
    }
    await this.db
      .insertInto('templates')
      .values({ name, definition: json, version: 1, updated_at: at.getTime(), updated_by: by })
      .execute();
    this.changed('templates');
    return 1;
  }
}
