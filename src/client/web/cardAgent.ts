/**
 * The page's client for the local card agent (docs/cards.md "Card agent", API v1): the
 * role CertEnroll/ActiveX played for Internet Explorer. The PIN typed in the page goes to
 * the agent on the loopback address and nowhere else — never to the CA.
 */
import { fromBase64, toBase64 } from './bytes.js';

export interface AgentCard {
  readonly label: string;
  readonly serial: string;
  readonly manufacturer?: string;
  readonly model?: string;
  readonly virtual?: boolean;
  readonly pin?: {
    readonly locked?: boolean;
    readonly finalTry?: boolean;
    readonly countLow?: boolean;
    readonly changeRequired?: boolean;
    readonly agentThrottled?: boolean;
  };
  /** `enrollmentAgent`: an enrollment agent's own certificate (Certificate Request Agent). */
  readonly certificates?: readonly {
    readonly label: string;
    readonly id: string;
    readonly subject?: string;
    readonly notAfter?: string;
    readonly sha256?: string | null;
    readonly enrollmentAgent?: boolean;
  }[];
  /**
   * Public key objects: CKA_ID (hex), SHA-256 of the SubjectPublicKeyInfo,
   * whether a certificate on the card belongs to the key.
   */
  readonly keys?: readonly {
    readonly id: string;
    readonly label: string;
    readonly key?: string | null;
    readonly spkiSha256?: string | null;
    readonly certificate?: boolean;
  }[];
}

export interface GeneratedCardKey {
  readonly session: string;
  readonly card: { readonly label: string; readonly serial: string };
  readonly spki: Uint8Array;
  /** Hex CKA_ID (the future certificate's subject key identifier). */
  readonly keyId: string;
  readonly container: string;
  readonly keyKind: 'rsa' | 'ec';
}

/** Where the page shows a card problem. */
export type CardField = 'tbAgentUrl' | 'lbCard' | 'tbPin' | null;

export class CardAgentError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field: CardField,
    readonly card?: { readonly label: string; readonly serial: string },
  ) {
    super(message);
    this.name = 'CardAgentError';
  }
}

interface Problem {
  readonly title?: string;
  readonly detail?: string;
  readonly code?: string;
  readonly card?: { label: string; serial: string };
  readonly pinTries?: 'low' | 'final';
}

const sentence = (s: string) => {
  const t = s.trim();
  if (!t) return '';
  return `${t[0].toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
};

/** The message for an agent problem, written for the person at the page. */
export function cardProblemMessage(p: Problem, origin: string): CardAgentError {
  const code = p.code ?? 'CARD_ERROR';
  const title = sentence(p.title ?? 'The card agent reported an error.');
  const detail = sentence(p.detail ?? '');
  const more = detail && detail !== title ? ` ${detail}` : '';
  const card = p.card;
  switch (code) {
    case 'CARD_NOT_FOUND':
      return new CardAgentError(code, `Insert the smart card.${more}`, 'lbCard', card);
    case 'CARD_AMBIGUOUS':
    case 'CARD_REMOVED':
    case 'CARD_OPERATION_UNSUPPORTED':
    case 'CARD_KEY_NOT_FOUND':
    case 'CARD_MODULE_UNAVAILABLE':
      return new CardAgentError(code, `${title}${more}`, 'lbCard', card);
    case 'CARD_PIN_INCORRECT': {
      const tries = /attempt|retry|lock/i.test(detail)
        ? ''
        : p.pinTries === 'final'
          ? ' One attempt is left before the card locks its PIN.'
          : p.pinTries === 'low'
            ? ' The card reports that few attempts are left.'
            : '';
      return new CardAgentError(code, `${title}${more}${tries}`, 'tbPin', card);
    }
    case 'CARD_PIN_LOCKED': {
      const unblock = /tessera card unblock/.test(more)
        ? ''
        : ` Unblock it with: tessera card unblock --card "${card?.label ?? '<card label>'}".`;
      return new CardAgentError(code, `${title}${more}${unblock}`, 'tbPin', card);
    }
    case 'CARD_AGENT_PIN_THROTTLED':
    case 'CARD_PIN_CHANGE_REQUIRED':
      return new CardAgentError(code, `${title}${more}`, 'tbPin', card);
    case 'CARD_CANCELLED':
      return new CardAgentError(code, `${title} Enter the PIN and submit again to continue.`, 'tbPin', card);
    case 'CARD_AGENT_ORIGIN_REFUSED':
      return new CardAgentError(
        code,
        `${title} Start it for this site: tessera card-agent --allow-origin ${origin}`,
        'tbAgentUrl',
      );
    default:
      return new CardAgentError(code, `${title}${more}`, null, card);
  }
}

/** Only the loopback address: the agent never listens elsewhere, and a PIN must not go anywhere else. */
export function parseAgentUrl(text: string): URL | null {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  // (The agent binds 127.0.0.1; the site's Content-Security-Policy allows 127.0.0.1 and localhost.)
  if (!['127.0.0.1', 'localhost'].includes(u.hostname)) return null;
  return u;
}

export function notRunningMessage(url: string, origin: string): string {
  return (
    `No card agent answered at ${url}. Start the Tessera card agent: tessera card-agent --allow-origin ` +
    `${origin} (if it runs on another port, enter its address under "Card agent" and choose "Find cards").`
  );
}

export function originRefusedMessage(url: string, origin: string): string {
  return (
    `The card agent at ${url} answered but refused this site (${origin}): it was started for other sites ` +
    `only. Start it again with this site among its origins: tessera card-agent --allow-origin ${origin}`
  );
}

export class CardAgentClient {
  readonly #base: string;
  readonly #origin: string;

  constructor(baseUrl: string, origin: string) {
    const u = parseAgentUrl(baseUrl);
    if (!u)
      throw new CardAgentError(
        'AGENT_URL_INVALID',
        'The card agent address must be on this computer, for example http://127.0.0.1:8399.',
        'tbAgentUrl',
      );
    this.#base = u.origin;
    this.#origin = origin;
  }

  get url(): string {
    return this.#base;
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        mode: 'cors',
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      // Nothing listening, or an agent that refuses this origin: it answers without CORS
      // headers, so the page cannot read the answer. An opaque (no-cors) request tells the
      // two apart: it completes whenever something answered at that address.
      if (await this.#answersAtAll())
        throw new CardAgentError(
          'CARD_AGENT_ORIGIN_REFUSED',
          originRefusedMessage(this.#base, this.#origin),
          'tbAgentUrl',
        );
      throw new CardAgentError('AGENT_UNREACHABLE', notRunningMessage(this.#base, this.#origin), 'tbAgentUrl');
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      throw new CardAgentError(
        'AGENT_BAD_ANSWER',
        `The program at ${this.#base} is not the Tessera card agent.`,
        'tbAgentUrl',
      );
    }
    if (!res.ok) throw cardProblemMessage((json ?? {}) as Problem, this.#origin);
    return json as T;
  }

  async #answersAtAll(): Promise<boolean> {
    try {
      await fetch(`${this.#base}/v1/status`, { mode: 'no-cors', credentials: 'omit', cache: 'no-store' });
      return true;
    } catch {
      return false;
    }
  }

  async status(): Promise<{
    agent: string;
    apiVersion: number;
    module?: { description?: string; virtualCards?: boolean };
  }> {
    const s = await this.#call<{ agent: string; apiVersion: number }>('GET', '/v1/status');
    if (s?.agent !== 'tessera-card-agent')
      throw new CardAgentError(
        'AGENT_BAD_ANSWER',
        `The program at ${this.#base} is not the Tessera card agent.`,
        'tbAgentUrl',
      );
    if (s.apiVersion !== 1)
      throw new CardAgentError(
        'AGENT_VERSION',
        `The card agent at ${this.#base} speaks API version ${s.apiVersion}; ` +
          'this page needs version 1. Update Tessera on this computer.',
        'tbAgentUrl',
      );
    return s;
  }

  async cards(): Promise<AgentCard[]> {
    return (await this.#call<{ cards: AgentCard[] }>('GET', '/v1/cards')).cards ?? [];
  }

  async generate(o: {
    serial: string;
    pin: string;
    alg: 'rsa' | 'P-256' | 'P-384';
    keySize: number;
    template: string;
    container?: string;
  }): Promise<GeneratedCardKey> {
    const r = await this.#call<{
      session: string;
      card: { label: string; serial: string };
      spki: string;
      keyId: string;
      container: string;
      keyKind: string;
    }>('POST', '/v1/keys', {
      card: { serial: o.serial },
      pin: o.pin,
      keyAlg: o.alg === 'rsa' ? 'rsa' : 'ec',
      ...(o.alg === 'rsa' ? { keySize: o.keySize } : { curve: o.alg }),
      template: o.template,
      ...(o.container ? { container: o.container } : {}),
    });
    return {
      session: r.session,
      card: r.card,
      spki: fromBase64(r.spki),
      keyId: r.keyId,
      container: r.container,
      keyKind: o.alg === 'rsa' ? 'rsa' : 'ec',
    };
  }

  async sign(o: {
    session: string;
    pin: string;
    hash: 'sha1' | 'sha256' | 'sha384' | 'sha512';
    format: 'pkcs10' | 'cmc';
    data: Uint8Array;
    content?: Uint8Array;
  }): Promise<Uint8Array> {
    const r = await this.#call<{ signature: string }>('POST', '/v1/sign', {
      session: o.session,
      pin: o.pin,
      hash: o.hash,
      format: o.format,
      data: toBase64(o.data),
      ...(o.content ? { content: toBase64(o.content) } : {}),
    });
    return fromBase64(r.signature);
  }

  async install(o: {
    serial: string;
    pin: string;
    certificate: Uint8Array;
    friendlyName?: string;
    session?: string;
  }): Promise<{ card: { label: string; serial: string }; id: string; label: string; alreadyPresent: boolean }> {
    return this.#call('POST', '/v1/certificates', {
      ...(o.session ? { session: o.session } : { card: { serial: o.serial } }),
      pin: o.pin,
      certificate: toBase64(o.certificate),
      ...(o.friendlyName ? { friendlyName: o.friendlyName } : {}),
    });
  }

  /** The user gave up (or the request could not be built): the operation's new key is removed from the card. */
  async cancel(session: string, pin: string): Promise<void> {
    await this.#call('POST', `/v1/sessions/${encodeURIComponent(session)}/cancel`, { pin });
  }
}

/** "Alice VSC (serial 5ef2…) — virtual card, PIN locked" for the card list. */
export function describeAgentCard(c: AgentCard): string {
  const notes = [
    c.virtual ? 'virtual card' : '',
    c.certificates?.some((x) => x.enrollmentAgent) ? 'holds an Enrollment Agent certificate' : '',
    c.pin?.locked ? 'PIN locked' : '',
    c.pin?.changeRequired ? 'PIN must be changed' : '',
    c.pin?.agentThrottled ? 'too many wrong PINs' : '',
  ].filter(Boolean);
  return `${c.label} (serial ${c.serial})${notes.length ? ` — ${notes.join(', ')}` : ''}`;
}
