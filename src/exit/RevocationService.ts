/**
 * What `tessera serve` runs for revocation, started and stopped with the server:
 *
 * - CRL schedule: the issuing CA's full CRL is re-published `overlapHours` before its
 *   nextUpdate, its delta CRL half-way through the delta validity (or sooner, see below),
 *   and a delta always follows a new full CRL so the served delta names the served base.
 * - After revocations: an exit module hears 'revoked' / 'unrevoked'. A burst is
 *   coalesced — one publication `coalesceMs` after the last event (at most `maxDelayMs`
 *   after the first) — which publishes a delta CRL, and a full CRL too unless one was
 *   published less than `minFullIntervalMs` ago (the schedule tick catches up then).
 *   Revocations made elsewhere (the CLI, another node) are noticed by the tick through
 *   revocation_version.
 * - Every decision is re-checked under the publisher lock (ra/publishCrl.ts publishCrlIf),
 *   so several nodes running this service publish each CRL once.
 * - OCSP: the responder is told to re-read revocations at once, its cache is maintained
 *   (answers in use re-signed ahead of expiry) and the delegated signing certificate is
 *   rolled over before it expires.
 * - The offline root's CRL cannot be signed here (its key is not loaded); a warning is
 *   logged from 30 days before its nextUpdate (`tessera crl publish --ca root`).
 *
 * This file is the timing: when to run what. What runs — which CRL is due, the OCSP
 * responder, the offline CA check — comes from ra/revocationJobs.ts, which also wires the
 * service (`revocationService(t, options)`).
 */
import type { ExitEvent, ExitModule } from './ExitModule.js';

export interface ServiceLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the service runs (ra/revocationJobs.ts). */
export interface RevocationJobs {
  /** Publish the issuing CA's full and delta CRLs that are due; logs, and never throws. */
  publishDue(): Promise<void>;
  /** A certificate was issued: OCSP forgets what it cached for the serial. */
  issued(serial: string): void;
  /** Revocations changed: OCSP re-reads them. */
  revocationsChanged(): Promise<void>;
  /** Load or issue the OCSP signing certificate. */
  ocspSigner(): Promise<void>;
  /** OCSP upkeep: cached answers re-signed ahead of expiry, the signing certificate rolled over. */
  maintainOcsp(): Promise<void>;
  /** Warn about offline CAs whose CRL expires soon. */
  checkOfflineCas(): Promise<void>;
}

export interface RevocationServiceOptions {
  /** Quiet time after the last revocation before publishing (default 1 s). */
  readonly coalesceMs?: number;
  /** Longest wait after the first revocation of a burst (default 5 s). */
  readonly maxDelayMs?: number;
  /** Schedule check period (default 60 s). */
  readonly tickMs?: number;
  readonly log?: ServiceLog;
}

const NO_LOG: ServiceLog = { info: () => {}, warn: () => {}, error: () => {} };

export class RevocationService {
  readonly #exits: { register(m: ExitModule): void };
  readonly #jobs: RevocationJobs;
  readonly #coalesceMs: number;
  readonly #maxDelayMs: number;
  readonly #tickMs: number;
  readonly #log: ServiceLog;
  #started = false;
  #stopped = false;
  #tickTimer: NodeJS.Timeout | undefined;
  #burstTimer: NodeJS.Timeout | undefined;
  #burstStarted = 0;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(exits: { register(m: ExitModule): void }, jobs: RevocationJobs, o: RevocationServiceOptions = {}) {
    this.#exits = exits;
    this.#jobs = jobs;
    this.#coalesceMs = o.coalesceMs ?? 1000;
    this.#maxDelayMs = o.maxDelayMs ?? 5000;
    this.#tickMs = o.tickMs ?? 60_000;
    this.#log = o.log ?? NO_LOG;
  }

  /**
   * Register the exit module, publish whatever is due (the first CRLs of a
   * new CA), load or issue the OCSP signing certificate, start the schedule.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#exits.register({ name: 'revocation', notify: (e) => this.#onEvent(e) });
    await this.runDue();
    await this.#jobs.ocspSigner();
    this.#tickTimer = setInterval(() => void this.#tick(), this.#tickMs);
    this.#tickTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#tickTimer);
    clearTimeout(this.#burstTimer);
    await this.#running?.catch(() => {});
  }

  #onEvent(e: ExitEvent): void {
    if (this.#stopped) return;
    if (e.kind === 'issued') this.#jobs.issued(e.serial);
    if (e.kind !== 'revoked' && e.kind !== 'unrevoked') return;
    // OCSP first: the next request must already see this revocation.
    void this.#jobs.revocationsChanged().catch(() => {});
    const now = Date.now();
    if (!this.#burstTimer) this.#burstStarted = now;
    clearTimeout(this.#burstTimer);
    const wait = Math.max(0, Math.min(this.#coalesceMs, this.#burstStarted + this.#maxDelayMs - now));
    this.#burstTimer = setTimeout(() => {
      this.#burstTimer = undefined;
      void this.runDue().catch(() => {});
    }, wait);
    this.#burstTimer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    await this.runDue().catch(() => {});
    try {
      await this.#jobs.maintainOcsp();
    } catch (e) {
      this.#log.warn({ err: (e as Error).message }, 'OCSP maintenance failed; retrying at the next tick');
    }
    await this.#jobs.checkOfflineCas().catch(() => {});
  }

  /**
   * Publish the full and the delta CRL of the issuing CA if they are due. One run at a
   * time; a request during a run causes exactly one more run after it.
   */
  runDue(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    const run = async () => {
      do {
        this.#again = false;
        await this.#jobs.publishDue();
      } while (this.#again && !this.#stopped);
    };
    this.#running = run().finally(() => (this.#running = undefined));
    return this.#running;
  }
}
