/**
 * Use case: what the revocation service (exit/RevocationService.ts) runs for the issuing
 * CA — which CRLs are due (re-checked under the publisher lock by publishCrlIf, so several
 * nodes publish each CRL once), the OCSP responder's upkeep, and the warning about an
 * offline CA's CRL — and the service wired with them (`revocationService`).
 *
 * Due: the full CRL `overlapHours` before its nextUpdate, or after revocations unless one
 * was published less than `minFullIntervalMs` ago; the delta half-way through the delta
 * validity, after revocations, and after every new full CRL so the served delta names the
 * served base (RFC 5280 §5.2.4).
 */
import {
  RevocationService,
  type RevocationJobs,
  type RevocationServiceOptions,
  type ServiceLog,
} from '../exit/RevocationService.js';
import type { CrlStore } from '../store/CrlStore.js';
import type { Tessera } from '../Tessera.js';
import { ocspResponderFor, ocspSigningKeysFor, type OcspOptions } from './ocspResponderFor.js';
import { publishCrlIf, type PublishedCrl } from './publishCrl.js';

export interface RevocationJobOptions {
  /** Full CRLs triggered by revocations at most this often (default 60 s). */
  readonly minFullIntervalMs?: number;
  readonly ocsp?: OcspOptions;
  readonly log?: ServiceLog;
}

const NO_LOG: ServiceLog = { info: () => {}, warn: () => {}, error: () => {} };
const ROOT_WARNING_MS = 30 * 86_400_000;

export function revocationJobs(t: Tessera, o: RevocationJobOptions = {}): RevocationJobs {
  const caId = t.config.issuingCa;
  const minFullIntervalMs = o.minFullIntervalMs ?? 60_000;
  const log = o.log ?? NO_LOG;
  // Create the shared responder with these options before any plugin does.
  ocspResponderFor(t, o.ocsp);
  ocspSigningKeysFor(t, o.ocsp);

  const publishDue = async (): Promise<void> => {
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
        return latest.revocationVersion < version && now - latest.thisUpdate.getTime() >= minFullIntervalMs;
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
      for (const c of [out.full, out.delta]) {
        if (c) log.info({ ca: caId, kind: c.kind, number: c.number, entries: c.entries }, 'CRL published');
      }
    } catch (e) {
      const err = { ca: caId, err: (e as Error).message, code: (e as { code?: string }).code };
      log.error(err, 'CRL publication failed; retrying at the next tick');
    }
  };

  return {
    publishDue,
    issued: (serial) => ocspResponderFor(t).forget(serial),
    revocationsChanged: () => ocspResponderFor(t).refresh(),
    ocspSigner: async () => void (await ocspSigningKeysFor(t).current(caId)),
    maintainOcsp: async () => {
      await ocspResponderFor(t).maintain();
      await ocspSigningKeysFor(t).current(caId);
    },
    // The offline root's CRL cannot be signed here (its key is not loaded): a warning from
    // 30 days before its nextUpdate (`tessera crl publish --ca root`).
    checkOfflineCas: async () => {
      const now = t.now().getTime();
      for (const ca of t.cas) {
        if (ca.id === caId || !ca.active) continue;
        const latest = await t.store.crls.latest(ca.id, 'full');
        if (!latest || latest.nextUpdate.getTime() - now < ROOT_WARNING_MS) {
          log.warn(
            { ca: ca.id, nextUpdate: latest?.nextUpdate.toISOString() ?? null },
            `the CRL of CA "${ca.id}" ${latest ? 'expires soon' : 'was never published'}; ` +
              `run \`tessera crl publish --ca ${ca.id}\` where its key is`,
          );
        }
      }
    },
  };
}

/** The revocation service of `t`, with its jobs (what `tessera serve` starts). */
export function revocationService(t: Tessera, o: RevocationServiceOptions & RevocationJobOptions = {}) {
  return new RevocationService(t.exits, revocationJobs(t, o), o);
}
