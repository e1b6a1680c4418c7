/**
 * Virtual smart cards: SoftHSM2 tokens, created and deleted the way `tpmvscmgr create` /
 * `destroy` do for Windows TPM virtual smart cards. Physical cards are personalised by
 * their own tools (OpenSC pkcs15-init, the vendor's); Tessera only uses them.
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { cardInfo, findCard, freeSlots, listCards, type CardInfo, type CardSelector } from './Card.js';
import { CardError, cardErrorFrom, describeCard } from './CardError.js';
import { CardSession, checkNewPin } from './CardSession.js';
import type { Pkcs11Module } from './pkcs11/Pkcs11Module.js';

const execFileAsync = promisify(execFile);

/** The default virtual smart card PIN in the seed (and in `tpmvscmgr`). */
export const DEFAULT_USER_PIN = '12345678';

/** A random administrator key (SO PIN): 20 digits in groups of four, about 66 bits. */
export function randomSoPin(): string {
  const groups: string[] = [];
  for (let i = 0; i < 5; i++) groups.push(String(randomInt(0, 10_000)).padStart(4, '0'));
  return groups.join('-');
}

export interface CreateCardInput {
  readonly label: string;
  readonly pin: string;
  readonly soPin: string;
  /** Tessera tools refuse the card until its PIN is changed (docs/cards.md). */
  readonly forcePinChange?: boolean;
}

function requireSoftHsm(mod: Pkcs11Module, what: string): void {
  if (!mod.isSoftHsm) {
    throw new CardError(
      'CARD_OPERATION_UNSUPPORTED',
      undefined,
      `${what} works on SoftHSM2 virtual cards; ${mod.info.manufacturer} ` +
        `(${mod.path}) cards are personalised with their own tools`,
    );
  }
}

export function createVirtualCard(mod: Pkcs11Module, input: CreateCardInput): CardInfo {
  requireSoftHsm(mod, 'card create');
  const label = input.label;
  if (!label || Buffer.byteLength(label, 'utf8') > 32 || /[\0]/.test(label) || label !== label.trim()) {
    throw new CardError(
      'INPUT_INVALID',
      { label, serial: '' },
      'a card label has 1 to 32 bytes (UTF-8) without leading or trailing spaces',
    );
  }
  const present = listCards(mod).filter((c) => c.label === label);
  if (present.length)
    throw new CardError(
      'ALREADY_EXISTS',
      present[0],
      `a card named "${label}" is already present: ${present.map(describeCard).join(', ')}`,
    );
  const slot = freeSlots(mod)[0];
  if (!slot) throw new CardError('CARD_ERROR', undefined, `${mod.path} offers no free slot for a new card`);
  const pending = { label, serial: '(new)' };
  // PIN rules come from the free slot's token info (SoftHSM2: 4 to 255 bytes).
  const blank = cardInfo(mod, slot);
  checkNewPin({ ...blank, label }, input.pin);
  checkNewPin({ ...blank, label }, input.soPin);
  try {
    // CK_TOKEN_INFO.label is CK_UTF8CHAR[32], blank padded (PKCS#11 v2.40 §5.4).
    mod.p.C_InitToken(slot, input.soPin, padLabel(label));
  } catch (e) {
    throw cardErrorFrom(e, pending, 'initialising the card');
  }
  const card = cardInfo(mod, slot);
  const s = CardSession.open(mod, card);
  try {
    s.loginSo(input.soPin);
    try {
      mod.p.C_InitPIN(s.handle, input.pin);
    } catch (e) {
      throw s.fail(e, 'setting the user PIN');
    }
    s.logout();
    if (input.forcePinChange) {
      s.login(input.pin);
      s.requirePinChange();
    }
  } finally {
    s.close();
  }
  return cardInfo(mod, slot);
}

function padLabel(label: string): string {
  const bytes = Buffer.byteLength(label, 'utf8');
  return label + ' '.repeat(32 - bytes);
}

/**
 * Delete a virtual card after proving the administrator key (SO PIN): PKCS#11 has no
 * "delete token", so SoftHSM2's own `softhsm2-util --delete-token --serial` removes it.
 */
export async function deleteVirtualCard(mod: Pkcs11Module, sel: CardSelector, soPin: string): Promise<CardInfo> {
  requireSoftHsm(mod, 'card delete');
  const card = findCard(mod, sel);
  const s = CardSession.open(mod, card);
  try {
    s.loginSo(soPin);
  } finally {
    s.close();
  }
  try {
    await execFileAsync('softhsm2-util', ['--delete-token', '--serial', card.serial], { env: process.env });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new CardError(
        'CARD_OPERATION_UNSUPPORTED',
        card,
        'softhsm2-util is not installed (apt-get install softhsm2)',
      );
    throw new CardError(
      'CARD_ERROR',
      card,
      `softhsm2-util could not delete card ${describeCard(card)}: ${(err.stderr ?? err.message).trim()}`,
    );
  }
  mod.refresh();
  return card;
}
