/**
 * A real, initialised Tessera in a temporary data directory, on SQLite or on a fresh
 * database in the run's PostgreSQL cluster.
 */
import { rmSync } from 'node:fs';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import type { CaKeyAlgorithm } from '../../src/keys/Signer.js';
import type { Actor } from '../../src/ra/Actor.js';
import { setGroupMember } from '../../src/ra/admin/groups.js';
import { createUser, type NewUserInput } from '../../src/ra/admin/users.js';
import { initDataDir } from '../../src/setup/initDataDir.js';
import { Tessera } from '../../src/Tessera.js';
import { toPem } from '../../src/x509/pem.js';
import { tmpDir } from './openssl.js';
import { newPgDatabase } from './pg.js';

export const LOCAL: Actor = { kind: 'local', name: 'test', source: 'test' };

export interface TestCa {
  readonly t: Tessera;
  readonly dir: string;
  /** The chain as PEM (issuing, root), for openssl -CAfile. */
  readonly chainPem: string;
  user(name: string, opts?: Partial<NewUserInput>): Promise<DirectoryUser>;
  actor(name: string): Promise<Actor>;
  close(): Promise<void>;
}

export async function newTestCa(
  opts: {
    engine?: 'sqlite' | 'postgres';
    keyAlgorithm?: CaKeyAlgorithm;
    rootKeyAlgorithm?: CaKeyAlgorithm;
    singleTier?: boolean;
    publicUrl?: string;
  } = {},
): Promise<TestCa> {
  const dir = tmpDir('tessera-data-');
  const database = opts.engine === 'postgres' ? newPgDatabase() : undefined;
  await initDataDir({
    dataDir: dir,
    caName: 'Test',
    organization: 'Tessera Tests',
    keyAlgorithm: opts.keyAlgorithm ?? 'P-256',
    rootKeyAlgorithm: opts.rootKeyAlgorithm ?? (opts.keyAlgorithm?.startsWith('RSA') ? 'RSA-2048' : 'P-256'),
    singleTier: opts.singleTier,
    database,
    publicUrl: opts.publicUrl ?? 'http://pki.test.invalid',
    hostnames: ['localhost'],
  });
  // Without the 2 s read caches: suites here change the directory or templates from another
  // process (the CLI) and read the result back at once. The caches and their bound are
  // tested on their own in test/core/caches.test.ts.
  const t = await Tessera.open(dir, { caches: { ttlMs: 0 } });
  const chainPem = t
    .chain()
    .map((c) => toPem(c, 'CERTIFICATE'))
    .join('');
  return {
    t,
    dir,
    chainPem,
    async user(name, u = {}) {
      await createUser(t, LOCAL, {
        username: name,
        displayName: u.displayName ?? name[0].toUpperCase() + name.slice(1),
        email: u.email === undefined ? `${name}@example.com` : u.email,
        password: u.password ?? 'correct horse battery',
        ...u,
      });
      return (await t.directory.findUser(name))!;
    },
    async actor(name) {
      const u = await t.directory.findUser(name);
      if (!u) throw new Error(`no user ${name}`);
      return { kind: 'user', user: u, source: '127.0.0.1' };
    },
    async close() {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { setGroupMember };
