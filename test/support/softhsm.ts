/**
 * Real SoftHSM2 tokens for the card suites, in a temporary token directory that a
 * private SOFTHSM2_CONF points at (never the system's /var/lib/softhsm/tokens), and the
 * independent tools that judge them: pkcs11-tool (OpenSC), p11tool (GnuTLS) and OpenSSL
 * through libengine-pkcs11-openssl.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './openssl.js';

export const SOFTHSM2_MODULE =
  ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find((p) => existsSync(p)) ??
  '/usr/lib/softhsm/libsofthsm2.so';
export const PKCS11_ENGINE = [
  '/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so',
  '/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so',
].find((p) => existsSync(p));

export interface ToolResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

const result = (r: SpawnSyncReturns<Buffer>): ToolResult => ({
  status: r.status ?? -1,
  stdout: r.stdout?.toString('utf8') ?? '',
  stderr: r.stderr?.toString('utf8') ?? '',
});

export interface SoftHsm {
  readonly dir: string;
  readonly tokenDir: string;
  readonly conf: string;
  /** process.env plus SOFTHSM2_CONF, for child processes. */
  readonly env: NodeJS.ProcessEnv;
  /** `softhsm2-util --init-token --free` (an independent way to make a card). */
  initToken(label: string, pin: string, soPin: string): string;
  deleteToken(serial: string): void;
  /** pkcs11-tool with the SoftHSM2 module. */
  pkcs11Tool(args: string[], input?: string | Buffer): ToolResult;
  /** p11tool with the SoftHSM2 module as provider. */
  p11tool(args: string[]): ToolResult;
  /** Run any command with this token directory. */
  run(cmd: string, args: string[], input?: string | Buffer): ToolResult;
  /** An OPENSSL_CONF that loads the pkcs11 engine over this SoftHSM2 (for s_client, curl). */
  opensslEngineConf(): string;
  /** Make this the token directory of the current process (before the first C_Initialize / after a release). */
  useInProcess(): void;
  remove(): void;
}

export function newSoftHsm(prefix = 'softhsm-'): SoftHsm {
  const dir = tmpDir(prefix);
  const tokenDir = join(dir, 'tokens');
  mkdirSync(tokenDir);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const run = (cmd: string, args: string[], input?: string | Buffer) =>
    result(spawnSync(cmd, args, { env, input, maxBuffer: 64 * 1024 * 1024 }));
  return {
    dir,
    tokenDir,
    conf,
    env,
    initToken(label, pin, soPin) {
      const out = execFileSync(
        'softhsm2-util',
        ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin],
        { env },
      ).toString();
      const m = /reassigned to slot (\d+)/.exec(out);
      const show = execFileSync('softhsm2-util', ['--show-slots'], { env }).toString();
      const block = show.split(/\n(?=Slot )/).find((b) => m && b.startsWith(`Slot ${m[1]}\n`));
      const serial = /Serial number:\s+([0-9a-f]+)/.exec(block ?? '')?.[1];
      if (!serial) throw new Error(`no serial for ${label} in:\n${out}\n${show}`);
      return serial;
    },
    deleteToken(serial) {
      execFileSync('softhsm2-util', ['--delete-token', '--serial', serial], { env, stdio: 'pipe' });
    },
    pkcs11Tool: (args, input) => run('pkcs11-tool', ['--module', SOFTHSM2_MODULE, ...args], input),
    p11tool: (args) => run('p11tool', ['--provider', SOFTHSM2_MODULE, ...args]),
    run,
    opensslEngineConf() {
      const file = join(dir, 'openssl-pkcs11.cnf');
      if (!PKCS11_ENGINE) throw new Error('libengine-pkcs11-openssl is not installed');
      writeFileSync(
        file,
        [
          'openssl_conf = openssl_init',
          '[openssl_init]',
          'engines = engine_section',
          '[engine_section]',
          'pkcs11 = pkcs11_section',
          '[pkcs11_section]',
          'engine_id = pkcs11',
          `dynamic_path = ${PKCS11_ENGINE}`,
          `MODULE_PATH = ${SOFTHSM2_MODULE}`,
          'init = 0',
          '',
        ].join('\n'),
      );
      return file;
    },
    useInProcess() {
      process.env.SOFTHSM2_CONF = conf;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
