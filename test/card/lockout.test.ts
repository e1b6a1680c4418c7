/**
 * A PIN that really locks. SoftHSM2 never locks (cards.test.ts proves it), so the locked
 * path is exercised with another real PKCS#11 token that does: the openCryptoki soft token
 * (Debian `opencryptoki`, slot daemon `pkcsslotd`), which counts wrong user PINs through
 * CKF_USER_PIN_COUNT_LOW → CKF_USER_PIN_FINAL_TRY → CKF_USER_PIN_LOCKED / CKR_PIN_LOCKED,
 * and clears them on C_InitPIN by the security officer. Nothing here is simulated.
 *
 * openCryptoki keeps its tokens under /var/lib/opencryptoki (compiled in; it has no
 * per-test directory like SOFTHSM2_CONF): test/support/opencryptoki.ts finds the soft
 * token's slot from openCryptoki's configuration, initializes it, and puts the machine's
 * state back afterwards. `npm test` installs the package; without it the suite fails and
 * says how to get it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OPENCRYPTOKI_DEFAULT_SO_PIN,
  openCryptokiState,
  slotDaemonPid,
  softTokenSlot,
  takeSoftToken,
  type SoftToken,
} from '../support/opencryptoki.js';
import { newSoftHsm } from '../support/softhsm.js';
import { tessera } from './helpers/cli.js';

const SO_PIN = OPENCRYPTOKI_DEFAULT_SO_PIN;
const LABEL = 'Tessera Lock Test';

// The CLI also loads SoftHSM2 for its default module; give it an empty private token directory.
const hsm = newSoftHsm('lockout-');
const env = { ...hsm.env };
let token: SoftToken;
// What the machine looked like before this file touched it.
const before = openCryptokiState();
const daemonBefore = slotDaemonPid();
const tool = (args: string[]) => token.tool(args);
const cli = (args: string[], input: string) => tessera(['--json', ...args, '--module', token.module], { env, input });

describe('a token that locks its PIN (openCryptoki soft token)', () => {
  // A fresh card with user PIN 12345678 in the soft token's slot; the machine's own
  // openCryptoki state is put back afterwards (test/support/opencryptoki.ts).
  beforeAll(() => {
    token = takeSoftToken(LABEL, '12345678', env);
  });
  afterAll(() => {
    token?.restore();
    hsm.remove();
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

  it("unblock with the administrator key ends the lockout with a new PIN (within the card's 4–8 character rule)", async () => {
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

describe('the machine after the lockout suite', () => {
  it("has openCryptoki's state back as it was: same files, owners, modes and contents, same daemon", () => {
    expect(openCryptokiState()).toEqual(before);
    expect(slotDaemonPid()).toBe(daemonBefore);
  });

  it("finds the soft token's slot from openCryptoki's configuration, whatever the token's state", () => {
    // Debian's default opencryptoki.conf puts the soft token in slot 3.
    expect(softTokenSlot()).toBe(3);
    expect(
      softTokenSlot(
        'version opencryptoki-3.1\n# slot 9 { stdll = libpkcs11_sw.so }\nslot 0\n{\nstdll = libpkcs11_tpm.so\n}\nslot 7 {\n stdll = /usr/lib/opencryptoki/stdll/libpkcs11_sw.so\n tokname = soft\n}\n',
      ),
    ).toBe(7);
    expect(softTokenSlot('slot 0 { stdll = libpkcs11_tpm.so }')).toBeUndefined();
  });
});
