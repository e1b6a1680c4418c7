/**
 * A throwaway PostgreSQL cluster from Debian's `postgresql` package, on 127.0.0.1 and a
 * free port, owned by the `postgres` system user when the suite runs as root (PostgreSQL
 * refuses to run as root). Used by the store contract suite and the PostgreSQL tests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql');
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return join(base, versions[0], 'bin');
}

export interface PgCluster {
  readonly url: (database: string) => string;
  readonly port: number;
  readonly dir: string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
  /** Stop the server process but keep the data (for "database went away" tests). */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

function asPostgres(): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
}

export async function startPostgres(): Promise<PgCluster> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const wrap = asPostgres();
  const run = (cmd: string, args: string[]) =>
    execFileSync(wrap[0] ?? cmd, wrap.length ? [...wrap.slice(1), cmd, ...args] : args, { stdio: 'pipe' });
  run(join(bin, 'initdb'), ['-D', data, '-U', 'tessera', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    const args = [
      '-D',
      data,
      '-k',
      dir,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ];
    proc = wrap.length
      ? spawn(wrap[0], [...wrap.slice(1), join(bin, 'postgres'), ...args], { stdio: 'ignore' })
      : spawn(join(bin, 'postgres'), args, { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('PostgreSQL did not start');
  };
  const stopProc = async () => {
    if (!proc || proc.exitCode !== null) return;
    const p = proc;
    const exited = new Promise((r) => p.once('exit', r));
    // SIGINT: "fast shutdown" — disconnect clients, stop now. It goes to the postmaster
    // itself (first line of postmaster.pid): when we run as root, `proc` is runuser, which
    // ignores SIGINT while it waits for its child, so signalling it hung the teardown.
    let pid = 0;
    try {
      pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      /* not started far enough to write it */
    }
    if (pid > 0) process.kill(pid, 'SIGINT');
    else p.kill('SIGINT');
    await exited;
  };
  await start();
  const url = (db: string) => `postgres://tessera@127.0.0.1:${port}/${db}`;
  return {
    url,
    port,
    dir,
    async createDatabase(name) {
      execFileSync(
        join(bin, 'psql'),
        ['-h', '127.0.0.1', '-p', String(port), '-U', 'tessera', '-d', 'postgres', '-c', `CREATE DATABASE "${name}"`],
        { stdio: 'pipe' },
      );
      return url(name);
    },
    async stop() {
      await stopProc();
      rmSync(dir, { recursive: true, force: true });
    },
    pause: stopProc,
    resume: start,
  };
}
