/**
 * Cross-site state changes are refused whatever authenticates them. A browser attaches
 * credentials it holds for this site to a post another site makes — HTTP Basic it cached
 * after a 401 challenge, a client certificate, cookies — so the only safe answer to a
 * cross-site form is no, before any credential is checked or any body is read. The REST
 * API, every certsrv post (the sign-in form included: login CSRF) and the certsrv GETs
 * that submit a request all ask here.
 *
 * How a browser says where a request comes from (OWASP CSRF Prevention Cheat Sheet,
 * "Fetch Metadata headers" and "Verifying origin with standard headers"):
 *  - `Sec-Fetch-Site` (W3C Fetch Metadata), a forbidden header only the browser sets, and
 *    accurate across redirects: `same-origin` and `none` (the user's own navigation) pass,
 *    `same-site` and `cross-site` do not. When it is present it decides alone: a form post
 *    from our own page under `Referrer-Policy: no-referrer` (which buildApp.ts sends) carries
 *    `Origin: null` (Fetch §3.1, "append a request Origin header"), and must still work.
 *  - Without it (older browsers), `Origin`: this site's origin passes; any other, and the
 *    opaque `null` of a sandboxed frame or data: URL, does not.
 *  - Neither header: not a browser (curl, certreq-style scripts), which no other site can
 *    drive; it passes.
 *
 * Refusals are audited (`request.cross_site_refused`, at most AUDITS_PER_MINUTE per client
 * address so a flood cannot grow the audit trail without bound; the log and the error
 * metric see every one) and answered CROSS_SITE_REFUSED.
 */
import type { FastifyRequest } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { Tessera } from '../../../Tessera.js';
import { SESSION_COOKIE } from './Authenticator.js';
import { RateLimiter } from './RateLimiter.js';

/** Methods that change nothing (RFC 9110 §9.2.1 safe methods); everything else is a state change. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

const AUDITS_PER_MINUTE = 30;

/** Why the request is cross-site, or undefined when it is not (or is not from a browser). */
export function crossSiteReason(req: FastifyRequest, siteUrl: string): string | undefined {
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none' ? undefined : `Sec-Fetch-Site: ${site}`;
  const origin = header(req, 'origin');
  if (origin === undefined) return undefined;
  return ownOrigins(req, siteUrl).has(origin.toLowerCase()) ? undefined : `Origin: ${origin}`;
}

/**
 * This site as a browser names it: the configured site URL, and the Host the request was
 * sent to over HTTPS (a TLS-terminating proxy that keeps the Host) or over this
 * listener's own scheme (plain HTTP only in tests).
 */
function ownOrigins(req: FastifyRequest, siteUrl: string): Set<string> {
  const origins = new Set<string>();
  try {
    origins.add(new URL(siteUrl).origin.toLowerCase());
  } catch {
    // configProblems refuses an invalid siteUrl at start.
  }
  const host = header(req, 'host');
  if (host) {
    origins.add(`https://${host}`.toLowerCase());
    origins.add(`${req.protocol}://${host}`.toLowerCase());
  }
  return origins;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v.join(',') : v;
  return s === undefined ? undefined : s.trim();
}

/** What credentials rode along (never verified here: the request is refused before that). */
function credentialsOf(req: FastifyRequest): { credentials: string; claimedUser?: string } {
  const auth = header(req, 'authorization');
  if (auth) {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
    const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    return colon > 0
      ? { credentials: 'basic', claimedUser: decoded.slice(0, Math.min(colon, 128)) }
      : { credentials: 'authorization' };
  }
  if ((header(req, 'cookie') ?? '').split(';').some((c) => c.trim().startsWith(`${SESSION_COOKIE}=`)))
    return { credentials: 'session' };
  return { credentials: 'none' };
}

/**
 * A check bound to one Tessera instance (its site URL and audit trail): resolves for a
 * same-origin or non-browser request, throws CROSS_SITE_REFUSED after auditing otherwise.
 * Call it for state-changing requests only.
 */
export function crossSiteGuard(t: Tessera): (req: FastifyRequest) => Promise<void> {
  const audits = new RateLimiter(AUDITS_PER_MINUTE, 60_000);
  return async (req) => {
    const reason = crossSiteReason(req, t.config.siteUrl);
    if (!reason) return;
    const path = req.url.split('?')[0].slice(0, 256);
    const who = credentialsOf(req);
    req.log.warn(
      { code: 'CROSS_SITE_REFUSED', reason, method: req.method, path, source: req.ip, ...who },
      'cross-site request refused',
    );
    if (audits.hit(req.ip)) {
      await t.store
        .transaction((tx) =>
          tx.audit.append({
            actor: 'anonymous',
            action: 'request.cross_site_refused',
            source: req.ip,
            details: { code: 'CROSS_SITE_REFUSED', method: req.method, path, reason: reason.slice(0, 300), ...who },
          }),
        )
        .catch((e) => req.log.error({ err: e }, 'a cross-site refusal could not be audited'));
    }
    throw new TesseraError('CROSS_SITE_REFUSED', `${req.method} ${path}: ${reason}`);
  };
}
