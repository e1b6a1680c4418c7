/**
 * Local change counters for the read caches (template/TemplateCatalog.ts,
 * directory/EmbeddedDirectory.ts): a cache entry is good only while the counter it was
 * read under is unchanged, so a change made through this process's Store is seen by the
 * very next lookup. Changes made elsewhere (the CLI beside a running server, another
 * node on PostgreSQL) are seen when the entry's time-to-live runs out.
 *
 * Inside a transaction a write is counted when the transaction ends (commit or
 * rollback), and once more at the write itself, so that no lookup running meanwhile
 * can cache the old value under the new count.
 */
export type ChangeKind = 'templates' | 'directory';

export class StoreChanges {
  templates = 0;
  directory = 0;

  bump(kind: ChangeKind): void {
    this[kind]++;
  }
}

/** What a repository calls after a write; the Store decides when the count moves. */
export type OnChange = (kind: ChangeKind) => void;
