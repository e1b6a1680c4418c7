/**
 * tessera.json, in the data directory. Written by `tessera init`, read at every start,
 * and validated before anything runs (ARCHITECTURE.md habit 3).
 */
export interface RoleGroups {
  /** Manage templates, users, groups, CA settings. */
  readonly caAdministrators: string;
  /** Approve, deny and revoke (AD CS "Issue and Manage Certificates"). */
  readonly certificateManagers: string;
  /** Read the audit log. */
  readonly auditors: string;
  /** Enroll on behalf of other users (subject to agent restrictions). */
  readonly enrollmentAgents: string;
}

export interface CaEntry {
  /** Key in the cas table and in URLs (/pki/<id>.crl). */
  readonly id: string;
  readonly role: 'root' | 'issuing';
  /** 'file': encrypted PKCS#8 at keys/<id>.key.pem; 'pkcs11': a token (see keys/). */
  readonly keyStore: 'file' | 'pkcs11';
  /** For pkcs11: module path, token label, key label; the PIN comes from the environment. */
  readonly pkcs11?: { readonly module: string; readonly token: string; readonly label: string };
}

export interface LdapSettings {
  readonly url: string;
  readonly bindDn: string;
  /** Environment variable holding the bind password (never stored in the file). */
  readonly bindPasswordEnv: string;
  readonly baseDn: string;
  readonly [key: string]: unknown;
}

export interface Config {
  readonly version: 1;
  readonly organization: string;
  readonly domain: {
    /** NetBIOS-style name accepted as DOMAIN\user. */
    readonly name: string;
    /** DNS name, used for UPN suffixes and DNs (DC=...). */
    readonly dnsName: string;
    /** The domain SID prefix; user SIDs are <sid>-<rid>. */
    readonly sid: string;
  };
  /** SQLite file name (relative to the data directory) or a postgres:// URL; TESSERA_DATABASE_URL overrides. */
  readonly database: string;
  /**
   * Base URL for CRL distribution points, AIA and OCSP in issued certificates: plain
   * HTTP, as relying parties fetch revocation data (RFC 5280 §4.2.1.13 practice).
   * Never taken from a request's Host header (EJBCA CVE-2025-3026).
   */
  readonly publicUrl: string;
  /** The HTTPS base URL of the enrollment site, for links in pages and messages. */
  readonly siteUrl: string;
  readonly cas: readonly CaEntry[];
  /** Which CA signs end-entity certificates. */
  readonly issuingCa: string;
  readonly roles: RoleGroups;
  readonly directory: { readonly type: 'embedded' } | ({ readonly type: 'ldap' } & LdapSettings);
  readonly server: {
    readonly host: string;
    readonly port: number;
    /** Plain HTTP: redirects to HTTPS, except /pki and /ocsp. 0 disables it. */
    readonly httpPort: number;
    readonly hostnames: readonly string[];
  };
  readonly crl: {
    readonly validityHours: number;
    readonly overlapHours: number;
    readonly deltaValidityHours: number;
  };
}
