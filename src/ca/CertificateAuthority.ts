/**
 * The signing core (Boulder's CA): it receives a resolved IssuanceProfile and a public
 * key, never a user or an HTTP request. Issuance is two steps that the types enforce:
 *
 *   1. prepare(profile)  — choose the serial and validity, lint, encode the TBS, read
 *                           the TBS back and lint that (docs/issuance.md step 5, 5a–5e).
 *                           Returns a one-shot token.
 *   2. issue(token, recordIntent) — record the serial and TBS durably through the
 *                           caller's callback *before* signing, then sign once
 *                           (steps 6–7). No certificate can exist that the store lacks.
 */
import { randomBytes } from 'node:crypto';
import { TesseraError } from '../errors/TesseraError.js';
import type { Signer } from '../keys/Signer.js';
import { bitString, explicit, integer, integerFromUnsigned, seq, time } from '../x509/der.js';
import {
  applicationPoliciesExtension,
  authorityInfoAccessExtension,
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  crlDistributionPointsExtension,
  extKeyUsageExtension,
  keyUsageExtension,
  ocspNoCheckExtension,
  sidExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
  templateInfoExtension,
  templateNameExtension,
} from '../x509/extensions.js';
import { EMPTY_NAME, encodeName, formatName } from '../x509/name.js';
import { keyIdentifier } from '../x509/publicKey.js';
import type { CaCertificate } from './CaCertificate.js';
import type { IssuanceProfile } from './IssuanceProfile.js';
import { lintCertificate } from './lintCertificate.js';
import { lintTbs } from './lintTbs.js';

export interface CaUrls {
  readonly crl: readonly string[];
  readonly caIssuers: string;
  readonly ocsp: string | null;
}

/** What `issue` asks the caller to store before it signs. */
export interface IntendedCertificate {
  readonly serial: string;
  readonly caId: string;
  readonly subject: string;
  readonly subjectUser: string | null;
  readonly template: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly tbs: Buffer;
}

export interface IssuedCertificate extends IntendedCertificate {
  readonly der: Buffer;
}

const PREPARED = Symbol('prepared');

/** The lint-passed, not-yet-signed certificate. Only `issue` can turn it into one, once. */
export class PreparedCertificate {
  #used = false;
  /** @internal */
  constructor(
    token: symbol,
    readonly intent: IntendedCertificate,
  ) {
    if (token !== PREPARED) throw new Error('PreparedCertificate comes from CertificateAuthority.prepare');
  }
  /** @internal */
  consume(): IntendedCertificate {
    if (this.#used) throw new TesseraError('INTERNAL', 'a prepared certificate was issued twice');
    this.#used = true;
    return this.intent;
  }
}

/** Clock skew allowance: notBefore is set this far in the past (AD CS ClockSkewMinutes is 10). */
const BACKDATE_MS = 5 * 60 * 1000;

export class CertificateAuthority {
  readonly #signer: Signer;
  /** Parts of every TBS that depend only on this CA, encoded once. */
  readonly #fixed: { version: Buffer; issuer: Buffer; aki: Buffer; cdp: Buffer; aia: Buffer; bc: Buffer };
  readonly #perTemplate = new Map<string, Buffer[]>();

  constructor(
    readonly id: string,
    readonly certificate: CaCertificate,
    signer: Signer,
    readonly urls: CaUrls,
  ) {
    if (!signer.publicKey.equals(certificate.spki)) {
      throw new TesseraError('CONFIG_INVALID', `the key for CA "${id}" does not match its certificate`);
    }
    this.#signer = signer;
    this.#fixed = {
      version: explicit(0, integer(2)),
      issuer: certificate.subjectDer,
      aki: authorityKeyIdentifierExtension(certificate.keyId),
      cdp: crlDistributionPointsExtension(urls.crl),
      aia: authorityInfoAccessExtension({ caIssuers: urls.caIssuers, ocsp: urls.ocsp ?? undefined }),
      bc: basicConstraintsExtension(false),
    };
  }

  get signatureAlgorithm(): Buffer {
    return this.#signer.algorithm;
  }

  /**
   * Step 5: serial, validity, lint, TBS, lint of the TBS. Throws INTERNAL when the profile
   * fails lint, CA_LINT_MISMATCH when the encoded TBS does not say what the profile asked for.
   */
  prepare(p: IssuanceProfile, now: Date = new Date()): PreparedCertificate {
    // Step 5a. Serial: 16 octets from the CSPRNG, first octet forced into 0x40–0x7f so the
    // INTEGER is positive and exactly 16 octets (126 random bits; RFC 5280 §4.1.2.2).
    const serial = randomBytes(16);
    serial[0] = 0x40 | (serial[0] & 0x3f);
    // Step 5b. Validity, whole seconds, clamped to the issuer (RFC 5280 §4.1.2.5).
    const nb = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
    const notBefore = nb < this.certificate.notBefore ? this.certificate.notBefore : nb;
    const wanted = new Date(notBefore.getTime() + p.validityDays * 86_400_000);
    const notAfter = wanted > this.certificate.notAfter ? this.certificate.notAfter : wanted;
    // Step 5c. Lint.
    const problems = lintCertificate(p, {
      issuer: this.certificate,
      serial,
      notBefore,
      notAfter,
      crlUrls: this.urls.crl,
      ocspUrl: this.urls.ocsp,
    });
    if (problems.length)
      throw new TesseraError(
        'INTERNAL',
        `certificate lint failed for template ${p.template.name}: ${problems.join('; ')}`,
      );
    // Step 5d. Encode the TBSCertificate (RFC 5280 §4.1).
    const f = this.#fixed;
    const subject = p.subject.length ? encodeName(p.subject) : EMPTY_NAME;
    const exts: Buffer[] = [...this.#templateExtensions(p)];
    if (p.san.length) exts.push(subjectAltNameExtension(p.san, p.subject.length === 0));
    exts.push(subjectKeyIdentifierExtension(keyIdentifier(p.spki)), f.aki, f.cdp, f.aia);
    if (p.sid) exts.push(sidExtension(p.sid));
    // RFC 6960 §4.2.2.2.1: the delegated responder's own status is not checked by clients.
    if (p.ocspNoCheck) exts.push(ocspNoCheckExtension());
    exts.push(f.bc);
    const tbs = seq(
      f.version,
      integerFromUnsigned(serial),
      this.#signer.algorithm,
      f.issuer,
      seq(time(notBefore), time(notAfter)),
      subject,
      p.spki,
      explicit(3, seq(...exts)),
    );
    // Step 5e. Lint the bytes that will be signed: read back strictly, compared with the profile.
    const signatureAlgorithm = this.#signer.algorithm;
    const mismatches = lintTbs(tbs, p, {
      issuer: this.certificate,
      signatureAlgorithm,
      serial,
      notBefore,
      notAfter,
      urls: this.urls,
    });
    if (mismatches.length) {
      const detail =
        `the encoded certificate for template ${p.template.name} ` +
        `differs from its profile: ${mismatches.join('; ')}`;
      throw new TesseraError('CA_LINT_MISMATCH', detail);
    }
    return new PreparedCertificate(PREPARED, {
      serial: serial.toString('hex'),
      caId: this.id,
      subject: formatName(p.subject),
      subjectUser: p.subjectUser,
      template: p.template.name,
      notBefore,
      notAfter,
      tbs,
    });
  }

  /**
   * Key usage, EKU and template extensions depend only on the template: encoded once per template version and key kind.
   */
  #templateExtensions(p: IssuanceProfile): Buffer[] {
    const t = p.template;
    const key =
      `${t.name}|${t.majorVersion}.${t.minorVersion}|${p.keyUsage.join(',')}|` +
      `${p.ekus.join(',')}|${p.applicationPolicies}|${t.oid}`;
    let exts = this.#perTemplate.get(key);
    if (!exts) {
      exts = [keyUsageExtension(p.keyUsage), extKeyUsageExtension(p.ekus)];
      if (p.applicationPolicies) exts.push(applicationPoliciesExtension(p.ekus));
      exts.push(
        t.schemaVersion === 2 && t.oid
          ? templateInfoExtension(t.oid, t.majorVersion, t.minorVersion)
          : templateNameExtension(t.name),
      );
      this.#perTemplate.set(key, exts);
    }
    return exts;
  }

  /** Steps 6–7: record intent durably, then sign exactly once. */
  async issue(
    prepared: PreparedCertificate,
    recordIntent: (c: IntendedCertificate) => Promise<void>,
  ): Promise<IssuedCertificate> {
    const intent = prepared.consume();
    // Step 6. Record intent (Boulder ca/ca.go): if this throws, nothing is signed.
    await recordIntent(intent);
    // Step 7. Sign, once.
    const signature = await this.#signer.sign(intent.tbs);
    const der = seq(intent.tbs, this.#signer.algorithm, bitString(signature));
    return { ...intent, der };
  }

  /** Sign arbitrary to-be-signed bytes (CRLs, OCSP responses, CMC responses). */
  signData(data: Uint8Array): Promise<Buffer> {
    return this.#signer.sign(data);
  }

  async close(): Promise<void> {
    await this.#signer.close();
  }
}
