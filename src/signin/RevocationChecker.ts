/**
 * Revocation of one certificate in the path (docs/security.md §8.10; RFC 5280 §6.3,
 * RFC 6960), fail closed:
 *
 *   1. OCSP, from the certificate's AIA URLs: a fresh nonce per request; an answer that
 *      is not trustworthy (SIGNIN_OCSP_INVALID) refuses the sign-in at once (RFC 6960
 *      §3.2) — it is not silently traded for the CRL; "unknown" refuses too (the CA
 *      does not know the certificate). A responder that does not answer (network error,
 *      timeout, HTTP error, tryLater…) moves on to the next URL, then to the CRL.
 *   2. The CRL, from the certificate's CDP URLs, with the delta CRL its freshestCRL names
 *      applied on top (§5.2.4, §6.3.3); a delta that is announced but cannot be had
 *      leaves the status unknown.
 *   3. Neither: SIGNIN_REVOCATION_UNKNOWN. The validator refuses (hard-fail, the
 *      default) unless `mode` is 'soft-fail', which lets the sign-in through with a warning
 *      that is audited (SmartCardValidator.ts).
 *
 * `crlFiles` (files or directories of DER or PEM CRLs) serves relying parties that are
 * offline: those CRLs are processed as RFC 5280 §6.3.3 says (crlStatus.ts — distribution
 * points, reasons, indirect CRLs, deltas, the CRL issuer's own path) before any URL is
 * tried. `ocsp: false` is "CRL only", `crl: false` "OCSP only".
 *
 * Complete and delta CRLs are cached per URL until their nextUpdate or `crlCacheMs`,
 * whichever is first, so sign-ins do not download the CRL each time; OCSP answers are
 * never cached (each request carries its own nonce).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pemBlocks } from '../x509/pem.js';
import { crlStatus } from './crlStatus.js';
import { TesseraError } from '../errors/TesseraError.js';
import { REMOVE_FROM_CRL } from '../x509/crl.js';
import { checkCrl, parseCrl, type ParsedCrl } from './crl.js';
import { fetchableUrl, type FetchResponse, type RevocationFetcher } from './httpFetch.js';
import { buildOcspRequest, checkOcspResponse, type OcspOutcome } from './ocsp.js';
import type { ParsedCertificate } from '../x509/certificate.js';

export interface RevocationPolicy {
  /** Ask OCSP first (default true). */
  readonly ocsp: boolean;
  /** Fall back to CRLs (default true). */
  readonly crl: boolean;
  /** Per fetch (default 5 s). */
  readonly timeoutMs: number;
  /** Oldest acceptable OCSP thisUpdate, as an age (default 24 h). */
  readonly ocspMaxAgeMs: number;
  /** Oldest acceptable CRL thisUpdate, as an age; 0: nextUpdate alone decides (default). */
  readonly crlMaxAgeMs: number;
  /** The OCSP answer must echo our nonce (default true; RFC 8954). */
  readonly requireNonce: boolean;
  /** How long a fetched CRL is reused at most (default 60 s; never past its nextUpdate). */
  readonly crlCacheMs: number;
  readonly maxCrlBytes: number;
  readonly maxOcspBytes: number;
  /**
   * 'hard-fail' (default): an unknown status refuses. 'soft-fail': an unknown status (no
   * answer at all — never a revoked or untrustworthy one) lets the sign-in through, with a
   * warning audited on every sign-in it lets through.
   */
  readonly mode: 'hard-fail' | 'soft-fail';
  /** CRL files, or directories of them (DER or PEM), read for every check (re-read after `crlCacheMs`). */
  readonly crlFiles: readonly string[];
}

/** What the local CRL processing needs beyond the certificate and its issuer. */
export interface RevocationContext {
  /** The trust anchor of the path (a CRL issuer's path must end there too). */
  readonly anchor: ParsedCertificate;
  /** Certificates that may certify a CRL issuer: the path, presented and configured CAs. */
  readonly bag: readonly ParsedCertificate[];
}

export const DEFAULT_REVOCATION: RevocationPolicy = {
  ocsp: true,
  crl: true,
  timeoutMs: 5000,
  ocspMaxAgeMs: 24 * 3600_000,
  crlMaxAgeMs: 0,
  requireNonce: true,
  crlCacheMs: 60_000,
  maxCrlBytes: 20 * 1024 * 1024,
  maxOcspBytes: 64 * 1024,
  mode: 'hard-fail',
  crlFiles: [],
};

export interface RevocationResult {
  readonly source: 'ocsp' | 'crl';
  readonly url: string;
  /** What was tried before the answer (an OCSP responder that did not answer, say). */
  readonly notes: readonly string[];
  /** For CRLs: whether a delta CRL was applied. */
  readonly delta?: boolean;
}

interface CacheEntry {
  readonly crl: ParsedCrl;
  readonly expires: number;
}

/** http: URLs of the distribution points the direct path does not use (those naming reasons or a cRLIssuer). */
function partitionedUrls(cert: ParsedCertificate): string[] {
  const out: string[] = [];
  for (const dp of cert.distributionPoints) {
    for (const n of dp.names ?? []) {
      const u = n.startsWith('uri:') ? n.slice(4) : undefined;
      if (u && fetchableUrl(u) && !cert.crlUrls.includes(u) && !out.includes(u)) out.push(u);
    }
  }
  return out;
}

export class RevocationChecker {
  readonly #cache = new Map<string, CacheEntry>();
  #local: { crls: ParsedCrl[]; problems: string[]; expires: number } | undefined;

  constructor(
    private readonly policy: RevocationPolicy,
    private readonly fetch: RevocationFetcher,
    private readonly now: () => Date,
    private readonly skewMs: number,
  ) {}

  /**
   * Good: the source that said so. Otherwise throws SIGNIN_REVOKED, SIGNIN_OCSP_INVALID or SIGNIN_REVOCATION_UNKNOWN.
   */
  async check(
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    context?: RevocationContext,
  ): Promise<RevocationResult> {
    const notes: string[] = [];
    if (this.policy.ocsp) {
      const urls = cert.ocspUrls.filter(fetchableUrl);
      if (cert.ocspUrls.length && !urls.length) notes.push(`OCSP: no http: URL among ${cert.ocspUrls.join(', ')}`);
      for (const url of urls) {
        const answered = await this.#ocsp(cert, issuer, url, notes);
        if (answered) return { source: 'ocsp', url, notes };
      }
    }
    if (this.policy.crl && this.policy.crlFiles.length) {
      const local = await this.#localCrls();
      notes.push(...local.problems);
      const now = this.now();
      const s = await crlStatus(cert, issuer, {
        time: now,
        skewMs: this.skewMs,
        crls: local.crls,
        anchor: context?.anchor ?? issuer,
        bag: context?.bag ?? [issuer],
      });
      if (s.status === 'revoked')
        throw new TesseraError('SIGNIN_REVOKED', `local CRL: "${cert.subjectText}" (serial ${cert.serial}) ${s.note}`);
      if (s.status === 'good')
        return { source: 'crl', url: 'local CRL files', notes: [...notes, s.note], delta: s.delta };
      notes.push(`local CRL files: ${s.note}`);
    }
    if (this.policy.crl) {
      const urls = cert.crlUrls.filter(fetchableUrl);
      if (!cert.crlUrls.length) notes.push('CRL: the certificate names no CRL distribution point');
      for (const url of urls) {
        const r = await this.#crl(cert, issuer, url, notes);
        if (r) return { source: 'crl', url, notes, delta: r.delta };
      }
      // Distribution points the direct path above does not use — partitioned by reasons,
      // or served by another CRL issuer (indirect) — go through RFC 5280 §6.3.3 in full.
      const partitioned = partitionedUrls(cert);
      if (partitioned.length) {
        const crls: ParsedCrl[] = [];
        for (const url of partitioned) {
          try {
            const crl = await this.#fetchCrl(url);
            crls.push(crl);
            for (const u of crl.freshestCrlUrls.filter(fetchableUrl)) crls.push(await this.#fetchCrl(u));
          } catch (e) {
            notes.push(`CRL ${url}: ${(e as TesseraError).detail ?? (e as Error).message}`);
          }
        }
        const st = await crlStatus(cert, issuer, {
          time: this.now(),
          skewMs: this.skewMs,
          crls,
          anchor: context?.anchor ?? issuer,
          bag: context?.bag ?? [issuer],
        });
        if (st.status === 'revoked')
          throw new TesseraError(
            'SIGNIN_REVOKED',
            `CRL ${partitioned.join(' + ')}: "${cert.subjectText}" (serial ${cert.serial}) ${st.note}`,
          );
        if (st.status === 'good')
          return { source: 'crl', url: partitioned.join(' + '), notes: [...notes, st.note], delta: st.delta };
        notes.push(`CRL ${partitioned.join(' + ')}: ${st.note}`);
      }
    }
    throw new TesseraError(
      'SIGNIN_REVOCATION_UNKNOWN',
      `no revocation answer for "${cert.subjectText}" (serial ` +
        `${cert.serial}): ${notes.join('; ') || 'no OCSP or CRL URL'}`,
    );
  }

  /**
   * Every certificate of `path` (end entity first) but the anchor, each by `check`.
   * `bag`: more certificates that may certify CRL issuers.
   */
  async checkPath(
    path: readonly ParsedCertificate[],
    bag: readonly ParsedCertificate[] = [],
  ): Promise<RevocationResult[]> {
    const out: RevocationResult[] = [];
    const context = { anchor: path[path.length - 1], bag: [...path, ...bag] };
    for (let i = 0; i < path.length - 1; i++) out.push(await this.check(path[i], path[i + 1], context));
    return out;
  }

  /** GET one CRL over HTTP and parse it; anything but 200 is an error. */
  async #download(url: string): Promise<ParsedCrl> {
    const res = await this.fetch({
      url,
      method: 'GET',
      accept: 'application/pkix-crl',
      maxBytes: this.policy.maxCrlBytes,
      timeoutMs: this.policy.timeoutMs,
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return parseCrl(res.body);
  }

  /** A CRL by URL, parsed but not yet judged (crlStatus.ts decides its scope and signer); cached like the others. */
  async #fetchCrl(url: string): Promise<ParsedCrl> {
    const now = this.now().getTime();
    const key = `raw|${url}`;
    const hit = this.#cache.get(key);
    if (hit && hit.expires > now) return hit.crl;
    const crl = await this.#download(url);
    if (this.policy.crlCacheMs > 0 && crl.nextUpdate) {
      if (this.#cache.size > 256) this.#cache.clear();
      this.#cache.set(key, { crl, expires: Math.min(now + this.policy.crlCacheMs, crl.nextUpdate.getTime()) });
    }
    return crl;
  }

  /** The CRLs of `crlFiles`, read again once `crlCacheMs` has passed. Unreadable files are noted, not fatal. */
  async #localCrls(): Promise<{ crls: ParsedCrl[]; problems: string[] }> {
    const now = this.now().getTime();
    if (this.#local && this.#local.expires > now) return this.#local;
    const crls: ParsedCrl[] = [];
    const problems: string[] = [];
    const files: string[] = [];
    for (const f of this.policy.crlFiles) {
      try {
        if ((await stat(f)).isDirectory()) files.push(...(await readdir(f)).sort().map((n) => join(f, n)));
        else files.push(f);
      } catch (e) {
        problems.push(`CRL file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    for (const f of files) {
      try {
        const bytes = await readFile(f);
        if (bytes.length > this.policy.maxCrlBytes) throw new Error(`larger than ${this.policy.maxCrlBytes} bytes`);
        const pem = pemBlocks(bytes.toString('latin1'), 'X509 CRL');
        for (const der of pem.length ? pem : [bytes]) crls.push(parseCrl(der));
      } catch (e) {
        // A CRL that cannot be used (unknown critical extension, not DER…) is no answer (§6.3.3).
        problems.push(`CRL file ${f}: ${(e as TesseraError).detail ?? (e as Error).message}`);
      }
    }
    this.#local = { crls, problems, expires: now + Math.max(this.policy.crlCacheMs, 0) };
    return this.#local;
  }

  /** true: good. false: no answer from this responder. Throws on revoked, unknown or an untrustworthy answer. */
  async #ocsp(cert: ParsedCertificate, issuer: ParsedCertificate, url: string, notes: string[]): Promise<boolean> {
    const query = buildOcspRequest(cert, issuer, randomBytes(32));
    let res: FetchResponse;
    try {
      res = await this.fetch({
        url,
        method: 'POST',
        body: query.der,
        contentType: 'application/ocsp-request',
        accept: 'application/ocsp-response',
        maxBytes: this.policy.maxOcspBytes,
        timeoutMs: this.policy.timeoutMs,
      });
    } catch (e) {
      notes.push(`OCSP ${url}: ${(e as Error).message}`);
      return false;
    }
    if (res.status !== 200) {
      notes.push(`OCSP ${url}: HTTP ${res.status}`);
      return false;
    }
    let outcome: OcspOutcome;
    try {
      outcome = await checkOcspResponse(res.body, query, issuer, {
        now: this.now(),
        skewMs: this.skewMs,
        maxAgeMs: this.policy.ocspMaxAgeMs,
        requireNonce: this.policy.requireNonce,
        // The delegated responder's own status, from the CA's CRL (never OCSP: no loops).
        checkResponder: async (responder) => {
          const urls = responder.crlUrls.filter(fetchableUrl);
          const sub: string[] = [];
          try {
            for (const u of urls) if (await this.#crl(responder, issuer, u, sub)) return;
          } catch (e) {
            if (e instanceof TesseraError && e.code === 'SIGNIN_REVOKED')
              throw new TesseraError(
                'SIGNIN_OCSP_INVALID',
                `the responder certificate "${responder.subjectText}" is revoked: ${e.detail}`,
              );
            throw e;
          }
          throw new TesseraError(
            'SIGNIN_OCSP_INVALID',
            `the status of the responder certificate "${responder.subjectText}" is ` +
              `unknown: ${sub.join('; ') || 'no CRL URL and no id-pkix-ocsp-nocheck'}`,
          );
        },
      });
    } catch (e) {
      if (e instanceof TesseraError && e.code === 'SIGNIN_OCSP_INVALID')
        throw new TesseraError('SIGNIN_OCSP_INVALID', `OCSP ${url} for "${cert.subjectText}": ${e.detail}`);
      const detail = e instanceof TesseraError ? `${e.code}: ${e.detail ?? ''}` : (e as Error).message;
      throw new TesseraError('SIGNIN_OCSP_INVALID', `OCSP ${url} for "${cert.subjectText}": ${detail}`);
    }
    if (outcome.kind === 'unavailable') {
      notes.push(`OCSP ${url}: ${outcome.reason}`);
      return false;
    }
    if (outcome.status === 'revoked') {
      throw new TesseraError(
        'SIGNIN_REVOKED',
        `OCSP ${url}: "${cert.subjectText}" (serial ${cert.serial}) revoked at ` +
          `${outcome.revokedAt?.toISOString()}` +
          `${outcome.reason !== undefined ? `, reason ${outcome.reason}` : ''} (responder: ${outcome.responder})`,
      );
    }
    // RFC 6960 §2.2 "unknown": the responder does not know the certificate; its CA does not vouch for it.
    if (outcome.status === 'unknown')
      throw new TesseraError(
        'SIGNIN_OCSP_INVALID',
        `OCSP ${url}: status "unknown" for "${cert.subjectText}" (serial ${cert.serial})`,
      );
    notes.push(
      `OCSP ${url}: good (thisUpdate ${outcome.thisUpdate.toISOString()}, signed by the ` +
        `${outcome.responder === 'ca' ? 'CA' : 'delegated responder'} "${outcome.responderSubject}")`,
    );
    return true;
  }

  /**
   * A usable complete CRL (and its delta) from `url`: undefined when
   * unusable; throws SIGNIN_REVOKED when it lists the certificate.
   */
  async #crl(
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    url: string,
    notes: string[],
  ): Promise<{ delta: boolean } | undefined> {
    let complete: ParsedCrl;
    try {
      complete = await this.#load(url, cert, issuer, 'complete');
    } catch (e) {
      notes.push(`CRL ${url}: ${(e as TesseraError).detail ?? (e as Error).message}`);
      return undefined;
    }
    let entry = complete.entries.get(cert.serial);
    let delta = false;
    // RFC 5280 §6.3.3 (a)(2), §5.2.6: the delta CRLs of this complete CRL.
    const deltaUrls = (complete.freshestCrlUrls.length ? complete.freshestCrlUrls : cert.freshestCrlUrls).filter(
      fetchableUrl,
    );
    if (deltaUrls.length) {
      let d: ParsedCrl | undefined;
      const problems: string[] = [];
      for (const u of deltaUrls) {
        try {
          d = await this.#load(u, cert, issuer, 'delta');
          break;
        } catch (e) {
          problems.push(`${u}: ${(e as TesseraError).detail ?? (e as Error).message}`);
        }
      }
      // Announced but unavailable: the complete CRL alone may miss recent revocations.
      if (!d) {
        notes.push(`CRL ${url}: the delta CRL is unavailable (${problems.join('; ')})`);
        return undefined;
      }
      // §5.2.4: a delta applies to a complete CRL numbered at least its BaseCRLNumber.
      if (complete.crlNumber === undefined || d.baseCrlNumber! > complete.crlNumber) {
        notes.push(
          `CRL ${url}: the delta CRL's base ${d.baseCrlNumber} is newer than the complete CRL ${complete.crlNumber}`,
        );
        return undefined;
      }
      // A delta no newer than the complete CRL adds nothing.
      if (d.crlNumber !== undefined && d.crlNumber > complete.crlNumber) {
        const de = d.entries.get(cert.serial);
        if (de) entry = de.reason === REMOVE_FROM_CRL ? undefined : de;
        delta = true;
      }
    }
    if (entry)
      throw new TesseraError(
        'SIGNIN_REVOKED',
        `CRL ${url}${delta ? ' with its delta' : ''}: "${cert.subjectText}" (serial ${cert.serial}) revoked ` +
          `at ${entry.revokedAt.toISOString()}${entry.reason !== undefined ? `, reason ${entry.reason}` : ''}`,
      );
    notes.push(
      `CRL ${url}${delta ? ' and its delta' : ''}: not listed (thisUpdate ${complete.thisUpdate.toISOString()})`,
    );
    return { delta };
  }

  async #load(
    url: string,
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    kind: 'complete' | 'delta',
  ): Promise<ParsedCrl> {
    const now = this.now();
    const key = `${kind}|${issuer.fingerprint}|${url}`;
    const hit = this.#cache.get(key);
    let crl: ParsedCrl;
    if (hit && hit.expires > now.getTime()) crl = hit.crl;
    else crl = await this.#download(url);
    // Checked on every use: the cache holds bytes, the decision is made against now.
    await checkCrl(crl, cert, issuer, url, { now, skewMs: this.skewMs, maxAgeMs: this.policy.crlMaxAgeMs }, kind);
    if (!hit || hit.crl !== crl) {
      if (this.#cache.size > 256) this.#cache.clear();
      const until = Math.min(now.getTime() + this.policy.crlCacheMs, crl.nextUpdate!.getTime());
      if (this.policy.crlCacheMs > 0) this.#cache.set(key, { crl, expires: until });
    }
    return crl;
  }
}
