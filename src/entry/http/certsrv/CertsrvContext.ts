/**
 * What every certsrv route shares: the instance, authentication, and rendering of pages
 * in the site's frame with the CSP nonce and anti-forgery token of the request.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rolesOf } from '../../../ra/Actor.js';
import type { Tessera } from '../../../Tessera.js';
import type { Authenticator, Principal } from '../auth/Authenticator.js';
import type { Metrics } from '../metrics.js';
import { layout, type Page, type PageContext } from './Layout.js';

export interface CertsrvContext {
  readonly tessera: Tessera;
  readonly auth: Authenticator;
  readonly metrics?: Metrics;
  /** The "Test my smart card" page on the sign-in listener, when it runs. */
  readonly signinUrl?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    cspNonce?: string;
  }
}

/** A nonce per response for the one inline script block certsrv parsers look for. */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    // The card agent listens on loopback (docs/cards.md); everything else is this site.
    "connect-src 'self' http://127.0.0.1:* http://localhost:*",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export function csrfOf(ctx: CertsrvContext, p: Principal | undefined): string | null {
  return p?.session ? ctx.auth.sessions.csrf(p.session) : p ? 'basic' : null;
}

export function pageContext(ctx: CertsrvContext, req: FastifyRequest): PageContext {
  const t = ctx.tessera;
  const p = req.principal;
  const issuing = t.caCertificate(t.config.issuingCa);
  const cn = /(?:^|,)CN=([^,]+)/.exec(issuing.subject)?.[1] ?? issuing.subject;
  return {
    caName: cn,
    organization: t.config.organization,
    user: p ? { username: p.actor.user.username, displayName: p.actor.user.displayName } : null,
    roles: p ? rolesOf(p.actor.user, t.config.roles) : [],
    csrf: csrfOf(ctx, p),
    nonce: req.cspNonce ?? newNonce(),
  };
}

/** Render a page. certsrv answers 200 for every disposition, errors included (§1.3). */
export function sendPage(
  ctx: CertsrvContext,
  req: FastifyRequest,
  reply: FastifyReply,
  page: Page,
  status = 200,
): FastifyReply {
  const body = layout(pageContext(ctx, req), page);
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}
