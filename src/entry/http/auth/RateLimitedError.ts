import { TesseraError } from '../../../errors/TesseraError.js';

/**
 * RATE_LIMITED with the number of seconds to wait, which entry/ sends as Retry-After
 * (RFC 9110 §10.2.3; RFC 6585 §4: a 429 MAY say how long to wait).
 */
export class RateLimitedError extends TesseraError {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', detail);
  }
}

/** Seconds for Retry-After: the error's own, or a minute for any other RATE_LIMITED. */
export function retryAfterOf(err: unknown): number {
  return err instanceof RateLimitedError ? Math.max(1, Math.ceil(err.retryAfterSeconds)) : 60;
}
