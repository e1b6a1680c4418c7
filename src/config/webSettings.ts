/**
 * The `web` section of tessera.json: what the web enrollment pages start from. The card
 * agent address must be one the pages may reach and send a PIN to: plain HTTP on the
 * loopback address, as the agent listens (src/client/cardAgent/CardAgent.ts) and as the site's
 * Content-Security-Policy allows (connect-src http://127.0.0.1:* http://localhost:*).
 */
import type { Config, WebSettings } from './Config.js';

/** The card agent's default port (`tessera card-agent --port`, docs/cards.md). */
export const DEFAULT_CARD_AGENT_URL = 'http://127.0.0.1:8399';

/** Problems in the `web` section, each naming the setting. */
export function webSettingsProblems(w: WebSettings): string[] {
  const p: string[] = [];
  if (typeof w !== 'object' || w === null || Array.isArray(w)) return ['web: an object'];
  if (w.cardAgentUrl !== undefined && cardAgentOrigin(w.cardAgentUrl) === null) {
    p.push(
      'web.cardAgentUrl: an http://127.0.0.1:PORT or http://localhost:PORT ' +
        'address (the card agent listens on this computer only)',
    );
  }
  if (w.templateOrder !== undefined) {
    const names = w.templateOrder;
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || !n.trim()))
      p.push('web.templateOrder: a list of template names');
    else if (new Set(names.map((n) => n.toLowerCase())).size !== names.length)
      p.push('web.templateOrder: a template is named twice');
  }
  return p;
}

/** The agent address as an origin (http://127.0.0.1:8399), or null when it is not a loopback HTTP address. */
export function cardAgentOrigin(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return null;
  }
  if (
    u.protocol !== 'http:' ||
    !['127.0.0.1', 'localhost'].includes(u.hostname) ||
    u.username ||
    u.password ||
    u.search ||
    u.hash ||
    (u.pathname !== '/' && u.pathname !== '')
  )
    return null;
  return u.origin;
}

/** The card agent address the pages offer by default. */
export function cardAgentUrl(c: Config): string {
  return (c.web?.cardAgentUrl !== undefined && cardAgentOrigin(c.web.cardAgentUrl)) || DEFAULT_CARD_AGENT_URL;
}
