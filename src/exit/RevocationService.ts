/**
 * What `tessera serve` runs for revocation (issue #7), started and stopped with the server:
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
 * - Every decision is re-checked under the publisher lock (publishCrlIf), so several
 *   nodes running this service publish each CRL once.
 * - OCSP: the responder is told to re-read revocations at once, its cache is maintained
 *   (answers in use re-signed ahead of expiry) and the delegated signing certificate is
 *   rolled over before it expires.
 * - The offline root's CRL cannot be signed here (its key is not loaded); a warning is
 *   logged from 30 days before its nextUpdate (`tessera crl publish --ca root`).
 */
import type { OcspOptions } from '../ra/ocspResponderFor.js';
import { ocspResponderFor, ocspSigningKeysFor } from '../ra/ocspResponderFor.js';
import { publishCrlIf, type PublishedCrl } from '../ra/publishCrl.js';
import type { CrlStore } from '../store/CrlStore.js';
import type { Tessera } from '../Tessera.js';
import type { ExitEvent } from './ExitModule.js';

export interface ServiceLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RevocationServiceOptions {
  /** Quiet time after the last revocation before publishing (default 1 s). */
  readonly coalesceMs?: number;
  /** Longest wait after the first revocation of a burst (default 5 s). */
  readonly maxDelayMs?: number;
  /** Full CRLs triggered by revocations at most this often (default 60 s). */
  readonly minFullIntervalMs?: number;
  /** Schedule check period (default 60 s). */
  readonly tickMs?: number;
  readonly ocsp?: OcspOptions;
  readonly log?: ServiceLog;
}

const NO_LOG: ServiceLog = { info: () => {}, warn: () => {}, error: () => {} };
const ROOT_WARNING_MS = 30 * 86_400_000;

export class RevocationService {
  readonly #t: Tessera;
  readonly #caId: string;
  readonly #coalesceMs: number;
  readonly #maxDelayMs: number;
  readonly #minFullIntervalMs: number;
  readonly #tickMs: number;
  readonly #log: ServiceLog;
  #started = false;
  #stopped = false;
  #tickTimer: NodeJS.Timeout | undefined;
  #burstTimer: NodeJS.Timeout | undefined;
  #burstStarted = 0;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(t: Tessera, o: RevocationServiceOptions = {}) {
    this.#t = t;
    this.#caId = t.config.issuingCa;
    this.#coalesceMs = o.coalesceMs ?? 1000;
    this.#maxDelayMs = o.maxDelayMs ?? 5000;
    this.#minFullIntervalMs = o.minFullIntervalMs ?? 60_000;
    this.#tickMs = o.tickMs ?? 60_000;
    this.#log = o.log ?? NO_LOG;
    // Create the shared responder with this service's options before any plugin does.
    ocspResponderFor(t, o.ocsp);
    ocspSigningKeysFor(t, o.ocsp);
  }

  /** Register the exit module, publish whatever is due (the first CRLs of a new CA), load or issue the OCSP signing certificate, start the schedule. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#t.exits.register({ name: 'revocation', notify: (e) => this.#onEvent(e) });
    await this.runDue();
    await ocspSigningKeysFor(this.#t).current(this.#caId);
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
    const responder = ocspResponderFor(this.#t);
    if (e.kind === 'issued') responder.forget(e.serial);
    if (e.kind !== 'revoked' && e.kind !== 'unrevoked') return;
    // OCSP first: the next request must already see this revocation.
    void responder.refresh().catch(() => {});
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
      await ocspResponderFor(this.#t).maintain();
      await ocspSigningKeysFor(this.#t).current(this.#caId);
    } catch (e) {
      this.#log.warn({ err: (e as Error).message }, 'OCSP maintenance failed; retrying at the next tick');
    }
    await this.#checkOfflineCas().catch(() => {});
  }

  /**
   * Publish the full and the delta CRL of the issuing CA if they are due. One run at a
   * time; a request during a run causes exactly one more run after it.
   */
  runDue(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = async () => {
      do {
        this.#again = false;
        await this.#publishDue();
      } while (this.#again && !this.#stopped);
    };
    this.#running = run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #publishDue(): Promise<{ full?: PublishedCrl; delta?: PublishedCrl }> {
    const t = this.#t;
    const caId = this.#caId;
    const cfg = t.config.crl;
    const overlapMs = cfg.overlapHours * 3600_000;
    const deltaOverlapMs = Math.min(overlapMs, (cfg.deltaValidityHours * 3600_000) / 2);
    const out: { full?: PublishedCrl; delta?: PublishedCrl } = {};
    try {
      out.full = await publishCrlIf(t, { caId, kind: 'full' }, async (crls: CrlStore, version: number) => {
        const now = t.now().getTime();
        const latest = await crls.latest(caId, 'full');
        if (!latest) return true;
        if (now >= latest.nextUpdate.getTime() - overlapMs) return true;
        return latest.revocationVersion < version && now - latest.thisUpdate.getTime() >= this.#minFullIntervalMs;
      });
      out.delta = await publishCrlIf(t, { caId, kind: 'delta' }, async (crls: CrlStore, version: number) => {
        const now = t.now().getTime();
        const base = await crls.latest(caId, 'full');
        if (!base) return false;
        const latest = await crls.latest(caId, 'delta');
        if (!latest || latest.baseNumber !== base.number) return true;
        if (now >= latest.nextUpdate.getTime() - deltaOverlapMs) return true;
        return latest.revocationVersion < version;
      });
      for (const c of [out.full, out.delta]) if (c) this.#log.info({ ca: caId, kind: c.kind, number: c.number, entries: c.entries }, 'CRL published');
    } catch (e) {
      this.#log.error({ ca: caId, err: (e as Error).message, code: (e as { code?: string }).code }, 'CRL publication failed; retrying at the next tick');
    }
    return out;
  }

  async #checkOfflineCas(): Promise<void> {
    const now = this.#t.now().getTime();
    for (const ca of this.#t.cas) {
      if (ca.id === this.#caId || !ca.active) continue;
      const latest = await this.#t.store.crls.latest(ca.id, 'full');
      if (!latest || latest.nextUpdate.getTime() - now < ROOT_WARNING_MS) {
        this.#log.warn(
          { ca: ca.id, nextUpdate: latest?.nextUpdate.toISOString() ?? null },
          `the CRL of CA "${ca.id}" ${latest ? 'expires soon' : 'was never published'}; run \`tessera crl publish --ca ${ca.id}\` where its key is`,
        );
      }
    }
  }
}
