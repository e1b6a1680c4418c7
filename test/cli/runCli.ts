/**
 * The `tessera` CLI in-process: the real program (entry/cli/main.ts run()) against a real
 * data directory, with standard input, output and error captured.
 */
import { PassThrough, Readable } from 'node:stream';
import { CliContext } from '../../src/entry/cli/CliContext.js';
import { run } from '../../src/entry/cli/main.js';
import type { TestJson } from '../support/json.js';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for runs with --json). */
  json<T = TestJson>(): T;
  /** The error object a failing --json run prints on stderr. */
  error(): { code: string; message: string; detail: string | null };
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function cli(dataDir: string, args: readonly string[], opts: { stdin?: string } = {}): Promise<CliResult> {
  const out = capture();
  const err = capture();
  // A non-TTY standard input, as in a script: the password prompt is not available.
  const stdin = Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]);
  const ctx = new CliContext(undefined, stdin, out.stream, err.stream);
  const status = await run(['node', 'tessera', '--data', dataDir, ...args], ctx);
  await new Promise((r) => setImmediate(r));
  const stdout = out.text();
  const stderr = err.text();
  return {
    status,
    stdout,
    stderr,
    json: () => JSON.parse(stdout),
    error: () => JSON.parse(stderr.trim().split('\n').pop()!).error,
  };
}
