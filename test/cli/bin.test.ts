/**
 * The built `tessera` command as a separate process: what a script or an administrator
 * sees — exit statuses, --password-stdin from a pipe, init → submit an `openssl req` CSR
 * → export judged by `openssl verify`, and `audit verify` after tampering with the
 * SQLite file behind Tessera's back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tessera } from '../../src/Tessera.js';
import { pemBlocks, toPem } from '../../src/x509/pem.js';
import { openssl, opensslCsr, tmpDir } from '../support/openssl.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'tessera.js');
const builtMain = join(root, 'dist', 'entry', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm test` builds first; a direct `vitest run test/cli` may find dist/ older than src/. */
function ensureBuilt(): void {
  const sources = newestSource(join(root, 'src'));
  if (existsSync(builtMain) && statSync(builtMain).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8' });
  // tsc still emits when a file elsewhere in the tree has type errors; what matters here is
  // that the CLI was rebuilt from the current sources.
  if (!existsSync(builtMain) || statSync(builtMain).mtimeMs < sources)
    throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
}

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function tessera(dataDir: string, args: string[], input?: string): Run {
  const env = { ...process.env };
  delete env.TESSERA_DATABASE_URL;
  delete env.TESSERA_DATA;
  const r = spawnSync(process.execPath, [bin, '--data', dataDir, ...args], {
    input: input ?? '',
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('the tessera command (built bin, separate processes)', () => {
  let data: string;
  let work: string;
  beforeAll(() => {
    ensureBuilt();
    work = tmpDir('tessera-bin-');
    data = join(work, 'data');
    const init = tessera(data, [
      'init',
      '--key-alg',
      'P-256',
      '--root-key-alg',
      'P-256',
      '--hostname',
      'localhost',
      '--public-url',
      'http://pki.test.invalid',
    ]);
    expect(init.status, init.stderr).toBe(0);
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('exits 0 for help, 2 for a usage error and 1 with the error code for a failure', () => {
    const help = tessera(data, ['--help']);
    expect(help.status).toBe(0);
    for (const c of ['user', 'group', 'template', 'request', 'cert', 'audit'])
      expect(help.stdout).toMatch(new RegExp(`^\\s+${c} `, 'm'));
    const usage = tessera(data, ['cert', 'export']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'serial'");
    const failure = tessera(data, ['user', 'show', 'nobody']);
    expect(failure.status).toBe(1);
    expect(failure.stderr).toBe('tessera: The user does not exist in the directory. (nobody) [USER_UNKNOWN]\n');
    const json = tessera(data, ['--json', 'user', 'show', 'nobody']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stderr).error).toMatchObject({
      code: 'USER_UNKNOWN',
      detail: 'nobody',
      hresult: '0x80070525',
    });
  });

  it('reads a password from a pipe with --password-stdin, never from an argument', async () => {
    const add = tessera(
      data,
      ['user', 'add', 'alice', '--email', 'alice@example.com', '--password-stdin'],
      'piped secret 42\n',
    );
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).not.toContain('piped secret');
    const empty = tessera(data, ['user', 'set-password', 'alice', '--password-stdin'], '');
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('(no password on standard input) [INPUT_INVALID]');
    // Without a terminal and without --password-stdin, there is nobody to ask.
    const noTty = tessera(data, ['user', 'add', 'bob']);
    expect(noTty.status).toBe(1);
    expect(noTty.stderr).toContain('use --password-stdin');
    const t = await Tessera.open(data, { withIssuingKey: false });
    try {
      await expect(t.directory.authenticate('alice', 'piped secret 42')).resolves.toMatchObject({ username: 'alice' });
      expect(await t.directory.findUser('bob')).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('issues for an openssl CSR after init, exits 3 for a denial, and exports a chain openssl verifies', () => {
    const csrFile = join(work, 'alice.csr');
    writeFileSync(csrFile, opensslCsr('rsa:2048').csr);
    // Nobody holds Enroll on SmartcardUser after init: a recorded denial, exit 3.
    const denied = tessera(data, [
      '--json',
      'request',
      'submit',
      '--csr',
      csrFile,
      '--template',
      'SmartcardUser',
      '--as',
      'alice',
    ]);
    expect(denied.status).toBe(3);
    expect(JSON.parse(denied.stdout)).toMatchObject({ disposition: 'denied', code: 'ENROLL_DENIED' });

    for (const args of [
      ['group', 'add', 'Smartcard Users'],
      ['group', 'add-member', 'Smartcard Users', 'alice'],
      ['template', 'grant', 'SmartcardUser', 'Smartcard Users'],
    ]) {
      const r = tessera(data, args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const issued = tessera(data, [
      '--json',
      'request',
      'submit',
      '--csr',
      csrFile,
      '--template',
      'SmartcardUser',
      '--as',
      'alice',
    ]);
    expect(issued.status, issued.stderr).toBe(0);
    const { serial, disposition } = JSON.parse(issued.stdout);
    expect(disposition).toBe('issued');

    const chainFile = join(work, 'chain.pem');
    expect(tessera(data, ['cert', 'export', serial, '--chain', '--out', chainFile]).status).toBe(0);
    const [leaf, issuing, rootCa] = pemBlocks(readFileSync(chainFile, 'utf8'), 'CERTIFICATE');
    writeFileSync(join(work, 'leaf.pem'), toPem(leaf, 'CERTIFICATE'));
    writeFileSync(join(work, 'issuing.pem'), toPem(issuing, 'CERTIFICATE'));
    writeFileSync(join(work, 'root.pem'), toPem(rootCa, 'CERTIFICATE'));
    // The root alone is trusted; the issuing CA is only an intermediate to build the path.
    const v = openssl([
      'verify',
      '-CAfile',
      join(work, 'root.pem'),
      '-untrusted',
      join(work, 'issuing.pem'),
      '-purpose',
      'sslclient',
      join(work, 'leaf.pem'),
    ]);
    expect(v.stdout + v.stderr).toContain('leaf.pem: OK');
    // The root we trusted is the one init wrote for distribution.
    expect(rootCa.equals(readFileSync(join(data, 'certs', 'root.cer')))).toBe(true);
  });

  it('audit verify passes, then fails naming the record after a row is changed in the SQLite file', () => {
    const ok = tessera(data, ['audit', 'verify']);
    expect(ok.status, ok.stderr).toBe(0);
    const count = Number(/^Audit log OK: (\d+) records verified$/m.exec(ok.stdout)?.[1]);
    expect(count).toBeGreaterThan(5);

    const file = join(data, 'tessera.db');
    const sqlite = (fn: (db: Database.Database) => void) => {
      const db = new Database(file);
      try {
        fn(db);
      } finally {
        db.close();
      }
    };
    let original = '';
    sqlite((db) => {
      original = (db.prepare('SELECT actor FROM audit WHERE seq = 3').get() as { actor: string }).actor;
      expect(db.prepare("UPDATE audit SET actor = 'mallory' WHERE seq = 3").run().changes).toBe(1);
    });
    const bad = tessera(data, ['audit', 'verify']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(
      'tessera: The audit log failed verification. (record 3: the record was modified after it was written (2 records before it verified)) [AUDIT_CHAIN_BROKEN]\n',
    );
    const json = tessera(data, ['--json', 'audit', 'verify']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stderr).error.code).toBe('AUDIT_CHAIN_BROKEN');

    // Put the record back: the chain verifies again, so the failure was about that change.
    sqlite((db) => db.prepare('UPDATE audit SET actor = ? WHERE seq = 3').run(original));
    expect(tessera(data, ['audit', 'verify']).status).toBe(0);
    // Deleting a record is caught at the gap.
    sqlite((db) => db.prepare('DELETE FROM audit WHERE seq = 5').run());
    const gap = tessera(data, ['audit', 'verify']);
    expect(gap.status).toBe(1);
    expect(gap.stderr).toContain('record 5: record 5 is missing (next is 6)');
  });
});
