/**
 * Card failures as TesseraErrors that name the card, and the translation of PKCS#11
 * return values (CKR_*) into the registry's CARD_* codes. A PIN is never part of a
 * message or detail.
 */
import type { ErrorCode } from '../errors/registry.js';
import { TesseraError } from '../errors/TesseraError.js';

export interface CardRef {
  readonly label: string;
  readonly serial: string;
}

/** What the token's flags say about the user PIN's retry counter (PKCS#11 v2.40 §5.4 CK_TOKEN_INFO). */
export type PinTries = 'low' | 'final' | null;

export const describeCard = (c: CardRef): string => `"${c.label}" (serial ${c.serial})`;

export class CardError extends TesseraError {
  constructor(
    code: ErrorCode,
    readonly card: CardRef | undefined,
    detail: string,
    readonly pinTries: PinTries = null,
    options?: { cause?: unknown },
  ) {
    super(code, detail, options);
  }

  /** For JSON answers (card agent, --json): the code, the public message and the card. */
  toJSON() {
    return {
      code: this.code,
      message: this.message,
      detail: this.detail ?? null,
      card: this.card ?? null,
      pinTries: this.pinTries,
    };
  }
}

/** The CKR_ name in a pkcs11js error ("CKR_PIN_INCORRECT:160"), or null for a non-PKCS#11 error. */
export function ckrName(e: unknown): string | null {
  const m = /\b(CKR_[A-Z0-9_]+)/.exec((e as Error)?.message ?? '');
  return m ? m[1] : null;
}

const REMOVED = new Set([
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_DEVICE_REMOVED',
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_SLOT_ID_INVALID',
  'CKR_TOKEN_NOT_RECOGNIZED',
]);
const UNSUPPORTED = new Set([
  'CKR_MECHANISM_INVALID',
  'CKR_MECHANISM_PARAM_INVALID',
  'CKR_FUNCTION_NOT_SUPPORTED',
  'CKR_KEY_SIZE_RANGE',
  'CKR_TEMPLATE_INCONSISTENT',
  'CKR_DOMAIN_PARAMS_INVALID',
  'CKR_CURVE_NOT_SUPPORTED',
  'CKR_ATTRIBUTE_READ_ONLY',
  'CKR_TOKEN_WRITE_PROTECTED',
]);

/** Map a PKCS#11 failure of `what` on `card` to a CardError; TesseraErrors pass through. */
export function cardErrorFrom(e: unknown, card: CardRef | undefined, what: string): TesseraError {
  if (e instanceof TesseraError) return e;
  const ckr = ckrName(e);
  const on = card ? ` on card ${describeCard(card)}` : '';
  const code: ErrorCode = !ckr
    ? 'CARD_ERROR'
    : ckr === 'CKR_PIN_INCORRECT'
      ? 'CARD_PIN_INCORRECT'
      : ckr === 'CKR_PIN_LOCKED'
        ? 'CARD_PIN_LOCKED'
        : ckr === 'CKR_PIN_INVALID' || ckr === 'CKR_PIN_LEN_RANGE' || ckr === 'CKR_PIN_TOO_WEAK'
          ? 'CARD_PIN_INVALID'
          : ckr === 'CKR_PIN_EXPIRED'
            ? 'CARD_PIN_CHANGE_REQUIRED'
            : ckr === 'CKR_FUNCTION_CANCELED'
              ? 'CARD_CANCELLED'
              : REMOVED.has(ckr)
                ? 'CARD_REMOVED'
                : UNSUPPORTED.has(ckr)
                  ? 'CARD_OPERATION_UNSUPPORTED'
                  : 'CARD_ERROR';
  const why = ckr ?? (e as Error)?.message ?? String(e);
  const extra =
    ckr === 'CKR_USER_PIN_NOT_INITIALIZED' ? '; the card has no user PIN yet: set one with `tessera card unblock`' : '';
  return new CardError(code, card, `${what}${on}: ${why}${extra}`, null, { cause: e });
}
