/** The `tessera` CLI as a separate process (from the sources, through tsx), asynchronously. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestJson } from '../../support/json.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ENTRY = join(ROOT, 'test', 'card', 'helpers', 'tessera-cli.ts');

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for --json runs), or undefined. */
  readonly json: TestJson;
  /** The error object --json prints on failure. */
  readonly error: { code: string; message: string; detail: string | null } | undefined;
}

export function tessera(
  args: string[],
  o: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
      env: o.env,
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      let error: CliResult['error'];
      const line = stderr.split('\n').find((l) => l.startsWith('{"error"'));
      if (line) error = JSON.parse(line).error;
      resolve({ status: code ?? -1, stdout, stderr, json, error });
    });
    child.stdin.end(o.input ?? '');
  });
}
