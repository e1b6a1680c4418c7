/**
 * Password guessing is slowed, never turned into a lock-out button (docs/authentication.md
 * "Failed sign-ins"):
 *
 *  - Failures are counted per (user, client address). After `freeFailures` of them, each
 *    further attempt of that pair waits: 1 s after the last failure, then 2 s, 4 s, … up
 *    to `maxDelayMs` (OWASP Authentication Cheat Sheet, "Account lockout": exponential
 *    backoff instead of a permanent lock; NIST SP 800-63B §5.2.2 rate limiting). The
 *    same user from another address is not slowed at all, so an attacker failing for
 *    carol cannot keep carol out; a right password from the pair ends its count.
 *  - Failures are also counted per address for every user. After `freeAddressFailures`,
 *    every password attempt from that address waits the same way — password spraying
 *    from one address is slowed, and only that address.
 *  - While it must wait, an attempt is answered RATE_LIMITED (429) with Retry-After,
 *    before the password is looked at: the answer is the same for a right and a wrong
 *    password, so waiting out the delay is the only way on.
 *  - Counts live in the database (store/SigninFailureStore.ts), so N nodes behind a load
 *    balancer do not grant N allowances; a count is forgotten `forgetMs` (address:
 *    `forgetAddressMs`) after its last failure.
 *  - IPv6 clients are counted per /64, the smallest prefix a site is given (RFC 6177), so
 *    one host cannot make itself many addresses.
 *  - Sessions, client certificates and smart card sign-in never pass through here.
 *
 * Within one process, attempts of the same pair run one after another (each then sees
 * the failures before it) and at most `maxConcurrentPerAddress` checks from one address
 * run at once, so a burst of parallel guesses cannot all start before the first failure
 * is counted.
 */
import { isIPv6 } from 'node:net';
import type { Store } from '../../../store/Store.js';
import { RateLimitedError } from './RateLimitedError.js';

export interface SignInThrottlePolicy {
  /** Failures of one user from one address before its attempts wait; 0 turns the throttle off. */
  readonly freeFailures: number;
  /** Failures from one address, all users together, before every attempt from it waits. */
  readonly freeAddressFailures: number;
  /** The first wait; each further failure doubles it. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** A pair's count is forgotten this long after its last failure. */
  readonly forgetMs: number;
  /** An address's count is forgotten this long after its last failure. */
  readonly forgetAddressMs: number;
  /** Password checks from one address in flight at once (within one process). */
  readonly maxConcurrentPerAddress: number;
  /** Attempts of one pair queued behind the one being checked (within one process). */
  readonly maxQueuedPerPair: number;
}

export const DEFAULT_THROTTLE: SignInThrottlePolicy = {
  freeFailures: 5,
  freeAddressFailures: 50,
  firstDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  forgetMs: 24 * 3600_000,
  forgetAddressMs: 3600_000,
  maxConcurrentPerAddress: 32,
  maxQueuedPerPair: 64,
};

/** How long after the last failure the next attempt must wait, after `failures` of them. */
export function backoffMs(
  failures: number,
  free: number,
  p: Pick<SignInThrottlePolicy, 'firstDelayMs' | 'maxDelayMs'>,
): number {
  if (failures < free) return 0;
  return Math.min(p.maxDelayMs, p.firstDelayMs * 2 ** Math.min(failures - free, 40));
}

/** The address failures are counted under: IPv4 as it is (IPv4-mapped IPv6 unwrapped), IPv6 by its /64. */
export function addressKey(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped) return mapped[1];
  if (!isIPv6(bare)) return bare;
  const [head, tail = ''] = bare.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = bare.includes('::') ? (tail ? tail.split(':') : []) : [];
  // An embedded IPv4 tail (::a.b.c.d) counts as two groups; only the first four matter.
  const groups = [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class SignInThrottle {
  readonly policy: SignInThrottlePolicy;
  readonly #queues = new Map<string, { tail: Promise<void>; waiting: number }>();
  readonly #inFlight = new Map<string, number>();
  #lastPurge = 0;

  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
    policy: Partial<SignInThrottlePolicy> = {},
  ) {
    this.policy = { ...DEFAULT_THROTTLE, ...policy };
  }

  get enabled(): boolean {
    return this.policy.freeFailures > 0;
  }

  /**
   * Run `check` (a password check that records its own failure with `recordFailure`)
   * unless the pair or the address must wait; throws RateLimitedError with the wait.
   */
  async attempt<T>(usernameKey: string, source: string, check: () => Promise<T>): Promise<T> {
    if (!this.enabled) return check();
    const address = addressKey(source);
    return this.#serial(`${usernameKey}\0${address}`, async () => {
      // Counted while running, not while queued: a script's burst of requests with the
      // same credentials waits in its pair's queue and then finds them remembered.
      const inFlight = this.#inFlight.get(address) ?? 0;
      if (inFlight >= this.policy.maxConcurrentPerAddress)
        throw new RateLimitedError(`${inFlight} password checks from ${address} already running`, 1);
      this.#inFlight.set(address, inFlight + 1);
      try {
        const counts = await this.#refuseWhileWaiting(usernameKey, address);
        const result = await check();
        if (counts.pair) await this.store.signinFailures.clear(usernameKey, address);
        return result;
      } finally {
        const n = (this.#inFlight.get(address) ?? 1) - 1;
        if (n <= 0) this.#inFlight.delete(address);
        else this.#inFlight.set(address, n);
      }
    });
  }

  /**
   * Throw RateLimitedError while the pair or the address must wait, without running a
   * check. For credentials that were checked right a moment ago (Authenticator's
   * remembered checks): answering them during a wait would tell a guesser which guess
   * is right at no cost, however slow its wrong guesses are made.
   */
  async refuseWhileWaiting(usernameKey: string, source: string): Promise<void> {
    if (this.enabled) await this.#refuseWhileWaiting(usernameKey, addressKey(source));
  }

  async #refuseWhileWaiting(
    usernameKey: string,
    address: string,
  ): Promise<{
    pair?: { failures: number; lastFailureAt: Date };
    address?: { failures: number; lastFailureAt: Date };
  }> {
    const counts = await this.store.signinFailures.get(usernameKey, address);
    const t = this.now().getTime();
    const waits = [
      this.#wait(counts.pair, this.policy.freeFailures, this.policy.forgetMs, t),
      this.#wait(counts.address, this.policy.freeAddressFailures, this.policy.forgetAddressMs, t),
    ];
    const wait = Math.max(...waits);
    if (wait > 0) {
      const who =
        waits[0] >= waits[1]
          ? `${usernameKey} from ${address} (${counts.pair!.failures} failed sign-ins)`
          : `anyone from ${address} (${counts.address!.failures} failed sign-ins)`;
      throw new RateLimitedError(
        `too many failed sign-ins for ${who}; next attempt in ${Math.ceil(wait / 1000)} s`,
        wait / 1000,
      );
    }
    return counts;
  }

  /** Count one failure, inside the caller's transaction (with its audit record); returns the counts. */
  async recordFailure(
    tx: Store,
    usernameKey: string,
    source: string,
  ): Promise<{ pair: number; address: number } | undefined> {
    if (!this.enabled) return undefined;
    const now = this.now();
    const t = now.getTime();
    if (t - this.#lastPurge > 10 * 60_000) {
      this.#lastPurge = t;
      await tx.signinFailures.purge(new Date(t - Math.max(this.policy.forgetMs, this.policy.forgetAddressMs)));
    }
    return tx.signinFailures.record(usernameKey, addressKey(source), now, {
      pair: new Date(t - this.policy.forgetMs),
      address: new Date(t - this.policy.forgetAddressMs),
    });
  }

  #wait(c: { failures: number; lastFailureAt: Date } | undefined, free: number, forgetMs: number, t: number): number {
    if (!c || c.lastFailureAt.getTime() < t - forgetMs) return 0;
    const delay = backoffMs(c.failures, free, this.policy);
    return delay > 0 ? Math.max(0, c.lastFailureAt.getTime() + delay - t) : 0;
  }

  /** One attempt of a pair at a time; a long queue is refused rather than held. */
  async #serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const q = this.#queues.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
    if (q.waiting >= this.policy.maxQueuedPerPair)
      throw new RateLimitedError(`${q.waiting} sign-ins for the same user from the same address already waiting`, 1);
    q.waiting++;
    this.#queues.set(key, q);
    const before = q.tail;
    let done!: () => void;
    q.tail = new Promise<void>((r) => (done = r));
    await before;
    try {
      return await fn();
    } finally {
      q.waiting--;
      if (q.waiting === 0) this.#queues.delete(key);
      done();
    }
  }
}
