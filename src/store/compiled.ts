/**
 * Hot queries built with Kysely once and run with fresh values.
 *
 * Building a query with Kysely's builder and compiling it to SQL costs 15–25 µs of the
 * event loop per statement here; an issued certificate runs seven on the hot path
 * (request insert, reservation, release, resolve, audit head, audit record, audit head
 * write). A query is built once per dialect with placeholders standing for its values,
 * its compiled SQL kept, and each run only fills the parameters in (bench/README.md).
 *
 * Only for queries whose SQL does not depend on the values (a different shape — say a
 * different number of IN items — takes a different `shape` key).
 */
import { createQueryId, type Compilable, type CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Dialect } from './database.js';
import type { Database } from './schema.js';

/** A placeholder for the value named `name`, found again among the compiled parameters. */
class Slot {
  constructor(readonly name: string) {}
}

type Placeholders<P> = { readonly [K in keyof P]: P[K] };

interface Template {
  readonly compiled: CompiledQuery;
  /** For each parameter: the name of the value to put there, or a constant. */
  readonly slots: readonly (string | { readonly constant: unknown })[];
}

export class CompiledStatement<P extends object, R> {
  readonly #templates = new Map<string, Template>();

  constructor(private readonly build: (db: Kysely<Database>, p: Placeholders<P>, shape: string) => Compilable<R>) {}

  async run(db: Kysely<Database>, dialect: Dialect, values: P, shape = ''): Promise<QueryResult<R>> {
    const key = `${dialect}|${shape}`;
    let t = this.#templates.get(key);
    if (!t) {
      const p = new Proxy({} as Placeholders<P>, { get: (_, name) => new Slot(String(name)) });
      const compiled = this.build(db, p, shape).compile();
      t = { compiled, slots: compiled.parameters.map((v) => (v instanceof Slot ? v.name : { constant: v })) };
      this.#templates.set(key, t);
    }
    const v = values as Record<string, unknown>;
    // Kysely leaves a column out for an undefined value; here the column is in the SQL, so NULL.
    const parameters = t.slots.map((s) => (typeof s === 'string' ? (v[s] ?? null) : s.constant));
    return db.executeQuery<R>({ ...t.compiled, parameters, queryId: createQueryId() } as CompiledQuery<R>);
  }
}
