/** The error a missed deadline rejects with; `code` lets storage and directory classifiers treat it as a timeout. */
export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
}

/**
 * Settle like `p`, or reject with a DeadlineError after `ms` (calling `onTimeout` first, e.g. to drop a connection).
 */
export function deadline<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void = () => {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new DeadlineError(`${what} did not complete within ${ms} ms`));
    }, ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
