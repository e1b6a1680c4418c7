/**
 * Use case: the delegated OCSP responder certificate of a CA (RFC 6960 §4.2.2.2): issued
 * by the CA itself through the normal record-then-sign path (ra/issueServiceCertificate,
 * EKU id-kp-OCSPSigning + id-pkix-ocsp-nocheck), short-lived, and rolled over
 * automatically before it expires.
 *
 * Its private key is kept in the data directory like the CA keys, by keys/serviceKeys.ts
 * (an encrypted PKCS#8 file keys/ocsp-<serial>.key.pem), and used through its Signer.
 * The certificate is the database row. Every node sharing
 * a data directory uses the same responder key; a node with its own data directory
 * issues its own (the database records all of them).
 */
import { readCaCertificate } from '../ca/CaCertificate.js';
import type { OcspSigningIdentity } from '../ca/ocsp/OcspResponder.js';
import { TesseraError } from '../errors/TesseraError.js';
import { OcspKeyFiles } from '../keys/serviceKeys.js';
import type { Signer } from '../keys/Signer.js';
import type { Tessera } from '../Tessera.js';
import { keyIdentifier } from '../x509/publicKey.js';
import type { Actor } from './Actor.js';
import { issueServiceCertificate } from './issueServiceCertificate.js';

export const OCSP_SIGNING_TEMPLATE = 'TesseraOCSPSigning';

export interface OcspSigningOptions {
  /**
   * Validity of a responder certificate (default 14 days; nocheck
   * certificates should be short-lived, RFC 6960 §4.2.2.2.1).
   */
  readonly validityDays?: number;
  /** Roll over when less than this fraction of the validity is left (default 0.5). */
  readonly renewFraction?: number;
}

const SYSTEM: Actor = { kind: 'local', name: 'ocsp-rollover', source: 'system' };

export class OcspSigningKeys {
  readonly #current = new Map<string, OcspSigningIdentity>();
  readonly #inflight = new Map<string, Promise<OcspSigningIdentity>>();
  readonly #validityDays: number;
  readonly #renewFraction: number;
  readonly #keys: OcspKeyFiles;

  constructor(
    private readonly t: Tessera,
    o: OcspSigningOptions = {},
  ) {
    this.#validityDays = o.validityDays ?? 14;
    this.#renewFraction = o.renewFraction ?? 0.5;
    this.#keys = new OcspKeyFiles(t.paths);
  }

  /**
   * The identity to sign with now. Loads the newest usable certificate whose key is in
   * this data directory, or issues one; starts a rollover in the background when the
   * current one is past its renewal point, and waits for one only when it has expired.
   */
  async current(caId: string): Promise<OcspSigningIdentity> {
    const now = this.t.now().getTime();
    const cur = this.#current.get(caId);
    if (cur && cur.notAfter.getTime() > now + 60_000) {
      if (now >= this.#renewAt(cur)) void this.#single(caId, () => this.#rollover(caId)).catch(() => {});
      return cur;
    }
    return this.#single(caId, async () => (await this.#load(caId)) ?? this.#rollover(caId));
  }

  /** Issue a new responder certificate now (used by the scheduled check and `tessera crl` tooling). */
  async rollover(caId: string): Promise<OcspSigningIdentity> {
    return this.#single(caId, () => this.#rollover(caId));
  }

  #renewAt(id: OcspSigningIdentity): number {
    const nb = id.notBefore.getTime();
    const na = id.notAfter.getTime();
    return na - (na - nb) * this.#renewFraction;
  }

  #single(caId: string, fn: () => Promise<OcspSigningIdentity>): Promise<OcspSigningIdentity> {
    let p = this.#inflight.get(caId);
    if (!p) {
      p = fn().finally(() => this.#inflight.delete(caId));
      this.#inflight.set(caId, p);
    }
    return p;
  }

  async #load(caId: string): Promise<OcspSigningIdentity | undefined> {
    const now = this.t.now().getTime();
    const load = await this.#keys.loader();
    for (const c of await this.t.store.crls.serviceCertificates(caId, OCSP_SIGNING_TEMPLATE)) {
      // Only a certificate with time left before its renewal point is worth loading.
      if (c.notAfter.getTime() <= now + 60_000 || c.notBefore.getTime() > now) continue;
      const signer = await load(c.serial);
      if (!signer) continue; // issued by another node with its own data directory
      const id = identity(c.der, signer);
      if (!id) continue;
      if (now >= this.#renewAt(id)) continue;
      this.#current.set(caId, id);
      return id;
    }
    return undefined;
  }

  async #rollover(caId: string): Promise<OcspSigningIdentity> {
    if (caId !== this.t.config.issuingCa)
      throw new TesseraError('OCSP_SIGNER_UNAVAILABLE', `CA ${caId} is not the online issuing CA`);
    const ca = this.t.caRecord(caId);
    const cn = `${ca.name} OCSP Responder`;
    const issued = await issueServiceCertificate(
      this.t,
      SYSTEM,
      'ocsp-signing',
      { commonName: cn },
      this.#validityDays,
    );
    const signer = await this.#keys.save(issued.key, issued.serial);
    const id = identity(issued.der, signer);
    if (!id) throw new TesseraError('OCSP_SIGNER_UNAVAILABLE', 'the new responder key does not match its certificate');
    this.#current.set(caId, id);
    await this.#removeExpiredKeys().catch(() => {});
    return id;
  }

  /** Key files of responder certificates that have expired are deleted. */
  async #removeExpiredKeys(): Promise<void> {
    const now = this.t.now().getTime();
    const live = new Set<string>();
    for (const caId of this.t.cas.map((c) => c.id)) {
      for (const c of await this.t.store.crls.serviceCertificates(caId, OCSP_SIGNING_TEMPLATE))
        if (c.notAfter.getTime() > now) live.add(c.serial);
    }
    await this.#keys.removeAllBut(live);
  }
}

function identity(der: Buffer, signer: Signer): OcspSigningIdentity | undefined {
  const cert = readCaCertificate(der);
  if (!cert.spki.equals(signer.publicKey)) return undefined;
  return {
    certificate: der,
    keyHash: keyIdentifier(cert.spki),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    algorithm: signer.algorithm,
    sign: (d) => signer.sign(d),
  };
}
