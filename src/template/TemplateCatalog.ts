/**
 * Templates as the RA and policy see them: read from the store and validated on the way
 * in, found by name or template OID.
 *
 * Lookups are cached for a short time (2 s by default): issuance looked the template up
 * and validated its JSON on every request (a query plus validateTemplate, ~30 µs of the
 * event loop each time, at thousands of requests per second). A save through this
 * process's Store is seen by the next lookup (store/StoreChanges.ts); a save made
 * elsewhere — `tessera template` beside a running server, another node sharing a
 * PostgreSQL database — within the time-to-live.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { Store } from '../store/Store.js';
import type { Template } from './Template.js';
import { validateTemplate } from './validateTemplate.js';

export interface TemplateCatalogOptions {
  /** How long a lookup may be reused when nothing changed locally; 0 turns the cache off. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

interface Entry<T> {
  readonly value: T;
  readonly expires: number;
  readonly generation: number;
}

export const TEMPLATE_CACHE_TTL_MS = 2000;

export class TemplateCatalog {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #byName = new Map<string, Entry<Template | undefined>>();
  #all: Entry<Template[]> | undefined;

  constructor(
    private readonly store: Store,
    o: TemplateCatalogOptions = {},
  ) {
    this.#ttlMs = o.ttlMs ?? TEMPLATE_CACHE_TTL_MS;
    this.#now = o.now ?? Date.now;
  }

  #fresh<T>(e: Entry<T> | undefined): e is Entry<T> {
    return e !== undefined && e.generation === this.store.changes.templates && e.expires > this.#now();
  }

  #entry<T>(value: T, generation: number): Entry<T> {
    return { value, generation, expires: this.#now() + this.#ttlMs };
  }

  async get(name: string): Promise<Template | undefined> {
    const key = name.toLowerCase();
    const cached = this.#byName.get(key);
    if (this.#fresh(cached)) return cached.value;
    // The count before the read: a save landing during it leaves the entry already stale.
    const generation = this.store.changes.templates;
    const row = await this.store.templates.get(name);
    const template = row && Object.freeze(validateTemplate(row.definition));
    if (this.#ttlMs > 0) {
      if (this.#byName.size > 1000) this.#byName.clear();
      this.#byName.set(key, this.#entry(template, generation));
    }
    return template;
  }

  async list(): Promise<Template[]> {
    if (this.#fresh(this.#all)) return [...this.#all.value];
    const generation = this.store.changes.templates;
    const all = (await this.store.templates.list()).map((r) => Object.freeze(validateTemplate(r.definition)));
    if (this.#ttlMs > 0) this.#all = this.#entry(all, generation);
    return [...all];
  }

  async byOid(oid: string): Promise<Template | undefined> {
    return (await this.list()).find((t) => t.oid === oid);
  }

  /** Startup check: every stored template is valid, or Tessera does not start. */
  async checkAll(): Promise<Template[]> {
    const out: Template[] = [];
    for (const r of await this.store.templates.list()) {
      try {
        out.push(validateTemplate(r.definition));
      } catch (e) {
        throw new TesseraError('CONFIG_INVALID', `stored template ${r.name} is invalid: ${(e as TesseraError).detail}`);
      }
    }
    return out;
  }
}
