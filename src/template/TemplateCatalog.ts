/**
 * Templates as the RA and policy see them: read from the store and validated on the way
 * in, found by name or template OID.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { Store } from '../store/Store.js';
import type { Template } from './Template.js';
import { validateTemplate } from './validateTemplate.js';

export class TemplateCatalog {
  constructor(private readonly store: Store) {}

  async get(name: string): Promise<Template | undefined> {
    const row = await this.store.templates.get(name);
    return row && validateTemplate(row.definition);
  }

  async list(): Promise<Template[]> {
    return (await this.store.templates.list()).map((r) => validateTemplate(r.definition));
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
