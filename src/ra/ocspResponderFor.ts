/**
 * The one OCSP responder of a Tessera instance, shared by the HTTP plugin(s) and the
 * RevocationService (one cache, one delegated signing key per process). It answers for
 * the online issuing CA; certificates of the offline root are "unauthorized" here (the
 * root publishes a CRL instead, and its certificates carry no OCSP URL).
 */
import { OcspResponder, type OcspResponderOptions } from '../ca/ocsp/OcspResponder.js';
import type { Tessera } from '../Tessera.js';
import { OcspSigningKeys, type OcspSigningOptions } from './ocspSigningKeys.js';

export type OcspOptions = OcspResponderOptions & OcspSigningOptions;

interface Runtime {
  readonly responder: OcspResponder;
  readonly keys: OcspSigningKeys;
}

const runtimes = new WeakMap<Tessera, Runtime>();

function runtime(t: Tessera, o: OcspOptions = {}): Runtime {
  let r = runtimes.get(t);
  if (!r) {
    const keys = new OcspSigningKeys(t, o);
    const caId = t.config.issuingCa;
    const crls = t.store.crls;
    const responder = new OcspResponder(
      {
        cas: [{ id: caId, certificate: t.caCertificate(caId) }],
        // The store's errors are registry errors (store/storageErrors.ts), so a database
        // that went away is STORAGE_UNAVAILABLE, answered "tryLater".
        statusOf: (serials) => crls.statusOf(serials),
        revocationVersion: () => crls.revocationVersion(),
        changedSerials: (from, to) => crls.changedSerials(from, to),
        signingIdentity: (id) => keys.current(id),
        now: () => t.now(),
      },
      o,
    );
    r = { responder, keys };
    runtimes.set(t, r);
  }
  return r;
}

/**
 * The responder for `t`, created on first use. Options apply only to that first call
 * (the RevocationService makes it when the server starts).
 */
export function ocspResponderFor(t: Tessera, o?: OcspOptions): OcspResponder {
  return runtime(t, o).responder;
}

export function ocspSigningKeysFor(t: Tessera, o?: OcspOptions): OcspSigningKeys {
  return runtime(t, o).keys;
}

/** Drop the responder of `t` (when it closes). */
export function forgetOcspResponder(t: Tessera): void {
  runtimes.get(t)?.responder.close();
  runtimes.delete(t);
}
