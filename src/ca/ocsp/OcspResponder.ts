/**
 * The OCSP responder (RFC 6960), built so that answering is a lookup and not a signature:
 *
 * - Every answer for one CertID is signed once, cached (keyed by the CertID bytes the
 *   client sent), and re-signed in the background before it is half-way to nextUpdate
 *   for as long as clients keep asking (Let's Encrypt's pre-signed model, without the
 *   staleness: see the next point).
 * - Freshness: before answering, the responder makes sure it has seen every revocation
 *   committed before the request arrived (freshnessMs = 0, the default), or within the
 *   last freshnessMs. It reads revocation_version (migration 004: a counter in commit
 *   order) — one tiny query shared by all requests that arrive while one is in flight —
 *   and drops the cached answers of exactly the serials that changed. A revocation by
 *   this process, another process (the CLI) or another node is answered "revoked" by
 *   the next request.
 * - Requests with a nonce (RFC 8954) or several CertIDs reuse the cached
 *   SingleResponses and sign only the envelope.
 *
 * Errors are OCSPResponseStatus answers (RFC 6960 §4.2.1), never exceptions:
 * malformedRequest for anything that does not decode, unauthorized for a CertID of a CA
 * (or a hash algorithm) this responder does not serve (RFC 5019 §2.2.3), tryLater when
 * the database is unavailable, internalError otherwise.
 */
import { createHash } from 'node:crypto';
import type { CertificateStatusRow } from '../../store/CrlStore.js';
import {
  CERT_ID_HASHES,
  extendedRevokeExtension,
  issuerHashes,
  ocspErrorResponse,
  OcspRequestError,
  parseOcspRequest,
  responderIdByKey,
  responseData,
  singleResponse,
  successfulResponse,
  type CertId,
  type CertStatus,
  type OcspRequest,
  type OcspStatusName,
} from '../../x509/ocsp.js';
import type { CaCertificate } from '../CaCertificate.js';

/** The delegated responder certificate and the key that signs with it. */
export interface OcspSigningIdentity {
  readonly certificate: Buffer;
  /** SHA-1 of the responder's subjectPublicKey bits: ResponderID byKey (RFC 6960 §4.2.1). */
  readonly keyHash: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly algorithm: Buffer;
  sign(data: Uint8Array): Promise<Buffer>;
}

/** Where the responder gets its facts (the store and the key manager in production). */
export interface OcspSource {
  readonly cas: readonly { readonly id: string; readonly certificate: CaCertificate }[];
  statusOf(serials: readonly string[]): Promise<{ version: number; rows: CertificateStatusRow[] }>;
  revocationVersion(): Promise<number>;
  changedSerials(fromVersion: number, toVersion: number): Promise<{ serial: string; caId: string; version: number }[]>;
  signingIdentity(caId: string): Promise<OcspSigningIdentity>;
  now(): Date;
}

export interface OcspResponderOptions {
  /** thisUpdate → nextUpdate of an answer (default 4 hours). */
  readonly validityMs?: number;
  /** How old the responder's view of revocations may be (default 0: none). */
  readonly freshnessMs?: number;
  /**
   * The answer for a serial this CA never issued (RFC 6960 §2.2): "unknown" (default), or
   * "revoked" with reason certificateHold, revocationTime 1970-01-01 and the extended
   * revoke extension (§4.4.8), so a relying party rejects a certificate we have no record of.
   */
  readonly nonIssued?: 'unknown' | 'revoked';
  /** Most answers kept (default 200,000; about 0.5 KB each). */
  readonly maxEntries?: number;
  /** How long an answer for a serial we have no record of is reused (default 60 s). */
  readonly nonIssuedCacheMs?: number;
}

export interface OcspAnswer {
  readonly der: Buffer;
  readonly status: OcspStatusName;
  /** For a successful single-CertID answer without a nonce: HTTP caching facts. */
  readonly cache?: { readonly producedAt: Date; readonly nextUpdate: Date; readonly etag: string };
}

interface Entry {
  readonly key: string;
  readonly caId: string;
  readonly certId: CertId;
  readonly version: number;
  readonly nonIssued: boolean;
  readonly single: Buffer;
  readonly thisUpdate: number;
  readonly nextUpdate: number;
  /** When to sign it again, or (for a serial we have no record of) to forget it. */
  readonly renewAt: number;
  response?: { der: Buffer; producedAt: number; etag: string };
  lastUsed: number;
}

const issuerKey = (hashOid: string, nameHash: Uint8Array, keyHash: Uint8Array) =>
  `${hashOid}|${Buffer.from(nameHash).toString('hex')}|${Buffer.from(keyHash).toString('hex')}`;

const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

export class OcspResponder {
  readonly #source: OcspSource;
  readonly #validityMs: number;
  readonly #freshnessMs: number;
  readonly #nonIssued: 'unknown' | 'revoked';
  readonly #maxEntries: number;
  readonly #nonIssuedCacheMs: number;
  /** issuer hash triple → CA id, for every supported CertID hash algorithm. */
  readonly #issuers = new Map<string, string>();
  readonly #entries = new Map<string, Entry>();
  readonly #bySerial = new Map<string, Set<string>>();
  /**
   * serial → (version of its last change, when seen): guards against
   * caching an answer read before a change that was already processed.
   */
  readonly #recentChanges = new Map<string, { version: number; at: number }>();
  #seenVersion = -1;
  #checkStartedAt = 0;
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;
  readonly #renewQueue = new Set<string>();
  /** Keys being re-signed now (a renewal is never started twice for one answer). */
  readonly #renewingKeys = new Set<string>();
  #renewing = false;
  #closed = false;

  constructor(source: OcspSource, o: OcspResponderOptions = {}) {
    this.#source = source;
    this.#validityMs = o.validityMs ?? 4 * 3600_000;
    this.#freshnessMs = o.freshnessMs ?? 0;
    this.#nonIssued = o.nonIssued ?? 'unknown';
    this.#maxEntries = o.maxEntries ?? 200_000;
    this.#nonIssuedCacheMs = o.nonIssuedCacheMs ?? 60_000;
    for (const ca of source.cas) {
      for (const [hashOid, name] of CERT_ID_HASHES) {
        const { nameHash, keyHash } = issuerHashes(name, ca.certificate.subjectDer, ca.certificate.spki);
        this.#issuers.set(issuerKey(hashOid, nameHash, keyHash), ca.id);
      }
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Answer one DER OCSPRequest. Never throws. */
  async respond(der: Buffer): Promise<OcspAnswer> {
    let req: OcspRequest;
    try {
      req = parseOcspRequest(der);
    } catch (e) {
      if (e instanceof OcspRequestError) return fail('malformedRequest');
      return fail('internalError');
    }
    // One responder certificate signs for one CA: every CertID must name the same CA we
    // serve, with a hash algorithm we know (RFC 5019 §2.2.3: otherwise "unauthorized").
    let caId: string | undefined;
    for (const c of req.certIds) {
      const id = this.#issuers.get(issuerKey(c.hashAlgorithm, c.issuerNameHash, c.issuerKeyHash));
      if (!id || (caId !== undefined && id !== caId)) return fail('unauthorized');
      caId = id;
    }
    try {
      await this.fresh();
      const now = this.#source.now().getTime();
      const entries: Entry[] = new Array(req.certIds.length);
      const missing: number[] = [];
      req.certIds.forEach((c, i) => {
        const e = this.#entries.get(c.der.toString('latin1'));
        if (e && now < e.nextUpdate - 60_000 && (!e.nonIssued || now < e.renewAt)) {
          e.lastUsed = now;
          entries[i] = e;
          if (now >= e.renewAt) this.#queueRenewal(e.key);
        } else missing.push(i);
      });
      if (missing.length) {
        const filled = await this.#fill(
          caId!,
          missing.map((i) => req.certIds[i]),
        );
        missing.forEach((i, k) => {
          entries[i] = filled[k];
        });
      }
      if (entries.length === 1 && !req.nonce) {
        const e = entries[0];
        const r = e.response ?? (await this.#signSingle(e));
        return {
          der: r.der,
          status: 'successful',
          cache: { producedAt: new Date(r.producedAt), nextUpdate: new Date(e.nextUpdate), etag: r.etag },
        };
      }
      // A nonce (RFC 6960 §4.4.1, echoed as received) or several CertIDs: one new envelope
      // around the cached SingleResponses.
      const id = await this.#source.signingIdentity(caId!);
      const exts: Buffer[] = [];
      if (req.nonce) exts.push(req.nonce);
      if (entries.some((e) => e.nonIssued && this.#nonIssued === 'revoked')) exts.push(extendedRevokeExtension());
      const rd = responseData(
        responderIdByKey(id.keyHash),
        new Date(wholeSecond(now)),
        entries.map((e) => e.single),
        exts,
      );
      const sig = await id.sign(rd);
      return { der: successfulResponse(rd, id.algorithm, sig, [id.certificate]), status: 'successful' };
    } catch (e) {
      const code = (e as { code?: string }).code;
      // The database or the signing key is away: the client should retry (RFC 6960 §4.2.1 tryLater).
      if (
        code === 'STORAGE_UNAVAILABLE' ||
        code === 'STORAGE_FULL' ||
        code === 'OCSP_SIGNER_UNAVAILABLE' ||
        code === 'CA_KEY_UNAVAILABLE'
      )
        return fail('tryLater');
      return fail('internalError');
    }
  }

  /**
   * Resolve once the responder has seen every revocation committed before this call
   * (or within freshnessMs). Concurrent callers share one version read.
   */
  fresh(): Promise<void> {
    if (this.#freshnessMs > 0 && this.#seenVersion >= 0 && Date.now() - this.#checkStartedAt <= this.#freshnessMs)
      return Promise.resolve();
    return this.refresh();
  }

  /** A version check that starts after this call (after a revocation this process made: the 'revoked' exit event). */
  refresh(): Promise<void> {
    if (!this.#running) return this.#startCheck();
    // A check is in flight, but it may have read the version before this call: wait for the next one.
    this.#next ??= this.#running
      .catch(() => {})
      .then(() => {
        this.#next = null;
        return this.#startCheck();
      });
    return this.#next;
  }

  #startCheck(): Promise<void> {
    this.#checkStartedAt = Date.now();
    const p: Promise<void> = this.#check().finally(() => {
      if (this.#running === p) this.#running = null;
    });
    this.#running = p;
    return p;
  }

  async #check(): Promise<void> {
    const v = await this.#source.revocationVersion();
    if (v === this.#seenVersion) return;
    if (this.#seenVersion >= 0 && v > this.#seenVersion) {
      const changes = await this.#source.changedSerials(this.#seenVersion, v);
      if (changes.length >= 100_000) this.#clear();
      for (const c of changes) this.invalidate(c.serial, c.version);
    } else if (this.#seenVersion >= 0) {
      this.#clear(); // the counter went backwards: a restored database; trust nothing cached
    }
    this.#seenVersion = Math.max(this.#seenVersion, v);
  }

  /** Forget the answers for a serial (its status changed at `version`), and sign fresh ones in the background. */
  invalidate(serial: string, version: number): void {
    const now = Date.now();
    this.#recentChanges.set(serial, { version, at: now });
    if (this.#recentChanges.size > 10_000) {
      for (const [s, c] of this.#recentChanges)
        if (now - c.at > 60_000 || this.#recentChanges.size > 10_000) this.#recentChanges.delete(s);
    }
    const keys = this.#bySerial.get(serial);
    if (!keys) return;
    const again: Entry[] = [];
    for (const k of keys) {
      const e = this.#entries.get(k);
      if (e) {
        again.push(e);
        this.#remove(e);
      }
    }
    // Keep the cache warm: the next request for this serial is a lookup again (a few
    // CertID forms per serial at most; after a mass revocation the rest fill on demand).
    for (const e of again.slice(0, 8))
      void this.#fill(e.caId, [e.certId]).then(
        ([n]) => this.#signSingle(n),
        () => {},
      );
  }

  /**
   * Drop cached answers for a serial with no change recorded (a
   * certificate was just issued: a cached "unknown" is wrong now).
   */
  forget(serial: string): void {
    for (const k of this.#bySerial.get(serial) ?? []) {
      const e = this.#entries.get(k);
      if (e) this.#remove(e);
    }
  }

  #clear(): void {
    this.#entries.clear();
    this.#bySerial.clear();
  }

  #remove(e: Entry): void {
    if (this.#entries.get(e.key) === e) this.#entries.delete(e.key);
    const set = this.#bySerial.get(e.certId.serial);
    if (set) {
      set.delete(e.key);
      if (!set.size) this.#bySerial.delete(e.certId.serial);
    }
  }

  #insert(e: Entry): void {
    const old = this.#entries.get(e.key);
    if (old) this.#remove(old);
    // A change already processed that this answer may not reflect: do not keep it.
    const change = this.#recentChanges.get(e.certId.serial);
    if (change && change.version > e.version) return;
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.values().next().value as Entry;
      this.#remove(oldest);
    }
    this.#entries.set(e.key, e);
    let set = this.#bySerial.get(e.certId.serial);
    if (!set) {
      set = new Set();
      this.#bySerial.set(e.certId.serial, set);
    }
    set.add(e.key);
  }

  /** Look up the status of some CertIDs of one CA and build (and cache) their SingleResponses. */
  async #fill(caId: string, certIds: readonly CertId[]): Promise<Entry[]> {
    const { version, rows } = await this.#source.statusOf([...new Set(certIds.map((c) => c.serial))]);
    const id = await this.#source.signingIdentity(caId);
    const now = this.#source.now().getTime();
    const thisUpdate = wholeSecond(now);
    // A response never outlives the certificate that signs it.
    const nextUpdate = Math.min(wholeSecond(thisUpdate + this.#validityMs), id.notAfter.getTime());
    const bySerial = new Map<string, CertificateStatusRow>();
    for (const r of rows) if (r.ca_id === caId) bySerial.set(r.serial, r);
    return certIds.map((c) => {
      const row = bySerial.get(c.serial);
      let status: CertStatus;
      let nonIssued = false;
      if (row?.status === 'issued') status = { kind: 'good' };
      else if (row?.status === 'revoked')
        status = { kind: 'revoked', revokedAt: new Date(Number(row.revoked_at)), reason: row.revocation_reason };
      else {
        // Never issued by this CA (no row, or a reservation that was never signed and released).
        nonIssued = true;
        status =
          this.#nonIssued === 'revoked' ? { kind: 'revoked', revokedAt: new Date(0), reason: 6 } : { kind: 'unknown' };
      }
      const e: Entry = {
        key: c.der.toString('latin1'),
        caId,
        certId: c,
        version,
        nonIssued,
        single: singleResponse(c.der, status, new Date(thisUpdate), new Date(nextUpdate)),
        thisUpdate,
        nextUpdate,
        renewAt: nonIssued ? now + this.#nonIssuedCacheMs : thisUpdate + (nextUpdate - thisUpdate) / 2,
        lastUsed: now,
      };
      this.#insert(e);
      return e;
    });
  }

  async #signSingle(e: Entry): Promise<NonNullable<Entry['response']>> {
    const id = await this.#source.signingIdentity(e.caId);
    const producedAt = wholeSecond(this.#source.now().getTime());
    const exts = e.nonIssued && this.#nonIssued === 'revoked' ? [extendedRevokeExtension()] : [];
    const rd = responseData(responderIdByKey(id.keyHash), new Date(producedAt), [e.single], exts);
    const der = successfulResponse(rd, id.algorithm, await id.sign(rd), [id.certificate]);
    e.response = { der, producedAt, etag: `"${createHash('sha256').update(der).digest('base64url').slice(0, 27)}"` };
    return e.response;
  }

  #queueRenewal(key: string): void {
    if (this.#renewingKeys.has(key)) return;
    this.#renewQueue.add(key);
    if (!this.#renewing) void this.#renew();
  }

  /** Re-sign queued answers, a few at a time, off the request path. */
  async #renew(): Promise<void> {
    this.#renewing = true;
    try {
      while (this.#renewQueue.size && !this.#closed) {
        const batch = [...this.#renewQueue].slice(0, 16);
        for (const k of batch) {
          this.#renewQueue.delete(k);
          this.#renewingKeys.add(k);
        }
        await Promise.all(
          batch.map(async (k) => {
            try {
              const e = this.#entries.get(k);
              if (!e) return;
              const [n] = await this.#fill(e.caId, [e.certId]);
              if (!n.nonIssued) await this.#signSingle(n);
            } finally {
              this.#renewingKeys.delete(k);
            }
          }),
        ).catch(() => {});
      }
    } finally {
      this.#renewing = false;
    }
  }

  /**
   * Housekeeping (call every minute or so): forget answers nobody asked for since they
   * were signed or that have expired, and re-sign, ahead of time, those still in use.
   */
  async maintain(): Promise<{ renewed: number; dropped: number }> {
    const now = this.#source.now().getTime();
    let dropped = 0;
    let renewed = 0;
    for (const e of [...this.#entries.values()]) {
      if (
        now >= e.nextUpdate - 60_000 ||
        (e.nonIssued && now >= e.renewAt) ||
        (now >= e.renewAt && e.lastUsed < e.thisUpdate)
      ) {
        this.#remove(e);
        dropped++;
      } else if (now >= e.renewAt && !this.#renewingKeys.has(e.key)) {
        this.#renewQueue.add(e.key);
        renewed++;
      }
    }
    if (this.#renewQueue.size && !this.#renewing) await this.#renew();
    return { renewed, dropped };
  }

  close(): void {
    this.#closed = true;
    this.#clear();
  }
}

function fail(status: Exclude<OcspStatusName, 'successful'>): OcspAnswer {
  return { der: ocspErrorResponse(status), status };
}
