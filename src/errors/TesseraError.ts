import { errorRegistry, type ErrorCode } from './registry.js';

/**
 * The one exception type the domain throws. `message` is always the registry's
 * public text (safe to show anyone); `detail` is for logs and the audit trail and
 * may name internal things, but never a secret.
 */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(errorRegistry[code].message, options);
    this.name = 'TesseraError';
    this.code = code;
    this.detail = detail;
  }

  get spec() {
    return errorRegistry[this.code];
  }

  /** Public message plus detail, for CLI output and logs (never contains secrets). */
  describe(): string {
    return this.detail ? `${this.message} (${this.detail})` : this.message;
  }
}

export function isTesseraError(e: unknown): e is TesseraError {
  return e instanceof TesseraError;
}

/** Wrap anything thrown into a TesseraError, keeping a TesseraError unchanged. */
export function asTesseraError(e: unknown, fallback: ErrorCode = 'INTERNAL'): TesseraError {
  if (e instanceof TesseraError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  // A full disk met outside the store (a key, certificate or CRL file being written) is
  // as precise a failure as inside it: POSIX ENOSPC, or EDQUOT for a quota.
  const sys = (e as { code?: unknown } | null)?.code;
  if (sys === 'ENOSPC' || sys === 'EDQUOT') return new TesseraError('STORAGE_FULL', detail, { cause: e });
  return new TesseraError(fallback, detail, { cause: e });
}
