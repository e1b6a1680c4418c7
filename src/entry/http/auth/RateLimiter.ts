/**
 * Fixed-window counters in memory: enrollment per user and per address, smart card
 * sign-in attempts per address and per certificate. A node-local limit (several nodes
 * each enforce their own) is what the AD CS/IIS front ends do too. Failed password
 * sign-ins are not counted here but by SignInThrottle.ts: a fixed limit per user would
 * let anyone lock a user out by failing on purpose.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one event for `key`; false when the key is over its limit (0 disables the limit). */
  hit(key: string): boolean {
    if (this.limit <= 0) return true;
    const w = this.#current(key);
    w.count++;
    return w.count <= this.limit;
  }

  #current(key: string): { start: number; count: number } {
    const t = this.now();
    let w = this.#windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      w = { start: t, count: 0 };
      this.#windows.set(key, w);
      if (this.#windows.size > 100_000) this.#sweep(t);
    }
    return w;
  }

  #sweep(t: number): void {
    for (const [k, w] of this.#windows) if (t - w.start >= this.windowMs) this.#windows.delete(k);
  }
}
