/**
 * `tessera card …` against real SoftHSM2 tokens in a private token directory, judged by
 * pkcs11-tool (OpenSC) and softhsm2-util — never by Tessera's own code alone.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl } from '../support/openssl.js';
import { newSoftHsm, type SoftHsm } from '../support/softhsm.js';
import { tessera } from './helpers/cli.js';

let hsm: SoftHsm;
beforeAll(() => {
  hsm = newSoftHsm('cards-');
});
afterAll(() => hsm?.remove());

const cli = (args: string[], input?: string) => tessera(['--json', ...args], { env: hsm.env, input });
/** pkcs11-tool login with a PIN on the token labelled `label`: 0 = logged in. */
const loginWith = (label: string, pin: string) =>
  hsm.pkcs11Tool(['--token-label', label, '--login', '--pin', pin, '--list-objects']);
/** pkcs11-tool as security officer (C_InitPIN needs a R/W SO session): re-sets the user PIN to `userPin`. */
const soWorks = (label: string, soPin: string, userPin: string) =>
  hsm.pkcs11Tool([
    '--token-label',
    label,
    '--login',
    '--login-type',
    'so',
    '--so-pin',
    soPin,
    '--init-pin',
    '--new-pin',
    userPin,
  ]);

describe('tessera card', () => {
  let aliceSo = '';
  let aliceSerial = '';

  it('creates a virtual card with the default PIN 12345678, warns, and shows a random administrator key once', async () => {
    const r = await cli(['card', 'create', '--label', 'Alice VSC']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('well-known default 12345678');
    expect(r.json.label).toBe('Alice VSC');
    expect(r.json.defaultPin).toBe(true);
    expect(r.json.soPin).toMatch(/^\d{4}(-\d{4}){4}$/);
    aliceSo = r.json.soPin;
    aliceSerial = r.json.serial;
    // Independent judge: OpenSC sees the token, its user PIN works, and so does the SO PIN.
    const list = hsm.pkcs11Tool(['--list-token-slots']);
    expect(list.stdout).toMatch(/token label\s+:\s+Alice VSC/);
    expect(list.stdout).toContain(`serial num         : ${aliceSerial}`);
    expect(list.stdout).toContain('PIN initialized');
    expect(loginWith('Alice VSC', '12345678').status).toBe(0);
    expect(soWorks('Alice VSC', aliceSo, '12345678').status).toBe(0);
  });

  it('refuses a second card with a label that is already present', async () => {
    const r = await cli(['card', 'create', '--label', 'Alice VSC', '--pin-stdin'], '87654321\n');
    expect(r.status).toBe(1);
    expect(r.error?.code).toBe('ALREADY_EXISTS');
    expect(r.error?.detail).toContain(aliceSerial);
  });

  it('warns when a PIN is given on the command line, and takes PINs from standard input without warning', async () => {
    const argv = await cli(['card', 'create', '--label', 'Argv VSC', '--pin', '24681357', '--so-pin', '13572468']);
    expect(argv.status, argv.stderr).toBe(0);
    expect(argv.stderr).toContain('--pin puts the PIN where `ps`');
    expect(argv.json.soPin).toBeUndefined();
    expect(loginWith('Argv VSC', '24681357').status).toBe(0);
    const stdin = await cli(
      ['card', 'create', '--label', 'Stdin VSC', '--pin-stdin', '--so-pin-stdin'],
      '11223344\n44332211\n',
    );
    expect(stdin.status, stdin.stderr).toBe(0);
    expect(stdin.stderr).toBe('');
    expect(loginWith('Stdin VSC', '11223344').status).toBe(0);
    expect(soWorks('Stdin VSC', '44332211', '11223344').status).toBe(0);
  });

  it('lists slots, cards and objects with labels and IDs', async () => {
    const r = await cli(['card', 'list']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.module.manufacturer).toContain('SoftHSM');
    expect(r.json.freeSlots).toBe(1);
    const alice = r.json.cards.find((c: { label: string }) => c.label === 'Alice VSC');
    expect(alice.serial).toBe(aliceSerial);
    expect(alice.pin).toMatchObject({ locked: false, initialized: true });
    const text = await tessera(['card', 'list'], { env: hsm.env });
    expect(text.stdout).toMatch(/Card "Alice VSC" \(serial [0-9a-f]+\) in slot 0x[0-9a-f]+/);
  });

  it('a wrong PIN is refused with CARD_PIN_INCORRECT naming the card, and says SoftHSM2 keeps no retry limit', async () => {
    const r = await cli(['card', 'list', '--card', 'Alice VSC', '--login', '--pin-stdin'], '00000000\n');
    expect(r.status).toBe(1);
    expect(r.error?.code).toBe('CARD_PIN_INCORRECT');
    expect(r.error?.message).toBe('The smart card PIN is incorrect.');
    expect(r.error?.detail).toContain(`"Alice VSC" (serial ${aliceSerial})`);
    expect(r.error?.detail).toContain('SoftHSM2 virtual cards keep no retry limit');
    expect(r.stderr).not.toContain('00000000');
  });

  it('SoftHSM2 2.6 does not lock a PIN: 15 wrong logins by pkcs11-tool, then the right PIN still works (docs/cards.md)', async () => {
    for (let i = 0; i < 15; i++) {
      const bad = loginWith('Alice VSC', `9999${String(i).padStart(4, '0')}`);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr + bad.stdout).toContain('CKR_PIN_INCORRECT');
    }
    const slots = hsm.pkcs11Tool(['--list-token-slots']).stdout;
    expect(slots).not.toMatch(/user PIN locked/i);
    expect(loginWith('Alice VSC', '12345678').status).toBe(0);
    const r = await cli(['card', 'list', '--card', 'Alice VSC']);
    expect(r.json.cards[0].pin.locked).toBe(false);
  });

  it('lists private keys after a PIN login, with their protection', async () => {
    // A key made by an independent tool on the card.
    const gen = hsm.pkcs11Tool([
      '--token-label',
      'Alice VSC',
      '--login',
      '--pin',
      '12345678',
      '--keypairgen',
      '--key-type',
      'EC:prime256v1',
      '--label',
      'other',
      '--id',
      'a1b2',
      '--sensitive',
    ]);
    expect(gen.status, gen.stderr).toBe(0);
    const without = await cli(['card', 'list', '--card', 'Alice VSC']);
    expect(without.json.cards[0].objects.filter((o: { class: string }) => o.class === 'privateKey')).toHaveLength(0);
    const withPin = await cli(['card', 'list', '--card', 'Alice VSC', '--login', '--pin-stdin'], '12345678\n');
    expect(withPin.status, withPin.stderr).toBe(0);
    const priv = withPin.json.cards[0].objects.find((o: { class: string }) => o.class === 'privateKey');
    expect(priv).toMatchObject({ label: 'other', id: 'a1b2', key: 'EC P-256', access: { sensitive: true } });
  });

  it('changes the PIN: the old one stops working, the new one works', async () => {
    const r = await cli(['card', 'change-pin', '--card', 'Alice VSC', '--pin-stdin'], '12345678\nAlice-2468\n');
    expect(r.status, r.stderr).toBe(0);
    expect(loginWith('Alice VSC', '12345678').status).not.toBe(0);
    expect(loginWith('Alice VSC', 'Alice-2468').status).toBe(0);
  });

  it('refuses a new PIN shorter than the card allows without spending a PIN attempt', async () => {
    const r = await cli(['card', 'change-pin', '--card', 'Alice VSC', '--pin-stdin'], 'Alice-2468\n123\n');
    expect(r.error?.code).toBe('CARD_PIN_INVALID');
    expect(r.error?.detail).toContain('4 to 255');
  });

  it('unblock: a wrong administrator key is refused; the right one sets a new user PIN', async () => {
    const bad = await cli(
      ['card', 'unblock', '--card', 'Alice VSC', '--pin-stdin'],
      '0000-0000-0000-0000-0000\nReset-1357\n',
    );
    expect(bad.error?.code).toBe('CARD_PIN_INCORRECT');
    expect(bad.error?.detail).toContain('wrong administrator key (SO PIN) for card "Alice VSC"');
    expect(loginWith('Alice VSC', 'Alice-2468').status).toBe(0);
    const ok = await cli(['card', 'unblock', '--card', 'Alice VSC', '--pin-stdin'], `${aliceSo}\nReset-1357\n`);
    expect(ok.status, ok.stderr).toBe(0);
    expect(loginWith('Alice VSC', 'Alice-2468').status).not.toBe(0);
    expect(loginWith('Alice VSC', 'Reset-1357').status).toBe(0);
  });

  it('two cards with the same label: refuses to guess, names both; --card-serial picks one', async () => {
    const s1 = hsm.initToken('Shared VSC', '12345678', '11111111');
    const s2 = hsm.initToken('Shared VSC', '12345678', '22222222');
    const r = await cli(['card', 'list', '--card', 'Shared VSC']);
    expect(r.status).toBe(1);
    expect(r.error?.code).toBe('CARD_AMBIGUOUS');
    expect(r.error?.detail).toContain(`serial ${s1}`);
    expect(r.error?.detail).toContain(`serial ${s2}`);
    const one = await cli(['card', 'list', '--card', 'Shared VSC', '--card-serial', s2]);
    expect(one.status, one.stderr).toBe(0);
    expect(one.json.cards.map((c: { serial: string }) => c.serial)).toEqual([s2]);
  });

  it('a missing card says to insert it and lists what is present', async () => {
    const r = await cli(['card', 'list', '--card', 'Bob VSC']);
    expect(r.error?.code).toBe('CARD_NOT_FOUND');
    expect(r.error?.message).toContain('Insert the smart card');
    expect(r.error?.detail).toContain('"Alice VSC"');
  });

  it('--force-pin-change: enrollment refuses the card until its PIN is changed', async () => {
    const c = await cli(['card', 'create', '--label', 'Fresh VSC', '--force-pin-change']);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stderr).toContain('must be changed before first use');
    const enroll = () =>
      cli(
        [
          'enroll',
          '--server',
          'https://127.0.0.1:9',
          '--user',
          'alice',
          '--password-stdin',
          '--pin-stdin',
          '--card',
          'Fresh VSC',
          '--format',
          'pkcs10',
        ],
        'pw\n12345678\n',
      );
    const refused = await enroll();
    expect(refused.error?.code).toBe('CARD_PIN_CHANGE_REQUIRED');
    expect(refused.error?.detail).toContain('tessera card change-pin --card "Fresh VSC"');
    expect(
      (await cli(['card', 'change-pin', '--card', 'Fresh VSC', '--pin-stdin'], '12345678\nFresh-9753\n')).status,
    ).toBe(0);
    // Now it goes as far as the (absent) server.
    const after = await cli(
      [
        'enroll',
        '--server',
        'https://127.0.0.1:9',
        '--user',
        'alice',
        '--password-stdin',
        '--pin-stdin',
        '--card',
        'Fresh VSC',
        '--format',
        'pkcs10',
      ],
      'pw\nFresh-9753\n',
    );
    expect(after.error?.code).toBe('SERVER_UNREACHABLE');
  });

  it('deletes a card only with its administrator key', async () => {
    const bad = await cli(['card', 'delete', '--card', 'Stdin VSC', '--pin-stdin'], '00000000\n');
    expect(bad.error?.code).toBe('CARD_PIN_INCORRECT');
    expect(hsm.pkcs11Tool(['--list-token-slots']).stdout).toContain('Stdin VSC');
    const ok = await cli(['card', 'delete', '--card', 'Stdin VSC', '--pin-stdin'], '44332211\n');
    expect(ok.status, ok.stderr).toBe(0);
    expect(hsm.pkcs11Tool(['--list-token-slots']).stdout).not.toContain('Stdin VSC');
  });
});

describe('orphan keys: tessera card list marks them, tessera card remove-key removes them', () => {
  const PIN = '12345678';
  const label = 'Orphan VSC';
  const tool = (args: string[]) => hsm.pkcs11Tool(['--token-label', label, '--login', '--pin', PIN, ...args]);
  /** The objects on the card as pkcs11-tool sees them after a login: "<kind> <id>" ("Private Key c1", "Certificate c1"). */
  const judged = () =>
    tool(['--list-objects'])
      .stdout.split(/\n(?=\S)/)
      .filter((b) => / Object;/.test(b))
      .map((b) => `${b.split(' Object')[0].trim()} ${/ID:\s+([0-9a-f]+)/.exec(b)?.[1] ?? '-'}`)
      .sort();
  /** Write a software key pair and its self-signed certificate onto the card with pkcs11-tool (the certificate under `certId`). */
  const certifiedKey = (id: string, certId: string, cn: string) => {
    const dir = join(hsm.dir, `key-${id}`);
    mkdirSync(dir, { recursive: true });
    const f = (n: string) => join(dir, n);
    expect(
      openssl([
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('k.pem'),
        '-subj',
        `/CN=${cn}`,
        '-days',
        '30',
        '-out',
        f('c.pem'),
      ]).status,
    ).toBe(0);
    openssl(['pkey', '-in', f('k.pem'), '-outform', 'der', '-out', f('k.der')]);
    openssl(['pkey', '-in', f('k.pem'), '-pubout', '-outform', 'der', '-out', f('p.der')]);
    openssl(['x509', '-in', f('c.pem'), '-outform', 'der', '-out', f('c.der')]);
    for (const [file, type, oid, lbl] of [
      ['k.der', 'privkey', id, cn],
      ['p.der', 'pubkey', id, cn],
      ['c.der', 'cert', certId, `${cn} Certificate`],
    ]) {
      const w = tool(['--write-object', f(file), '--type', type, '--id', oid, '--label', lbl]);
      expect(w.status, w.stderr).toBe(0);
    }
  };
  const orphanKey = (id: string) =>
    expect(
      tool(['--keypairgen', '--key-type', 'EC:prime256v1', '--id', id, '--label', `never installed ${id}`]).status,
    ).toBe(0);

  beforeAll(() => {
    hsm.initToken(label, PIN, '87654321');
    certifiedKey('c1', 'c1', 'Installed');
    // A card that kept its own CKA_ID for the certificate: the key pairs with it by public key.
    certifiedKey('d1', 'd2', 'Other ID');
    orphanKey('e1');
  });

  it('list --login marks the private key without a certificate as an orphan, and says how to remove it', async () => {
    const r = await cli(['card', 'list', '--card', label, '--login', '--pin-stdin'], `${PIN}\n`);
    expect(r.status, r.stderr).toBe(0);
    const keys = r.json.cards[0].objects
      .filter((o: { class: string }) => o.class === 'privateKey')
      .map((o: { id: string; orphan: boolean }) => [o.id, o.orphan])
      .sort();
    expect(keys).toEqual([
      ['c1', false],
      ['d1', false],
      ['e1', true],
    ]);
    const text = await tessera(['card', 'list', '--card', label, '--login', '--pin-stdin'], {
      env: hsm.env,
      input: `${PIN}\n`,
    });
    expect(text.status, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.filter((l) => l.includes('ORPHAN'))).toEqual([
      expect.stringMatching(/^ {2}private key {2}id=e1 .*ORPHAN: no certificate on the card$/),
      expect.stringMatching(/^ {2}public key {3}id=e1 .*ORPHAN: no certificate on the card$/),
    ]);
    expect(text.stdout).toContain(
      `1 orphan key(s): install the certificate from "Pending / issued requests" on the enrollment site, or remove with: tessera card remove-key --card "${label}" --id e1`,
    );
  });

  it('refuses a key that has a certificate (same CKA_ID, or same public key), and changes nothing', async () => {
    const before = judged();
    for (const id of ['c1', 'd1']) {
      const r = await cli(['card', 'remove-key', '--card', label, '--id', id, '--pin-stdin'], `${PIN}\n`);
      expect(r.status).toBe(1);
      expect(r.error?.code).toBe('CARD_KEY_HAS_CERTIFICATE');
      expect(r.error?.detail).toContain(`the key with ID ${id} on card "${label}"`);
      expect(r.error?.detail).toContain('--with-certificate');
    }
    expect(judged()).toEqual(before);
  });

  it('bad input: a wrong PIN, an ID that is not hex, a key that is not there, neither --id nor --orphans', async () => {
    const before = judged();
    const wrongPin = await cli(['card', 'remove-key', '--card', label, '--id', 'e1', '--pin-stdin'], '00000000\n');
    expect(wrongPin.error?.code).toBe('CARD_PIN_INCORRECT');
    const notHex = await cli(['card', 'remove-key', '--card', label, '--id', 'zz', '--pin-stdin'], `${PIN}\n`);
    expect(notHex.error?.code).toBe('INPUT_INVALID');
    expect(notHex.error?.detail).toContain('--id zz');
    const missing = await cli(['card', 'remove-key', '--card', label, '--id', '99', '--pin-stdin'], `${PIN}\n`);
    expect(missing.error?.code).toBe('CARD_KEY_NOT_FOUND');
    expect(missing.error?.detail).toContain('no key with ID 99');
    const neither = await cli(['card', 'remove-key', '--card', label, '--pin-stdin'], `${PIN}\n`);
    expect(neither.error?.code).toBe('INPUT_INVALID');
    expect(judged()).toEqual(before);
  });

  it('removes the orphan key with the PIN: pkcs11-tool and p11tool no longer see it; the certified keys stay', async () => {
    const r = await cli(['card', 'remove-key', '--card', label, '--id', 'E1', '--pin-stdin'], `${PIN}\n`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.removed).toEqual([{ id: 'e1', privateKeys: 1, publicKeys: 1, certificates: [] }]);
    expect(judged()).toEqual([
      'Certificate c1',
      'Certificate d2',
      'Private Key c1',
      'Private Key d1',
      'Public Key c1',
      'Public Key d1',
    ]);
    const p11 = hsm.p11tool(['--list-all', '--login', '--set-pin', PIN, `pkcs11:token=${encodeURIComponent(label)}`]);
    expect(p11.status, p11.stderr).toBe(0);
    expect(p11.stdout).toContain('ID: c1');
    expect(p11.stdout).not.toContain('ID: e1');
  });

  it('--orphans removes every key without a certificate, and nothing else', async () => {
    orphanKey('f1');
    orphanKey('f2');
    const r = await cli(['card', 'remove-key', '--card', label, '--orphans', '--pin-stdin'], `${PIN}\n`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.removed.map((x: { id: string }) => x.id).sort()).toEqual(['f1', 'f2']);
    expect(judged()).toEqual([
      'Certificate c1',
      'Certificate d2',
      'Private Key c1',
      'Private Key d1',
      'Public Key c1',
      'Public Key d1',
    ]);
    const again = await tessera(['card', 'remove-key', '--card', label, '--orphans', '--pin-stdin'], {
      env: hsm.env,
      input: `${PIN}\n`,
    });
    expect(again.stdout).toContain(`No orphan key on card "${label}"`);
  });

  it('--with-certificate removes a key together with its certificate', async () => {
    const r = await cli(
      ['card', 'remove-key', '--card', label, '--id', 'd1', '--with-certificate', '--pin-stdin'],
      `${PIN}\n`,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.removed).toEqual([
      { id: 'd1', privateKeys: 1, publicKeys: 1, certificates: ['Other ID Certificate'] },
    ]);
    expect(judged()).toEqual(['Certificate c1', 'Private Key c1', 'Public Key c1']);
  });
});
