import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import { postgresBinDir } from './postgres.js';

/** A new empty database in the run's shared PostgreSQL cluster; returns its URL. */
export function newPgDatabase(prefix = 't'): string {
  const port = inject('pgPort');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  execFileSync(
    join(postgresBinDir(), 'psql'),
    ['-h', '127.0.0.1', '-p', String(port), '-U', 'tessera', '-d', 'postgres', '-c', `CREATE DATABASE "${name}"`],
    { stdio: 'pipe' },
  );
  return `postgres://tessera@127.0.0.1:${port}/${name}`;
}
