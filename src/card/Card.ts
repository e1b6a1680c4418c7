/**
 * The cards (PKCS#11 tokens) present in a module, and choosing one by label or serial.
 * A label is what people type ("Alice VSC"); when two present cards share it, Tessera
 * refuses to guess and names both (CARD_AMBIGUOUS).
 */
import pkcs11js from 'pkcs11js';
import { CardError, cardErrorFrom, describeCard, type CardRef } from './CardError.js';
import type { Pkcs11Module } from './pkcs11/Pkcs11Module.js';

const P = pkcs11js;
const trim = (s: string) => s.replace(/[\s\0]+$/, '');

export interface PinState {
  readonly initialized: boolean;
  readonly locked: boolean;
  readonly countLow: boolean;
  readonly finalTry: boolean;
  /** CKF_USER_PIN_TO_BE_CHANGED (set by some physical cards; SoftHSM2 never sets it). */
  readonly toBeChanged: boolean;
  readonly soLocked: boolean;
}

export interface CardInfo extends CardRef {
  /** Slot handle; valid until the module is refreshed. */
  readonly slot: Buffer;
  readonly slotDescription: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly flags: number;
  readonly minPinLength: number;
  readonly maxPinLength: number;
  readonly pin: PinState;
}

export function pinState(flags: number): PinState {
  return {
    initialized: (flags & P.CKF_USER_PIN_INITIALIZED) !== 0,
    locked: (flags & P.CKF_USER_PIN_LOCKED) !== 0,
    countLow: (flags & P.CKF_USER_PIN_COUNT_LOW) !== 0,
    finalTry: (flags & P.CKF_USER_PIN_FINAL_TRY) !== 0,
    toBeChanged: (flags & P.CKF_USER_PIN_TO_BE_CHANGED) !== 0,
    soLocked: (flags & P.CKF_SO_PIN_LOCKED) !== 0,
  };
}

export function cardInfo(mod: Pkcs11Module, slot: Buffer): CardInfo {
  const t = mod.p.C_GetTokenInfo(slot);
  const s = mod.p.C_GetSlotInfo(slot);
  const ti = t as unknown as { minPinLen?: number; maxPinLen?: number };
  return {
    slot,
    slotDescription: trim(s.slotDescription),
    label: trim(t.label),
    serial: trim(t.serialNumber),
    manufacturer: trim(t.manufacturerID),
    model: trim(t.model),
    flags: t.flags,
    minPinLength: ti.minPinLen ?? 0,
    maxPinLength: ti.maxPinLen ?? 0,
    pin: pinState(t.flags),
  };
}

/** Initialized tokens present now (after a refresh when possible). */
export function listCards(mod: Pkcs11Module, opts: { refresh?: boolean } = {}): CardInfo[] {
  if (opts.refresh !== false) mod.refresh();
  let slots: Buffer[];
  try {
    slots = mod.p.C_GetSlotList(true);
  } catch (e) {
    throw cardErrorFrom(e, undefined, 'listing the card slots');
  }
  const cards: CardInfo[] = [];
  for (const slot of slots) {
    try {
      const c = cardInfo(mod, slot);
      if (c.flags & P.CKF_TOKEN_INITIALIZED) cards.push(c);
    } catch {
      // A token that vanished between C_GetSlotList and C_GetTokenInfo is not present.
    }
  }
  return cards;
}

/** Uninitialized token slots (SoftHSM2 always keeps one free slot for the next card). */
export function freeSlots(mod: Pkcs11Module): Buffer[] {
  return mod.p.C_GetSlotList(true).filter((slot) => (mod.p.C_GetTokenInfo(slot).flags & P.CKF_TOKEN_INITIALIZED) === 0);
}

export interface CardSelector {
  readonly label?: string;
  readonly serial?: string;
}

export const describeSelector = (s: CardSelector) =>
  [s.label !== undefined ? `"${s.label}"` : '', s.serial !== undefined ? `serial ${s.serial}` : '']
    .filter(Boolean)
    .join(' ') || '(any card)';

/**
 * Exactly one present card matching the label and/or serial. No match: CARD_NOT_FOUND
 * (insert the card); several: CARD_AMBIGUOUS naming each. Without a selector, the only
 * present card.
 */
export function findCard(mod: Pkcs11Module, sel: CardSelector, opts: { refresh?: boolean } = {}): CardInfo {
  const cards = listCards(mod, opts);
  const matches = cards.filter(
    (c) =>
      (sel.label === undefined || c.label === sel.label) &&
      (sel.serial === undefined || c.serial.toLowerCase() === sel.serial.toLowerCase()),
  );
  if (matches.length === 1) return matches[0];
  const ref: CardRef | undefined =
    sel.label !== undefined || sel.serial !== undefined
      ? { label: sel.label ?? '', serial: sel.serial ?? '' }
      : undefined;
  if (matches.length === 0) {
    const present = cards.length ? `; present: ${cards.map(describeCard).join(', ')}` : '; no card is present';
    throw new CardError(
      'CARD_NOT_FOUND',
      ref,
      `no smart card ${describeSelector(sel)} in ${mod.info.description || mod.path}${present}`,
    );
  }
  throw new CardError(
    'CARD_AMBIGUOUS',
    ref,
    `${matches.length} cards match ${describeSelector(sel)}: ` +
      `${matches.map(describeCard).join(', ')}; choose one with --card-serial`,
  );
}
