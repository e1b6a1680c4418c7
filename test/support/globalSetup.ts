/**
 * Once per test run: one temporary directory that every suite's temporary files go into
 * (TMPDIR, inherited by the test workers and every process they start, removed at the
 * end so a run leaves nothing behind), and one PostgreSQL cluster shared by every suite
 * (each suite creates its own database in it through test/support/pg.ts).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPostgres, type PgCluster } from './postgres.js';

let cluster: PgCluster | undefined;
let runDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  runDir = mkdtempSync(join(tmpdir(), 'tessera-test-run-'));
  // Services that run as their own system user (PostgreSQL as `postgres`) must be able to
  // reach their directories inside it; each of those is still created 0700.
  chmodSync(runDir, 0o755);
  process.env.TMPDIR = runDir;
  cluster = await startPostgres();
  project.provide('pgPort', cluster.port);
  project.provide('runDir', runDir);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
  if (runDir && !process.env.TESSERA_KEEP_TEST_FILES) rmSync(runDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgPort: number;
    runDir: string;
  }
}
