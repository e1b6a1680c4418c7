/**
 * Where an error code meets an HTTP status (only entry/ does this: docs/development.md
 * "Rules the code keeps" 2), for the CA's Fastify scopes. REST errors are RFC 9457 problem
 * details carrying the stable code; the status and the document come from
 * problemDocument.ts, which reads the status of each code from src/errors/registry.ts.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { asTesseraError, type TesseraError } from '../../errors/TesseraError.js';
import { retryAfterOf } from './auth/RateLimitedError.js';
import { fromFastifyError, problemOf, statusOf, type ProblemOptions } from './problemDocument.js';

export { problemOf, statusOf, type Problem, type ProblemOptions } from './problemDocument.js';

/**
 * Anything a handler threw as a registry error: Fastify's request errors, a
 * full disk, the rest INTERNAL (the store throws registry errors itself).
 */
export function toTesseraError(e: unknown): TesseraError {
  return fromFastifyError(e) ?? asTesseraError(e);
}

/** Answer with the problem document, and the challenge or Retry-After header its code calls for. */
export function sendProblem(reply: FastifyReply, err: TesseraError, o: ProblemOptions = {}): FastifyReply {
  const p = problemOf(err, o);
  if (err.code === 'AUTH_REQUIRED' || err.code === 'AUTH_FAILED')
    reply.header('www-authenticate', 'Basic realm="Tessera", charset="UTF-8"');
  if (err.code === 'RATE_LIMITED') reply.header('retry-after', String(retryAfterOf(err)));
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** The error handler of a scope: log 5xx with detail, answer problem+json. */
export function problemErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = toTesseraError(error);
  if (statusOf(err.code) >= 500)
    request.log.error({ code: err.code, detail: err.detail, err: error }, 'request failed');
  else request.log.info({ code: err.code, detail: err.detail }, 'request refused');
  return sendProblem(reply, err);
}
