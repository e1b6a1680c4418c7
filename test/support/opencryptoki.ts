/**
 * The openCryptoki soft token (Debian `opencryptoki`) for the suites that need a PIN that
 * really locks. openCryptoki keeps its tokens in a compiled-in directory
 * (/var/lib/opencryptoki/swtok) and its slot daemon's state in /dev/shm and /run/lock, so
 * unlike SoftHSM2 it cannot be pointed at a temporary directory. What this module does
 * instead:
 *
 * - finds the soft token's slot from openCryptoki's own configuration (the slot whose
 *   `stdll` is libpkcs11_sw.so), not from `pkcs11-tool --list-slots` text: on a fresh
 *   install the token is uninitialized and that listing has no "token model" line;
 * - snapshots every file openCryptoki may change (the swtok directory, its shared-memory
 *   segment, its lock files, the daemon's pid file) and puts them back afterwards, and
 *   starts `pkcsslotd` only if it is not running, stopping only the daemon it started.
 *
 * So a machine that had never initialized the token is left without NVTOK.DAT, MK_SO and
 * MK_USER, and a machine with a token of its own gets that token back byte for byte.
 * docs/development.md describes the same fresh-install state by hand.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENCRYPTOKI_MODULE = [
  '/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so',
  '/usr/lib/aarch64-linux-gnu/pkcs11/libopencryptoki.so',
].find((p) => existsSync(p));
export const OPENCRYPTOKI_CONF = '/etc/opencryptoki/opencryptoki.conf';
/** openCryptoki's documented default SO PIN of an uninitialized token. */
export const OPENCRYPTOKI_DEFAULT_SO_PIN = '87654321';

const SLOTD = '/usr/sbin/pkcsslotd';
const PIDFILE = '/run/pkcsslotd.pid';
/**
 * Every path the soft token, the library or the daemon writes (openCryptoki 3.x, Debian 12
 * layout): the token directory, the lock directory, the pid file, and one shared-memory
 * segment per token directory the library opened (/dev/shm/var.lib.opencryptoki.*).
 */
const STATE_DIRS = ['/var/lib/opencryptoki/swtok', '/run/lock/opencryptoki', PIDFILE];
const shmSegments = () =>
  readdirSync('/dev/shm')
    .filter((f) => f.startsWith('var.lib.opencryptoki.'))
    .map((f) => `/dev/shm/${f}`);
const statePaths = () => [...STATE_DIRS, ...shmSegments()];

/**
 * The slot number of the soft token in openCryptoki's configuration: the `slot N { stdll =
 * libpkcs11_sw.so }` stanza (opencryptoki.conf(5)). That number is the PKCS#11 slot id.
 */
export function softTokenSlot(conf = readFileSync(OPENCRYPTOKI_CONF, 'utf8')): number | undefined {
  const text = conf.replace(/#[^\n]*/g, '');
  for (const m of text.matchAll(/slot\s+(\d+)\s*\{([^}]*)\}/g)) {
    if (/stdll\s*=\s*(?:\S*\/)?libpkcs11_sw\.so\b/.test(m[2])) return Number(m[1]);
  }
  return undefined;
}

/** The pid of a live (not zombie) pkcsslotd, or undefined. */
export function slotDaemonPid(): number | undefined {
  for (const file of [PIDFILE, '/var/run/pkcsslotd.pid']) {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim());
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // /proc/PID/stat: "pid (comm) state …" — a zombie left by a daemon that exited is not running.
      const m = /^\d+ \((.*)\) (\S)/.exec(stat);
      if (m && m[1] === 'pkcsslotd' && m[2] !== 'Z') return pid;
    } catch {
      // no pid file, or no such process
    }
  }
  return undefined;
}

/**
 * Every file and directory openCryptoki's soft token state consists of, with owner, mode and
 * a content hash: what the suite compares to prove it left the machine as it found it.
 */
export function openCryptokiState(): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    const hash = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16) : '';
    out.push(`${p} ${st.uid}:${st.gid} ${st.mode.toString(8)} ${hash}`);
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
  };
  for (const p of statePaths()) walk(p);
  return out;
}

export interface SoftToken {
  readonly module: string;
  readonly slot: number;
  readonly env: NodeJS.ProcessEnv;
  /** pkcs11-tool with the openCryptoki module. */
  tool(args: string[]): { status: number; out: string };
  /** Put back every file as it was before, stop the daemon if this module started it. */
  restore(): void;
}

/** `cp -a`: owner, group (pkcs11) and modes matter to openCryptoki, and fs.cpSync drops the owner. */
function copyAll(from: string, to: string): void {
  const r = spawnSync('cp', ['-a', from, to]);
  if (r.status !== 0) throw new Error(`cp -a ${from} ${to}: ${r.stderr}`);
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Take the soft token for a test: snapshot the machine's openCryptoki state, start the slot
 * daemon if needed, initialize the token with `label` and user PIN `userPin`.
 */
export function takeSoftToken(label: string, userPin: string, env: NodeJS.ProcessEnv = process.env): SoftToken {
  if (!OPENCRYPTOKI_MODULE || !existsSync(SLOTD) || !existsSync(OPENCRYPTOKI_CONF)) {
    throw new Error('this suite needs openCryptoki: apt-get install -y opencryptoki');
  }
  if (process.getuid?.() !== 0)
    throw new Error(
      'this suite drives the system openCryptoki soft token and needs root (or membership of the pkcs11 group and write access to /var/lib/opencryptoki)',
    );
  const slot = softTokenSlot();
  if (slot === undefined) throw new Error(`no soft token (stdll = libpkcs11_sw.so) in ${OPENCRYPTOKI_CONF}`);

  const backup = mkdtempSync(join(tmpdir(), 'opencryptoki-state-'));
  const saved = statePaths().filter((p) => existsSync(p));
  for (const p of saved) copyAll(p, join(backup, encodeURIComponent(p)));

  let startedPid: number | undefined;
  const restore = () => {
    if (startedPid) {
      try {
        process.kill(startedPid, 'SIGTERM');
      } catch {
        // already gone
      }
      for (let i = 0; i < 50 && slotDaemonPid(); i++) sleep(100);
    }
    for (const p of new Set([...saved, ...statePaths()])) {
      // Remove first so files created during the test go too, then copy back what was there.
      rmSync(p, { recursive: true, force: true });
      if (saved.includes(p)) copyAll(join(backup, encodeURIComponent(p)), p);
    }
    rmSync(backup, { recursive: true, force: true });
  };

  try {
    if (!slotDaemonPid()) {
      const r = spawnSync(SLOTD, [], { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${SLOTD} exited with ${r.status}`);
      // The daemon forks; its pid file appears shortly after.
      for (let i = 0; i < 50 && !startedPid; i++) {
        startedPid = slotDaemonPid();
        if (!startedPid) sleep(100);
      }
      if (!startedPid) throw new Error('pkcsslotd did not start');
    }
    const tool = (args: string[]) => {
      const r = spawnSync('pkcs11-tool', ['--module', OPENCRYPTOKI_MODULE, ...args], { env });
      return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    };
    const init = tool([
      '--slot',
      String(slot),
      '--init-token',
      '--so-pin',
      OPENCRYPTOKI_DEFAULT_SO_PIN,
      '--label',
      label,
    ]);
    if (init.status !== 0)
      throw new Error(`could not initialize the openCryptoki soft token in slot ${slot}:\n${init.out}`);
    const pin = tool([
      '--slot',
      String(slot),
      '--login',
      '--login-type',
      'so',
      '--so-pin',
      OPENCRYPTOKI_DEFAULT_SO_PIN,
      '--init-pin',
      '--new-pin',
      userPin,
    ]);
    if (pin.status !== 0) throw new Error(`could not set the user PIN of the openCryptoki soft token:\n${pin.out}`);
    return { module: OPENCRYPTOKI_MODULE, slot, env, tool, restore };
  } catch (e) {
    restore();
    throw e;
  }
}
