/**
 * `tessera card …`: virtual smart cards (SoftHSM2 tokens, the role of `tpmvscmgr`) and
 * any PKCS#11 card: create, list, change-pin, unblock, remove-key, delete. docs/cards.md.
 */
import type { Command } from 'commander';
import { findCard, listCards, freeSlots, type CardInfo, type CardSelector } from '../../../card/Card.js';
import { describeCard } from '../../../card/CardError.js';
import { CardSession, type CardObject } from '../../../card/CardSession.js';
import { MODULE_ENV, Pkcs11Module, resolveModulePath } from '../../../card/pkcs11/Pkcs11Module.js';
import { SecretInput } from '../../../card/SecretInput.js';
import { parseKeyId, removeCardKey } from '../../../card/removeCardKey.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { createVirtualCard, deleteVirtualCard, DEFAULT_USER_PIN, randomSoPin } from '../../../card/virtualCards.js';
import type { CliContext } from '../CliContext.js';

const warn = (s: string) => process.stderr.write(`tessera: warning: ${s}\n`);

/** --module, --card, --card-serial: shared by every card command and `enroll`. */
export function cardOptions(cmd: Command, opts: { card?: boolean } = { card: true }): Command {
  cmd.option('--module <path>', `PKCS#11 module: a path, "softhsm2" or "opensc" (default: $${MODULE_ENV} or SoftHSM2)`);
  if (opts.card !== false)
    cmd
      .option('--card <label>', 'the card, by label')
      .option('--card-serial <serial>', 'the card, by serial number (when labels repeat)');
  return cmd;
}

export function selectorOf(o: { card?: string; cardSerial?: string }): CardSelector {
  return {
    ...(o.card !== undefined ? { label: o.card } : {}),
    ...(o.cardSerial !== undefined ? { serial: o.cardSerial } : {}),
  };
}

/** Run `fn` with the module loaded, releasing it afterwards. */
export async function withModule<T>(
  modulePath: string | undefined,
  fn: (m: Pkcs11Module) => Promise<T> | T,
): Promise<T> {
  const m = Pkcs11Module.acquire(resolveModulePath(modulePath));
  try {
    return await fn(m);
  } finally {
    m.release();
  }
}

/** Run `fn` with the PINs and passwords it reads (standard input or prompts), closing them afterwards. */
export async function withSecrets<T>(ctx: CliContext, fn: (secrets: SecretInput) => Promise<T>): Promise<T> {
  const secrets = new SecretInput(ctx);
  try {
    return await fn(secrets);
  } finally {
    secrets.close();
  }
}

export function register(program: Command, ctx: CliContext): void {
  const card = program
    .command('card')
    .description('smart cards and virtual smart cards (PKCS#11; SoftHSM2 by default)');

  cardOptions(card.command('create'), { card: false })
    .description(
      'create a virtual smart card (a SoftHSM2 token); user PIN 12345678 ' +
        'unless given, administrator key (SO PIN) random unless given',
    )
    .requiredOption('--label <label>', 'card name, e.g. "Alice VSC" (at most 32 bytes)')
    .option('--pin <pin>', 'user PIN on the command line (visible to other users: prefer --pin-stdin)')
    .option('--so-pin <pin>', 'administrator key on the command line (visible to other users: prefer --so-pin-stdin)')
    .option('--pin-stdin', 'read the user PIN from the first line of standard input')
    .option('--so-pin-stdin', 'read the administrator key from the next line of standard input')
    .option('--force-pin-change', 'Tessera refuses the card until its PIN is changed (tessera card change-pin)')
    .action(async (o) => {
      await withSecrets(ctx, async (secrets) => {
        if (o.pin !== undefined) warn('--pin puts the PIN where `ps` and shell history can see it; use --pin-stdin');
        if (o.soPin !== undefined)
          warn('--so-pin puts the administrator key where `ps` and shell history can see it; use --so-pin-stdin');
        const pin: string = o.pin ?? (o.pinStdin ? await secrets.line('the user PIN') : DEFAULT_USER_PIN);
        const generatedSo = o.soPin === undefined && !o.soPinStdin;
        const soPin: string =
          o.soPin ?? (o.soPinStdin ? await secrets.line('the administrator key (SO PIN)') : randomSoPin());
        const usesDefault = pin === DEFAULT_USER_PIN;
        if (usesDefault) {
          warn(
            `the card's user PIN is the well-known default ${DEFAULT_USER_PIN}; ${
              o.forcePinChange
                ? 'it must be changed before first use'
                : 'change it with `tessera card change-pin`, or create the card with --force-pin-change'
            }`,
          );
        }
        const info = await withModule(o.module, (m) =>
          createVirtualCard(m, { label: o.label, pin, soPin, forcePinChange: !!o.forcePinChange }),
        );
        ctx.out.result(
          {
            label: info.label,
            serial: info.serial,
            defaultPin: usesDefault,
            forcePinChange: !!o.forcePinChange,
            ...(generatedSo ? { soPin } : {}),
          },
          () => {
            ctx.out.line(`Created card ${describeCard(info)}`);
            if (generatedSo) {
              ctx.out.line(`Administrator key (SO PIN): ${soPin}`);
              ctx.out.line(
                '  It is shown once. Keep it safe: it unblocks and resets ' +
                  'the user PIN (tessera card unblock) and deletes the card.',
              );
            }
          },
        );
      });
    });

  cardOptions(card.command('list'))
    .description(
      'slots, cards, keys and certificates (labels and CKA_IDs); ' +
        'private keys are listed after a PIN login with --login',
    )
    .option('--login', 'log in with the PIN to list private keys too (needs --card or a single card)')
    .option('--pin-stdin', 'with --login: read the PIN from standard input')
    .action(async (o) => {
      await withSecrets(ctx, async (secrets) => {
        await withModule(o.module, async (m) => {
          const sel = selectorOf(o);
          const cards =
            o.login || sel.label !== undefined || sel.serial !== undefined ? [findCard(m, sel)] : listCards(m);
          const rows: { card: (typeof cards)[number]; objects: CardObject[] }[] = [];
          for (const c of cards) {
            const s = CardSession.open(m, c, { rw: false });
            try {
              if (o.login) s.login(await secrets.get(`PIN for card ${describeCard(c)}`, !!o.pinStdin));
              rows.push({ card: c, objects: s.objects() });
            } finally {
              s.close();
            }
          }
          const free = freeSlots(m).length;
          const json = {
            module: m.info,
            freeSlots: free,
            cards: rows.map(({ card: c, objects }) => ({
              label: c.label,
              serial: c.serial,
              slot: `0x${c.slot.readBigUInt64LE().toString(16)}`,
              slotDescription: c.slotDescription,
              manufacturer: c.manufacturer,
              model: c.model,
              pin: {
                locked: c.pin.locked,
                finalTry: c.pin.finalTry,
                countLow: c.pin.countLow,
                toBeChanged: c.pin.toBeChanged,
                initialized: c.pin.initialized,
              },
              objects,
            })),
          };
          ctx.out.result(json, () => {
            ctx.out.line(`Module: ${m.info.path} (${m.info.manufacturer} ${m.info.version}, ${m.info.description})`);
            if (!rows.length)
              ctx.out.line(
                'No card is present. Insert a smart card, or create a ' +
                  'virtual card with `tessera card create --label NAME`.',
              );
            for (const { card: c, objects } of rows) {
              const pinNote = c.pin.locked
                ? ' PIN LOCKED'
                : c.pin.finalTry
                  ? ' PIN: final try'
                  : c.pin.toBeChanged
                    ? ' PIN must be changed'
                    : '';
              ctx.out.line(
                `Card ${describeCard(c)} in slot 0x${c.slot.readBigUInt64LE().toString(16)} ` +
                  `(${c.slotDescription}); ${c.manufacturer} ${c.model}${pinNote}`,
              );
              if (!objects.length) ctx.out.line('  (no public objects)');
              for (const ob of objects) {
                const what =
                  ob.class === 'privateKey'
                    ? 'private key'
                    : ob.class === 'publicKey'
                      ? 'public key '
                      : ob.class === 'certificate'
                        ? 'certificate'
                        : 'data       ';
                const extra =
                  ob.class === 'certificate'
                    ? `${ob.subject ?? ''}${ob.notAfter ? `, until ${ob.notAfter.toISOString().slice(0, 10)}` : ''}`
                    : (ob.key ?? '');
                const access = ob.access
                  ? ` [${ob.access.sensitive ? 'sensitive' : 'NOT sensitive'}, ` +
                    `${ob.access.extractable ? 'EXTRACTABLE' : 'not extractable'}` +
                    `${ob.access.local ? ', generated on the card' : ''}]`
                  : '';
                const orphan = ob.orphan ? '  ORPHAN: no certificate on the card' : '';
                ctx.out.line(`  ${what}  id=${ob.id || '-'}  label="${ob.label}"  ${extra}${access}${orphan}`);
              }
              // A key without a certificate is an enrollment that was never installed (docs/cards.md "Orphan keys").
              const orphans = [
                ...new Set(objects.filter((ob) => ob.orphan && ob.class === 'privateKey').map((ob) => ob.id)),
              ];
              if (orphans.length) {
                ctx.out.line(
                  `  ${orphans.length} orphan key(s): install the certificate from "Pending / issued ` +
                    'requests" on the enrollment site, or remove with: tessera card remove-key --card ' +
                    `"${c.label}" --id ${orphans[0]}${orphans.length > 1 ? ' (or --orphans for all)' : ''}`,
                );
              } else if (!o.login && objects.some((ob) => ob.orphan)) {
                ctx.out.line(
                  `  a public key has no certificate; log in (--login) to see whether its private key is an orphan`,
                );
              }
            }
            ctx.out.line(`${free} free slot(s)${m.isSoftHsm ? ' (SoftHSM2 keeps one for the next card)' : ''}`);
          });
        });
      });
    });

  /** change-pin, unblock, delete: one card, secrets asked after it is found, a one-line result. */
  const onCard = (
    name: string,
    description: string,
    pinHelp: string,
    run: (m: Pkcs11Module, c: CardInfo, secrets: SecretInput, o: Record<string, unknown>) => Promise<void>,
    done: { readonly key: string; readonly text: string },
  ) =>
    cardOptions(card.command(name))
      .description(description)
      .option('--pin-stdin', pinHelp)
      .action(async (o: Record<string, unknown>) => {
        await withSecrets(ctx, async (secrets) => {
          const c = await withModule(o.module as string | undefined, async (m) => {
            const c = findCard(m, selectorOf(o as { card?: string; cardSerial?: string }));
            await run(m, c, secrets, o);
            return c;
          });
          ctx.out.result({ label: c.label, serial: c.serial, [done.key]: true }, `${done.text} ${describeCard(c)}`);
        });
      });

  /** A R/W session on the card for `fn`, always closed. */
  const inSession = async (m: Pkcs11Module, c: CardInfo, fn: (s: CardSession) => void) => {
    const s = CardSession.open(m, c);
    try {
      fn(s);
    } finally {
      s.close();
    }
  };

  onCard(
    'change-pin',
    'change the user PIN (standard input: old PIN, new PIN)',
    'read the old and the new PIN from standard input, one per line',
    async (m, c, secrets, o) => {
      const oldPin = await secrets.get(`current PIN for card ${describeCard(c)}`, !!o.pinStdin);
      const newPin = await secrets.get('new PIN', !!o.pinStdin, { confirm: true });
      await inSession(m, c, (s) => s.changePin(oldPin, newPin));
    },
    { key: 'changed', text: 'Changed the PIN of card' },
  );

  onCard(
    'unblock',
    'set a new user PIN with the administrator key (SO PIN), which ' +
      'also ends a lockout (standard input: administrator key, new PIN)',
    'read the administrator key and the new PIN from standard input, one per line',
    async (m, c, secrets, o) => {
      const soPin = await secrets.get(`administrator key (SO PIN) for card ${describeCard(c)}`, !!o.pinStdin);
      const newPin = await secrets.get('new user PIN', !!o.pinStdin, { confirm: true });
      await inSession(m, c, (s) => {
        s.unblock(soPin, newPin);
        if (o.forcePinChange) {
          s.login(newPin);
          s.requirePinChange();
        }
      });
    },
    { key: 'unblocked', text: 'Set a new user PIN on card' },
  ).option('--force-pin-change', 'the user must change the new PIN before the card is used');

  cardOptions(card.command('remove-key'))
    .description(
      'remove a key pair from a card after a PIN login: one key by CKA_ID, or every orphan ' +
        'key (no certificate on the card); a key with a certificate only with --with-certificate',
    )
    .option('--id <hex>', "the key's CKA_ID, as `tessera card list --login` shows it")
    .option('--orphans', 'every private key that has no certificate on the card')
    .option('--with-certificate', 'with --id: also remove the certificate that belongs to the key')
    .option('--pin-stdin', 'read the PIN from standard input')
    .action(async (o) => {
      if ((o.id === undefined) === !o.orphans)
        throw new TesseraError(
          'INPUT_INVALID',
          'name the key with --id HEX, or give --orphans to remove every key without a certificate',
        );
      if (o.orphans && o.withCertificate)
        throw new TesseraError('INPUT_INVALID', '--with-certificate goes with --id: orphan keys have no certificate');
      const id = o.id !== undefined ? parseKeyId(o.id) : undefined;
      await withSecrets(ctx, async (secrets) => {
        const { c, removed } = await withModule(o.module, async (m) => {
          const c = findCard(m, selectorOf(o));
          const pin = await secrets.get(`PIN for card ${describeCard(c)}`, !!o.pinStdin);
          const s = CardSession.open(m, c);
          try {
            s.login(pin);
            const ids = id
              ? [id]
              : [
                  ...new Set(
                    s
                      .objects()
                      .filter((ob) => ob.orphan && ob.class === 'privateKey')
                      .map((ob) => ob.id),
                  ),
                ].map((x) => Buffer.from(x, 'hex'));
            return { c, removed: ids.map((k) => removeCardKey(s, k, { withCertificate: !!o.withCertificate })) };
          } finally {
            s.close();
          }
        });
        ctx.out.result({ label: c.label, serial: c.serial, removed }, () => {
          if (!removed.length) ctx.out.line(`No orphan key on card ${describeCard(c)}`);
          for (const r of removed) {
            ctx.out.line(
              `Removed key ${r.id} from card ${describeCard(c)} ` +
                `(${r.privateKeys} private, ${r.publicKeys} public key object(s)${
                  r.certificates.length ? `; certificate ${r.certificates.map((l) => `"${l}"`).join(', ')}` : ''
                })`,
            );
          }
        });
      });
    });

  onCard(
    'delete',
    'delete a virtual smart card and everything on it (needs the administrator key)',
    'read the administrator key (SO PIN) from standard input',
    async (m, c, secrets, o) => {
      const soPin = await secrets.get(`administrator key (SO PIN) for card ${describeCard(c)}`, !!o.pinStdin);
      await deleteVirtualCard(m, { serial: c.serial }, soPin);
    },
    { key: 'deleted', text: 'Deleted card' },
  );
}
