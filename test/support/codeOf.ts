import { TesseraError } from '../../src/errors/TesseraError.js';

/**
 * The registry code of the TesseraError a call throws; the test fails when it returns:
 * `expect(codeOf(() => parseCsr(der))).toBe('REQUEST_NOT_DER')`. Anything other than a
 * TesseraError is thrown on, so a crash never passes for a refusal.
 */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TesseraError) return e.code;
    throw e;
  }
  throw new Error('expected a TesseraError, but the call returned');
}
