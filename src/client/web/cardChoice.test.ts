/**
 * The card list's choices and what Submit says when no usable card is chosen: each cause
 * in its own words (no agent, the agent refusing this site, no card, a locked card), the
 * button named as the page names it, and no card pre-selected at the enrollment station.
 * The no-agent and refused-site answers come from the real client against a real port
 * and a real agent (cardAgent.test.ts, test/web/agentProblems.test.ts); here the locked
 * card, which SoftHSM2 cannot produce (it never locks a PIN).
 */
import { describe, expect, it } from 'vitest';
import {
  CardAgentError,
  describeAgentCard,
  notRunningMessage,
  originRefusedMessage,
  type AgentCard,
} from './cardAgent.js';
import { cardChoiceProblem, cardToSelect, FIND_CARDS } from './cardChoice.js';

const URL = 'http://127.0.0.1:9123';
const SITE = 'https://ca.example.test:8443';
const alice: AgentCard = { label: 'Alice VSC', serial: 'aa01', pin: { locked: false } };
const locked: AgentCard = { label: 'Locked VSC', serial: 'bb02', pin: { locked: true } };
const agentCard: AgentCard = {
  label: 'Helpdesk VSC',
  serial: 'cc03',
  certificates: [{ label: 'Enrollment Agent', id: '01', enrollmentAgent: true }],
};
const bob: AgentCard = {
  label: 'Bob VSC',
  serial: 'dd04',
  certificates: [{ label: 'Old', id: '02', enrollmentAgent: false }],
};

describe('what Submit says when no usable card is chosen', () => {
  it('no agent answered: the address that was tried and how to start the agent for this site', () => {
    const error = new CardAgentError('AGENT_UNREACHABLE', notRunningMessage(URL, SITE), 'tbAgentUrl');
    expect(cardChoiceProblem({ url: URL, error }, '')).toEqual({
      code: 'AGENT_UNREACHABLE',
      field: 'tbAgentUrl',
      message: error.message,
    });
    expect(error.message).toBe(
      `No card agent answered at ${URL}. Start the Tessera card agent: tessera card-agent --allow-origin ` +
        `${SITE} (if it runs on another port, enter its address under "Card agent" and choose "Find cards").`,
    );
  });

  it('the agent refused this site: said as such, with the option that admits the site', () => {
    const error = new CardAgentError('CARD_AGENT_ORIGIN_REFUSED', originRefusedMessage(URL, SITE), 'tbAgentUrl');
    const p = cardChoiceProblem({ url: URL, error }, '');
    expect(p).toMatchObject({ code: 'CARD_AGENT_ORIGIN_REFUSED', field: 'tbAgentUrl' });
    expect(p!.message).toBe(
      `The card agent at ${URL} answered but refused this site (${SITE}): it was started for other sites ` +
        `only. Start it again with this site among its origins: tessera card-agent --allow-origin ${SITE}`,
    );
  });

  it('no card: the agent runs, the card is missing, and the button to press is "Find cards"', () => {
    expect(FIND_CARDS).toBe('Find cards');
    const p = cardChoiceProblem({ url: URL, cards: [] }, '');
    expect(p).toEqual({
      code: 'CARD_NOT_FOUND',
      field: 'lbCard',
      message:
        `The card agent at ${URL} is running, but no smart card is ` +
        'present. Insert the smart card, then choose "Find cards".',
    });
    expect(p!.message).not.toContain('Refresh');
  });

  it('a locked card: names it and says how to unblock it', () => {
    expect(cardChoiceProblem({ url: URL, cards: [locked, alice] }, 'bb02')).toEqual({
      code: 'CARD_PIN_LOCKED',
      field: 'lbCard',
      message:
        'The PIN of the smart card "Locked VSC" (serial bb02) is locked: it was entered wrongly too many ' +
        'times. Unblock it with: tessera card unblock --card "Locked VSC", then choose "Find cards".',
    });
  });

  it('a usable card: no problem', () => {
    expect(cardChoiceProblem({ url: URL, cards: [alice] }, 'aa01')).toBeNull();
  });

  it("at the station, cards present but none chosen: choose the user's card, not an agent's own", () => {
    const p = cardChoiceProblem({ url: URL, cards: [agentCard, bob] }, '', { station: true });
    expect(p).toMatchObject({ code: 'CARD_NOT_CHOSEN', field: 'lbCard' });
    expect(p!.message).toMatch(/^Choose the user's smart card in the list\./);
  });

  it('a card chosen earlier that has gone, and a form that never looked', () => {
    expect(cardChoiceProblem({ url: URL, cards: [bob] }, 'aa01')!.message).toBe(
      'The smart card with serial aa01 is no longer present. Insert it, then choose "Find cards".',
    );
    expect(cardChoiceProblem(null, '')!.message).toBe(
      'Choose "Find cards" to look for the smart card through the card agent.',
    );
  });
});

describe('which card the list selects', () => {
  it('the request form: the card chosen before, else the first card whose PIN is not locked', () => {
    expect(cardToSelect([locked, alice], '')).toBe('aa01');
    expect(cardToSelect([locked, alice], 'bb02')).toBe('bb02');
    expect(cardToSelect([locked], '')).toBe('bb02');
    expect(cardToSelect([], '')).toBe('');
  });

  it(
    "the enrollment station: nothing by itself — not the agent's " +
      'own card, not any card — but keeps what the agent picked',
    () => {
      expect(cardToSelect([agentCard, bob], '', { station: true })).toBe('');
      expect(cardToSelect([bob], '', { station: true })).toBe('');
      expect(cardToSelect([agentCard, bob], 'dd04', { station: true })).toBe('dd04');
    },
  );

  it('the list marks a card holding an Enrollment Agent certificate', () => {
    expect(describeAgentCard(agentCard)).toBe('Helpdesk VSC (serial cc03) — holds an Enrollment Agent certificate');
    expect(describeAgentCard(bob)).toBe('Bob VSC (serial dd04)');
  });
});
