/**
 * tessera.json, in the data directory. Written by `tessera init`, read at every start,
 * and validated before anything runs (docs/development.md "Rules the code keeps" 3).
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
  /**
   * For pkcs11: module path, token label, key label (CKA_LABEL), and the name of the
   * environment variable holding the token PIN (default TESSERA_PKCS11_PIN). The PIN
   * itself is never written to tessera.json.
   */
  readonly pkcs11?: {
    readonly module: string;
    readonly token: string;
    readonly label: string;
    readonly pinEnv?: string;
  };
}

/**
 * Which directory attribute plays which role (docs/directory.md). Every key is optional;
 * the flavor supplies the defaults (Active Directory / OpenLDAP in parentheses).
 */
export interface LdapAttributeMap {
  /** Account name (sAMAccountName / uid). */
  readonly username?: string;
  /** UPN (userPrincipalName / null: constructed as <username>@<upnSuffix>). */
  readonly upn?: string | null;
  /** E-mail (mail / mail). */
  readonly email?: string | null;
  /** Display name (displayName / displayName); falls back to cn, then the account name. */
  readonly displayName?: string;
  /** The account SID (objectSid / sambaSID); null for none. */
  readonly sid?: string | null;
  /** How the SID attribute is stored: MS-DTYP §2.4.2.2 bytes or S-1-… text (binary / string). */
  readonly sidFormat?: 'binary' | 'string';
  /** Creation time, GeneralizedTime (whenCreated / createTimestamp). */
  readonly createdAt?: string | null;
  /** AD FILETIME account expiry (accountExpires / null). */
  readonly accountExpires?: string | null;
  /** AD primary group RID, a membership memberOf does not list (primaryGroupID / null). */
  readonly primaryGroupId?: string | null;
  /** Direct group DNs on the user entry (memberOf / memberOf). */
  readonly memberOf?: string | null;
  /** The group attribute listing member DNs (member / member). */
  readonly member?: string;
  /** The group's name as templates and roles spell it (cn / cn). */
  readonly groupName?: string;
}

/** An account is disabled when `attribute` has one of `values`, or (integers) any bit of `bitmask`. */
export interface LdapDisabledRule {
  readonly attribute: string;
  readonly bitmask?: number;
  readonly values?: readonly string[];
}

export interface LdapSettings {
  /** Decides the defaults: attribute mapping, filters, nested groups, publication attribute. */
  readonly flavor: 'activeDirectory' | 'openldap';
  /** ldaps://host[:636] or ldap://host[:389] (StartTLS); several are tried in order. */
  readonly url: string | readonly string[];
  /** ldap:// URLs upgrade with StartTLS (RFC 4513 §3) unless false; false needs allowPlaintext. */
  readonly startTls?: boolean;
  /** Plain LDAP without TLS. Honoured only when every URL is a loopback address (tests). */
  readonly allowPlaintext?: boolean;
  /** PEM file of CA certificates to trust for the directory's TLS certificate (relative to the data directory). */
  readonly caFile?: string;
  /** Name expected in the directory's TLS certificate when it differs from the URL host. */
  readonly tlsServerName?: string;
  /** The service account that searches (and, with publish, writes userCertificate). */
  readonly bindDn: string;
  /** Environment variable holding the service account password (never stored in the file). */
  readonly bindPasswordEnv: string;
  readonly baseDn: string;
  readonly userBaseDn?: string;
  readonly groupBaseDn?: string;
  /** Which entries are user accounts, e.g. (&(objectCategory=person)(objectClass=user)). */
  readonly userFilter?: string;
  /** Which entries are groups, e.g. (objectClass=group). */
  readonly groupFilter?: string;
  readonly attributes?: LdapAttributeMap;
  /** null: the directory has no disabled marker (it refuses binds itself). */
  readonly disabled?: LdapDisabledRule | null;
  /** Domain part of constructed UPNs (default: domain.dnsName). */
  readonly upnSuffix?: string;
  /** auto: the in-chain matching rule on Active Directory, a bounded walk elsewhere. */
  readonly nestedGroups?: 'auto' | 'inChain' | 'walk' | 'none';
  /** Nesting levels the walk follows (default 8). */
  readonly maxGroupDepth?: number;
  /** Groups a user may collect before the walk stops (default 1000). */
  readonly maxGroups?: number;
  readonly pool?: { readonly size?: number; readonly idleMs?: number };
  readonly timeouts?: { readonly connectMs?: number; readonly operationMs?: number };
  /** Write issued certificates to the user entry and remove them on revocation. */
  readonly publish?: boolean;
  /** userCertificate (Active Directory) / userCertificate;binary (RFC 4523, OpenLDAP). */
  readonly publishAttribute?: string;
}

/**
 * The smart card sign-in listener and the relying party's validator (docs/signin.md;
 * src/signin). Every key is optional; absent, sign-in is off unless `tessera serve
 * --signin-port` turns it on with these defaults.
 */
export interface SigninSettings {
  /** The mTLS listener's port; 0 or absent: off (unless --signin-port). */
  readonly port?: number;
  /** Address to listen on (default: server.host). */
  readonly host?: string;
  /** PEM files (relative to the data directory) of the roots a path must end at; default Tessera's root CA. */
  readonly trustAnchors?: readonly string[];
  /** PEM files of the CAs trusted to issue sign-in certificates — the NTAuth role; default Tessera's issuing CA. */
  readonly authenticationCas?: readonly string[];
  /** Which EKU the end entity must carry (default smartcardLogon). */
  readonly eku?: 'smartcardLogon' | 'clientAuthentication' | 'either';
  readonly mapping?: {
    /** Accept UPN-only (weak) mappings, logged as weak (default false: KB5014754 full enforcement). */
    readonly allowWeakUpn?: boolean;
    /** Account name → altSecurityIdentities values: X509:<I>issuer<SR>serial or X509:<SKI>ski. */
    readonly explicit?: Readonly<Record<string, readonly string[]>>;
    /** How far a certificate's notBefore may precede its account's creation (default 600). */
    readonly creationToleranceSeconds?: number;
  };
  readonly revocation?: {
    /** Per fetch, milliseconds (default 5000). */
    readonly timeoutMs?: number;
    /** Oldest OCSP thisUpdate accepted, seconds (default 86400). */
    readonly ocspMaxAgeSeconds?: number;
    /** Oldest CRL thisUpdate accepted, seconds; 0: nextUpdate alone decides (default 0). */
    readonly crlMaxAgeSeconds?: number;
    /** Require the OCSP nonce to be echoed (default true). */
    readonly requireOcspNonce?: boolean;
    /** Reuse a fetched CRL at most this long, seconds (default 60; never past its nextUpdate). */
    readonly crlCacheSeconds?: number;
    /** hard-fail (default): an unknown status refuses; soft-fail: it is let through, with a warning audited. */
    readonly mode?: 'hard-fail' | 'soft-fail';
    /** ocsp-then-crl (default), crl (CRL only), ocsp (OCSP only). */
    readonly sources?: 'ocsp-then-crl' | 'crl' | 'ocsp';
    /** CRL files or directories (relative to the data directory), for relying parties that are offline. */
    readonly crlFiles?: readonly string[];
  };
  /** How far a CRL's or OCSP answer's thisUpdate may be ahead of this clock, seconds (default 300). */
  readonly clockSkewSeconds?: number;
  /** How far a certificate's notBefore may be ahead of this clock, seconds (default 0). */
  readonly notBeforeSkewSeconds?: number;
  /** Sign-in attempts per minute per client address (default 60) and per certificate (default 20); 0: off. */
  readonly attemptsPerMinutePerAddress?: number;
  readonly attemptsPerMinutePerCertificate?: number;
}

/** The web enrollment pages (optional; src/config/webSettings.ts). */
export interface WebSettings {
  /**
   * The card agent address the pages offer until this browser remembers another one
   * (default http://127.0.0.1:8399, the agent's default port).
   */
  readonly cardAgentUrl?: string;
  /**
   * Template names in the order the pages list them; the advanced request form pre-selects
   * the first one the user may enroll for. Templates not named follow by name.
   */
  readonly templateOrder?: readonly string[];
}

/**
 * Who may read the monitoring endpoints without credentials (optional;
 * src/config/monitoringSettings.ts). "loopback" means a caller whose TCP peer is
 * 127.0.0.0/8 or ::1 — which, behind a reverse proxy on the same host, is every caller.
 */
export interface MonitoringSettings {
  /** /metrics: "none" (default: CA administrators' and auditors' credentials from everywhere) or "loopback". */
  readonly metricsWithoutCredentials?: 'none' | 'loopback';
  /**
   * /readyz: "loopback" (default: a local orchestrator's probe), "anyone" (a
   * remote load balancer) or "none"; others need an account's credentials.
   */
  readonly readyzWithoutCredentials?: 'none' | 'loopback' | 'anyone';
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
  /**
   * Role separation (AD CS RoleSeparationEnabled): no account may be CA Administrator and
   * Certificate Manager at once (src/ra/roleSeparation.ts). Default true; false only for
   * a deployment too small to keep the roles apart, which `tessera check` then reports (ESC7).
   */
  readonly roleSeparation?: boolean;
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
  /** Smart card sign-in (optional). */
  readonly signin?: SigninSettings;
  /** /metrics and /readyz without credentials (optional). */
  readonly monitoring?: MonitoringSettings;
  /** The web enrollment pages (optional). */
  readonly web?: WebSettings;
}
