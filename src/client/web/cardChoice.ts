/**
 * The card list of the request form and the enrollment station: which card to pre-select,
 * and — when Submit finds no usable card — what is actually wrong, said distinctly: no
 * agent answered, the agent refuses this site, no card is present, the card is locked.
 * Pure functions over what the last look through the card agent found (enroll.ts).
 */
import type { CardAgentError, AgentCard, CardField } from './cardAgent.js';

/** The button that looks for the agent and the cards (advancedForm.ts cardFieldset). */
export const FIND_CARDS = 'Find cards';

/** What the last "Find cards" found: the cards, or why there are none. */
export type CardLook =
  | { readonly url: string; readonly cards: readonly AgentCard[] }
  | { readonly url: string; readonly error: CardAgentError };

export interface CardChoiceProblem {
  readonly code: string;
  readonly message: string;
  readonly field: Exclude<CardField, null>;
}

export function noCardMessage(url: string): string {
  return (
    `The card agent at ${url} is running, but no smart card is ` +
    `present. Insert the smart card, then choose "${FIND_CARDS}".`
  );
}

export function lockedCardMessage(c: { readonly label: string; readonly serial: string }): string {
  return (
    `The PIN of the smart card "${c.label}" (serial ${c.serial}) is locked: it was entered wrongly too ` +
    `many times. Unblock it with: tessera card unblock --card "${c.label}", then choose "${FIND_CARDS}".`
  );
}

/**
 * The card to select after a look: the one chosen before while it is still there; else, on
 * the request form, the first card whose PIN is not locked. The enrollment station selects
 * nothing by itself: the card in the reader is often the agent's own (holding the
 * Enrollment Agent certificate), and a key for the user must go onto the card the agent
 * picked for that user.
 */
export function cardToSelect(cards: readonly AgentCard[], before: string, o: { station?: boolean } = {}): string {
  if (before && cards.some((c) => c.serial === before)) return before;
  if (o.station) return '';
  return (cards.find((c) => !c.pin?.locked) ?? cards[0])?.serial ?? '';
}

/** Why the chosen card (a serial, or '' for none) cannot be used, or null when it can. */
export function cardChoiceProblem(
  look: CardLook | null,
  chosen: string,
  o: { station?: boolean } = {},
): CardChoiceProblem | null {
  if (!look)
    return {
      code: 'CARD_NOT_FOUND',
      field: 'lbCard',
      message: `Choose "${FIND_CARDS}" to look for the smart card through the card agent.`,
    };
  if ('error' in look)
    return { code: look.error.code, field: look.error.field ?? 'tbAgentUrl', message: look.error.message };
  if (!look.cards.length) return { code: 'CARD_NOT_FOUND', field: 'lbCard', message: noCardMessage(look.url) };
  const card = look.cards.find((c) => c.serial === chosen);
  if (!card) {
    if (chosen)
      return {
        code: 'CARD_NOT_FOUND',
        field: 'lbCard',
        message: `The smart card with serial ${chosen} is no longer present. Insert it, then choose "${FIND_CARDS}".`,
      };
    return o.station
      ? {
          code: 'CARD_NOT_CHOSEN',
          field: 'lbCard',
          message:
            'Choose the user\'s smart card in the list. A card marked "holds an Enrollment ' +
            "Agent certificate\" is an enrollment agent's own card, not the user's.",
        }
      : { code: 'CARD_NOT_CHOSEN', field: 'lbCard', message: 'Choose your smart card in the list.' };
  }
  if (card.pin?.locked) return { code: 'CARD_PIN_LOCKED', field: 'lbCard', message: lockedCardMessage(card) };
  return null;
}
