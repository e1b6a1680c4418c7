/**
 * A PIN that really locks. SoftHSM2 never locks (cards.test.ts proves it), so the locked
 * path is exercised with another real PKCS#11 token that does: the openCryptoki soft token
 * (Debian `opencryptoki`, slot daemon `pkcsslotd`), which counts wrong user PINs through
 * CKF_USER_PIN_COUNT_LOW → CKF_USER_PIN_FINAL_TRY → CKF_USER_PIN_LOCKED / CKR_PIN_LOCKED,
 * and clears them on C_InitPIN by the security officer. Nothing here is simulated.
 *
 * openCryptoki keeps its tokens under /var/lib/opencryptoki (compiled in; it has no
 * per-test directory like SOFTHSM2_CONF). The suite re-initializes the soft token's slot
 * with openCryptoki's default SO PIN each run and starts pkcsslotd only if it is not
 * running, stopping only the daemon it started. `npm test` installs the package; without
 * it the suite fails and says how to get it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSoftHsm } from '../support/softhsm.js';
import { tessera } from './helpers/cli.js';

const OCK = '/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so';
const SLOTD = '/usr/sbin/pkcsslotd';
const PIDFILE = '/var/run/pkcsslotd.pid';
const SO_PIN = '87654321'; // openCryptoki's documented default SO PIN
const LABEL = 'Tessera Lock Test';
const available = existsSync(OCK) && existsSync(SLOTD) && process.getuid?.() === 0;

const daemonPid = (): number | undefined => {
  try {
    const pid = Number(readFileSync(PIDFILE, 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
};

let startedPid: number | undefined;
const env = { ...newSoftHsm('lockout-').env };
const tool = (args: string[]) => {
  const r = spawnSync('pkcs11-tool', ['--module', OCK, ...args], { env });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
};
const cli = (args: string[], input: string) => tessera(['--json', ...args, '--module', OCK], { env, input });

describe('a token that locks its PIN (openCryptoki soft token)', () => {
  beforeAll(() => {
    if (!available) throw new Error('the lockout suite needs openCryptoki: apt-get install -y opencryptoki (and root, or the pkcs11 group)');
    if (!daemonPid()) {
      const r = spawnSync(SLOTD, [], { stdio: 'ignore' });
      expect(r.status).toBe(0);
      // The daemon forks; its pid file appears shortly after.
      for (let i = 0; i < 50 && !startedPid; i++) {
        startedPid = daemonPid();
        if (!startedPid) spawnSync('sleep', ['0.1']);
      }
      expect(startedPid).toBeDefined();
    }
    // Find the soft token's slot and (re)initialize it: a fresh card with user PIN 12345678.
    const slots = tool(['--list-slots']).out;
    const slot = /Slot \d+ \(0x([0-9a-f]+)\):[^\n]*\n(?:[^\n]*\n)*?\s+token model\s+:\s+IBM SoftTok/.exec(slots)?.[1];
    expect(slot, slots).toBeDefined();
    const id = String(parseInt(slot!, 16));
    expect(tool(['--slot', id, '--init-token', '--so-pin', SO_PIN, '--label', LABEL]).status).toBe(0);
    const pin = tool(['--slot', id, '--login', '--login-type', 'so', '--so-pin', SO_PIN, '--init-pin', '--new-pin', '12345678']);
    expect(pin.status, pin.out).toBe(0);
  });
  afterAll(() => {
    if (startedPid) process.kill(startedPid, 'SIGTERM');
  });

  const wrong = () => cli(['card', 'list', '--card', LABEL, '--login', '--pin-stdin'], '00000000\n');

  it('reports what the card says: few tries left, then the final try, then locked — and points to unblock', async () => {
    const first = await wrong();
    expect(first.error?.code).toBe('CARD_PIN_INCORRECT');
    expect(first.error?.detail).toContain(`wrong PIN for card "${LABEL}"`);
    expect(first.error?.detail).toContain('the card reports that few attempts are left');
    const second = await wrong();
    expect(second.error?.code).toBe('CARD_PIN_INCORRECT');
    expect(second.error?.detail).toContain('one attempt is left before the card locks the PIN');
    const third = await wrong();
    expect(third.error?.code).toBe('CARD_PIN_LOCKED');
    expect(third.error?.message).toContain('tessera card unblock');
    expect(third.error?.detail).toContain(`tessera card unblock --card "${LABEL}"`);
    // The right PIN no longer helps — Tessera does not even try it on a locked card —
    // and the independent tool agrees the card is locked.
    const right = await cli(['card', 'list', '--card', LABEL, '--login', '--pin-stdin'], '12345678\n');
    expect(right.error?.code).toBe('CARD_PIN_LOCKED');
    expect(tool(['--token-label', LABEL, '--login', '--pin', '12345678', '-O']).out).toContain('CKR_PIN_LOCKED');
    const listed = await cli(['card', 'list', '--card', LABEL], '');
    expect(listed.json.cards[0].pin.locked).toBe(true);
  });

  it('unblock with the administrator key ends the lockout with a new PIN (within the card\'s 4–8 character rule)', async () => {
    const tooLong = await cli(['card', 'unblock', '--card', LABEL, '--pin-stdin'], `${SO_PIN}\nUnblocked-2468\n`);
    expect(tooLong.error?.code).toBe('CARD_PIN_INVALID');
    expect(tooLong.error?.detail).toContain('4 to 8 characters');
    const r = await cli(['card', 'unblock', '--card', LABEL, '--pin-stdin'], `${SO_PIN}\nUnbl2468\n`);
    expect(r.status, r.stderr).toBe(0);
    expect(tool(['--token-label', LABEL, '--login', '--pin', 'Unbl2468', '-O']).status).toBe(0);
    const listed = await cli(['card', 'list', '--card', LABEL, '--login', '--pin-stdin'], 'Unbl2468\n');
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.json.cards[0].pin).toMatchObject({ locked: false, finalTry: false, countLow: false });
  });

  it('card create and delete are refused on a token that is not a SoftHSM2 virtual card', async () => {
    const r = await cli(['card', 'create', '--label', 'Nope', '--pin-stdin', '--so-pin-stdin'], '12345678\n87654321\n');
    expect(r.error?.code).toBe('CARD_OPERATION_UNSUPPORTED');
  });
});
