/**
 * A real `tessera card-agent` process for the browser suites, run from the sources (as
 * test/web/card.test.ts and test/card/agent.test.ts run it) over a SoftHSM2 token
 * directory, for the given web origins.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOFTHSM2_MODULE, type SoftHsm } from '../support/softhsm.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AgentProcess {
  readonly url: string;
  readonly origins: string[];
  /** What the agent logged (one line per request, never a PIN). */
  log(): string;
  stop(): Promise<void>;
}

export async function startCardAgent(hsm: SoftHsm, origins: readonly string[], port = 0): Promise<AgentProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'test', 'card', 'helpers', 'tessera-cli.ts'),
      '--json',
      'card-agent',
      '--port',
      String(port),
      ...origins.flatMap((o) => ['--allow-origin', o]),
      '--module',
      SOFTHSM2_MODULE,
    ],
    { env: hsm.env, cwd: root },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  for (let i = 0; i < 300 && !out.includes('}') && child.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('}')) {
    child.kill('SIGTERM');
    throw new Error(`the card agent did not start:\n${out}\n${err}`);
  }
  const info = JSON.parse(out) as { url: string; origins: string[] };
  return {
    url: info.url,
    origins: info.origins,
    log: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
