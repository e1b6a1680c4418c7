import type { FastifyRequest } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { Tessera } from '../../../Tessera.js';
import type { Authenticator, Principal } from '../auth/Authenticator.js';
import type { RateLimiter } from '../auth/RateLimiter.js';
import type { Metrics } from '../metrics.js';

/** What the API routes share: the instance, authentication, limits, metrics. */
export interface ApiContext {
  readonly tessera: Tessera;
  readonly auth: Authenticator;
  readonly enrollByUser: RateLimiter;
  readonly enrollByAddress: RateLimiter;
  readonly metrics?: Metrics;
  /** The issuing CA chain as PEM, issuing first. */
  readonly chainPem: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function requirePrincipal(req: FastifyRequest): Principal {
  if (!req.principal) throw new TesseraError('AUTH_REQUIRED');
  return req.principal;
}

/** Enrollment rate limits, per user and per client address. */
export function checkEnrollRate(ctx: ApiContext, req: FastifyRequest, p: Principal): void {
  if (!ctx.enrollByUser.hit(p.actor.user.username.toLowerCase()) || !ctx.enrollByAddress.hit(req.ip)) {
    throw new TesseraError('RATE_LIMITED', `enrollment rate limit for ${p.actor.user.username} or ${req.ip}`);
  }
}

export function parseId(s: string): number {
  if (!/^\d{1,15}$/.test(s)) throw new TesseraError('REQUEST_NOT_FOUND', s);
  return Number(s);
}

export function parseSerial(s: string): string {
  const hex = s.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{2,40}$/.test(hex)) throw new TesseraError('CERT_NOT_FOUND', s);
  return hex;
}

/** Does the Accept header ask for one of these media types before JSON? */
export function prefers(req: FastifyRequest, ...types: string[]): string | undefined {
  const accept = (req.headers.accept ?? '').toLowerCase();
  for (const part of accept.split(',')) {
    const t = part.split(';')[0].trim();
    if (types.includes(t)) return t;
    if (t === 'application/json') return undefined;
  }
  return undefined;
}

/** Route options for a body that is absent, null or `{ "reason": "…" }` with at most `maxLength` characters. */
export function optionalReasonBody(maxLength: number) {
  return {
    schema: {
      body: {
        type: ['object', 'null'],
        properties: { reason: { type: 'string', maxLength } },
        additionalProperties: false,
      },
    },
  };
}

/** The reason of a body that optionalReasonBody checked. */
export const reasonOf = (req: FastifyRequest): string | undefined => ((req.body ?? {}) as { reason?: string }).reason;
