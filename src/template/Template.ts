/**
 * Certificate templates are data (stored in the database, edited from the CLI and API)
 * and validated on every save by validateTemplate.ts. Field names follow the AD CS
 * template properties they stand for (MS-CRTD).
 */
import { KEY_USAGE_BITS, type KeyUsageBit } from '../x509/keyUsage.js';
import type { CurveName } from '../x509/publicKey.js';

/** A template's key usages: an end entity's bits 0–4, never keyCertSign or cRLSign (RFC 5280 §4.2.1.3). */
export type KeyUsageName = Exclude<KeyUsageBit, 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly'>;
export const KEY_USAGES = KEY_USAGE_BITS.slice(0, KEY_USAGE_BITS.indexOf('keyCertSign')) as readonly KeyUsageName[];

export const RSA_PUBLIC_EXPONENT_RULES = ['65537', 'odd'] as const;
export type RsaPublicExponentRule = (typeof RSA_PUBLIC_EXPONENT_RULES)[number];

/** AD CS key spec: AT_KEYEXCHANGE ("Exchange"), AT_SIGNATURE ("Signature"), or both usages. */
export type KeySpec = 'exchange' | 'signature' | 'both';

export interface Template {
  /** The template's common name, as in `CertificateTemplate:<name>` (e.g. SmartcardUser). */
  readonly name: string;
  /** Shown to people (e.g. "Smartcard User"). */
  readonly displayName: string;
  /** 1: written as the v1 name extension; 2: as the v2 template-information extension. */
  readonly schemaVersion: 1 | 2;
  /** The template OID (v2 templates; 2.25.<uuid> when Tessera creates one). */
  readonly oid: string | null;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly validityDays: number;
  /** How long before expiry renewal is offered. */
  readonly renewalDays: number;
  readonly ekus: readonly string[];
  /** Key usage bits, written critical (RFC 5280 §4.2.1.3 SHOULD). */
  readonly keyUsage: readonly KeyUsageName[];
  readonly keySpec: KeySpec;
  readonly keyAlgorithms: {
    /** Minimum RSA modulus size, or null when RSA keys are not allowed. */
    readonly rsaMinBits: number | null;
    /**
     * Maximum RSA modulus size (default 8192, at most 16384). A larger key costs every
     * relying party that verifies with it and buys no security the template asked for.
     */
    readonly rsaMaxBits: number;
    /**
     * Which RSA public exponents are accepted: '65537' only F4 (the default, and what
     * every current key generator uses), or 'odd' any odd e from 3 to 2^256 − 1 (CA/B
     * Baseline Requirements §6.1.6, NIST SP 800-89 §5.3.3). Never larger.
     */
    readonly rsaPublicExponent: RsaPublicExponentRule;
    readonly ecCurves: readonly CurveName[];
  };
  /** Cryptographic providers (CSP/KSP names) the template lists. */
  readonly providers: readonly string[];
  /** When true, a request naming a provider outside `providers` (13.2.2) is denied. */
  readonly enforceProviders: boolean;
  readonly subjectName: {
    /** Where names come from. 'request' is allowed only for server templates with manager approval (ESC1). */
    readonly source: 'directory' | 'request';
    /** 'none': empty subject (the SAN is then critical, RFC 5280 §4.2.1.6). */
    readonly format: 'none' | 'commonName' | 'fullDn';
    readonly includeEmail: boolean;
  };
  readonly san: {
    /** UPN otherName 1.3.6.1.4.1.311.20.2.3 from the directory. */
    readonly upn: boolean;
    /** rfc822Name from the directory. */
    readonly email: boolean;
    /** dNSName (from the request, for 'request'-sourced server templates only). */
    readonly dns: boolean;
    /**
     * A requested DNS name (SAN or common name) may start with a "*." wildcard label
     * (CA/B Baseline Requirements §7.1.4.2.1, RFC 6125 §6.4.3). Default false.
     */
    readonly dnsWildcard: boolean;
    /** SAN URI tag:microsoft.com,2022-09-14:sid:<SID> (KB5014754 alternative carrier). */
    readonly sidUri: boolean;
  };
  /** The 1.3.6.1.4.1.311.25.2 SID security extension (KB5014754). Mandatory with auth EKUs. */
  readonly includeSid: boolean;
  readonly issuance: {
    /** CT_FLAG_PEND_ALL_REQUESTS: a certificate manager must approve. */
    readonly managerApproval: boolean;
    /** msPKI-RA-Signature: enrollment agent signatures required. */
    readonly agentSignatures: number;
    /** The application policy those signatures' certificates must carry. */
    readonly agentPolicy: string | null;
  };
  /** Groups holding the Enroll permission. */
  readonly enroll: readonly string[];
  readonly enabled: boolean;
}
