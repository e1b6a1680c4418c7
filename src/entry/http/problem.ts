/**
 * Where an error code meets an HTTP status (ARCHITECTURE.md: only entry/ does this).
 * REST errors are RFC 9457 problem details carrying the stable code. 4xx details are the
 * requester's own business and are shown; 5xx details stay in the log.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorRegistry, hresultText, type ErrorCode } from '../../errors/registry.js';
import { asTesseraError, TesseraError } from '../../errors/TesseraError.js';
import { classifyStorageError } from '../../store/database.js';
import { retryAfterOf } from './auth/RateLimitedError.js';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly hresult: string;
  readonly requestId?: number;
  readonly disposition?: string;
}

export function toTesseraError(e: unknown): TesseraError {
  const fastifyErr = e as { statusCode?: number; code?: string; validation?: unknown; message?: string };
  if (!(e instanceof TesseraError) && fastifyErr?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new TesseraError('REQUEST_TOO_LARGE', fastifyErr.message);
  if (!(e instanceof TesseraError) && (fastifyErr?.validation || fastifyErr?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fastifyErr?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (fastifyErr?.statusCode === 400 && fastifyErr?.code?.startsWith('FST_')))) {
    return new TesseraError('INPUT_INVALID', fastifyErr.message);
  }
  if (!(e instanceof TesseraError) && fastifyErr?.statusCode === 415) return new TesseraError('INPUT_INVALID', fastifyErr.message);
  return asTesseraError(classifyStorageError(e));
}

export function problemOf(err: TesseraError, extra: { requestId?: number; disposition?: string } = {}): Problem {
  const spec = errorRegistry[err.code];
  return {
    type: `urn:tessera:error:${err.code}`,
    title: err.message,
    status: spec.status,
    detail: spec.status < 500 && err.detail ? err.detail : err.message,
    code: err.code,
    hresult: hresultText(err.code),
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, err: TesseraError, extra: { requestId?: number; disposition?: string } = {}): FastifyReply {
  const p = problemOf(err, extra);
  if (err.code === 'AUTH_REQUIRED' || err.code === 'AUTH_FAILED') reply.header('www-authenticate', 'Basic realm="Tessera", charset="UTF-8"');
  if (err.code === 'RATE_LIMITED') reply.header('retry-after', String(retryAfterOf(err)));
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** The error handler of a scope: log 5xx with detail, answer problem+json. */
export function problemErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = toTesseraError(error);
  if (errorRegistry[err.code].status >= 500) request.log.error({ code: err.code, detail: err.detail, err: error }, 'request failed');
  else request.log.info({ code: err.code, detail: err.detail }, 'request refused');
  return sendProblem(reply, err);
}
