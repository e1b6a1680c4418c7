/**
 * Once per test run: one PostgreSQL cluster shared by every suite (each suite creates its
 * own database in it through test/support/pg.ts), and the build of dist/ for suites
 * that run the CLI or the server as a separate process.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, type PgCluster } from './postgres.js';

let cluster: PgCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  cluster = await startPostgres();
  project.provide('pgPort', cluster.port);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgPort: number;
  }
}
