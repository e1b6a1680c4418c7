/**
 * `directory` settings for LDAP: the defaults each flavor brings, their validation at
 * start (docs/development.md "Rules the code keeps" 3 — a typo or an insecure transport stops Tessera and
 * says which setting), and the resolved form the directory runs on.
 */
import { isIP } from 'node:net';
import type { LdapAttributeMap, LdapDisabledRule, LdapSettings } from '../../config/Config.js';
import { parseDn } from './dn.js';
import { parseConfigFilter } from './filters.js';

export type LdapFlavor = LdapSettings['flavor'];

export interface ResolvedAttributes {
  readonly username: string;
  readonly upn: string | null;
  readonly email: string | null;
  readonly displayName: string;
  readonly sid: string | null;
  readonly sidFormat: 'binary' | 'string';
  readonly createdAt: string | null;
  readonly accountExpires: string | null;
  readonly primaryGroupId: string | null;
  readonly memberOf: string | null;
  readonly member: string;
  readonly groupName: string;
}

export interface ResolvedLdapSettings {
  readonly flavor: LdapFlavor;
  readonly urls: readonly string[];
  /** Per URL: implicit TLS (ldaps), StartTLS, or none (loopback tests only). */
  readonly transport: 'ldaps' | 'startTls' | 'plaintext';
  readonly tlsServerName: string | undefined;
  readonly bindDn: string;
  readonly baseDn: string;
  readonly userBaseDn: string;
  readonly groupBaseDn: string;
  readonly userFilter: string;
  readonly groupFilter: string;
  readonly attributes: ResolvedAttributes;
  readonly disabled: LdapDisabledRule | null;
  readonly upnSuffix: string;
  readonly nestedGroups: 'auto' | 'inChain' | 'walk' | 'none';
  readonly maxGroupDepth: number;
  readonly maxGroups: number;
  readonly poolSize: number;
  readonly idleMs: number;
  readonly connectTimeoutMs: number;
  readonly operationTimeoutMs: number;
  readonly publish: boolean;
  readonly publishAttribute: string;
}

const FLAVOR_DEFAULTS: Record<
  LdapFlavor,
  {
    attributes: ResolvedAttributes;
    userFilter: string;
    groupFilter: string;
    disabled: LdapDisabledRule | null;
    nestedGroups: ResolvedLdapSettings['nestedGroups'];
    publishAttribute: string;
  }
> = {
  activeDirectory: {
    attributes: {
      username: 'sAMAccountName',
      upn: 'userPrincipalName',
      email: 'mail',
      displayName: 'displayName',
      sid: 'objectSid',
      sidFormat: 'binary',
      createdAt: 'whenCreated',
      accountExpires: 'accountExpires',
      primaryGroupId: 'primaryGroupID',
      memberOf: 'memberOf',
      member: 'member',
      groupName: 'cn',
    },
    userFilter: '(&(objectCategory=person)(objectClass=user))',
    groupFilter: '(objectClass=group)',
    // MS-ADTS §2.2.16 userAccountControl: ADS_UF_ACCOUNTDISABLE is 0x2.
    disabled: { attribute: 'userAccountControl', bitmask: 0x2 },
    nestedGroups: 'auto',
    // AD stores userCertificate as an octet string and its own CA writes it without an option.
    publishAttribute: 'userCertificate',
  },
  openldap: {
    attributes: {
      username: 'uid',
      upn: null,
      email: 'mail',
      displayName: 'displayName',
      sid: 'sambaSID',
      sidFormat: 'string',
      createdAt: 'createTimestamp',
      accountExpires: null,
      primaryGroupId: null,
      memberOf: 'memberOf',
      member: 'member',
      groupName: 'cn',
    },
    userFilter: '(objectClass=inetOrgPerson)',
    groupFilter: '(objectClass=groupOfNames)',
    // ppolicy's "locked by an administrator" marker (draft-behera-ldap-password-policy §5.3.3).
    disabled: { attribute: 'pwdAccountLockedTime', values: ['000001010000Z'] },
    nestedGroups: 'walk',
    // RFC 4523 §2.1: certificates are transferred with the ;binary option.
    publishAttribute: 'userCertificate;binary',
  },
};

const KNOWN_KEYS = new Set([
  'type',
  'flavor',
  'url',
  'startTls',
  'allowPlaintext',
  'caFile',
  'tlsServerName',
  'bindDn',
  'bindPasswordEnv',
  'baseDn',
  'userBaseDn',
  'groupBaseDn',
  'userFilter',
  'groupFilter',
  'attributes',
  'disabled',
  'upnSuffix',
  'nestedGroups',
  'maxGroupDepth',
  'maxGroups',
  'pool',
  'timeouts',
  'publish',
  'publishAttribute',
]);
const ATTRIBUTE_KEYS = new Set([
  'username',
  'upn',
  'email',
  'displayName',
  'sid',
  'sidFormat',
  'createdAt',
  'accountExpires',
  'primaryGroupId',
  'memberOf',
  'member',
  'groupName',
]);

/** RFC 4512 §2.5 attribute description: descr or numeric OID, with options (;binary). */
const ATTRIBUTE_RE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/;
const ENV_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DNS_RE = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

const urlsOf = (s: Pick<LdapSettings, 'url'>): string[] =>
  Array.isArray(s.url) ? [...s.url] : typeof s.url === 'string' ? [s.url] : [];

/** Problems in `directory` settings for LDAP, each naming the setting. */
export function ldapSettingsProblems(s: LdapSettings, at = 'directory'): string[] {
  const p: string[] = [];
  if (typeof s !== 'object' || s === null) return [`${at}: an object`];
  for (const k of Object.keys(s)) {
    if (/password|secret/i.test(k) && k !== 'bindPasswordEnv')
      p.push(
        `${at}.${k}: passwords are never stored in tessera.json; name an environment variable in ${at}.bindPasswordEnv`,
      );
    else if (!KNOWN_KEYS.has(k)) p.push(`${at}.${k}: not a setting (see docs/directory.md)`);
  }
  if (s.flavor !== 'activeDirectory' && s.flavor !== 'openldap') p.push(`${at}.flavor: activeDirectory or openldap`);
  const urls = urlsOf(s);
  if (urls.length === 0) p.push(`${at}.url: an ldaps:// or ldap:// URL (or a list of them)`);
  const schemes = new Set<string>();
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      p.push(`${at}.url: "${u}" is not a URL`);
      continue;
    }
    if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:')
      p.push(`${at}.url: "${u}" must start with ldaps:// or ldap://`);
    else if (!url.hostname) p.push(`${at}.url: "${u}" names no host`);
    else if ((url.pathname && url.pathname !== '/') || url.search || url.hash || url.username || url.password)
      p.push(`${at}.url: "${u}" must be scheme, host and port only (the base DN is ${at}.baseDn)`);
    schemes.add(url.protocol);
  }
  if (schemes.size > 1) p.push(`${at}.url: use either ldaps:// or ldap:// URLs, not both`);
  if (s.startTls !== undefined && typeof s.startTls !== 'boolean') p.push(`${at}.startTls: true or false`);
  if (s.allowPlaintext !== undefined && typeof s.allowPlaintext !== 'boolean')
    p.push(`${at}.allowPlaintext: true or false`);
  if (schemes.has('ldaps:') && s.startTls === true)
    p.push(`${at}.startTls: applies to ldap:// URLs; ldaps:// is TLS already`);
  if (schemes.has('ldap:') && s.startTls === false) {
    // RFC 4513 §5.1.2 / §6.3.3: a simple bind sends the password as it is; without TLS anyone on the path reads it.
    if (s.allowPlaintext !== true)
      p.push(
        `${at}.startTls: false sends passwords in clear text; use ldaps:// or ` +
          'StartTLS (allowPlaintext exists only for tests on a loopback address)',
      );
    else {
      const remote = urls.filter((u) => {
        try {
          return !isLoopbackHost(new URL(u).hostname);
        } catch {
          return false;
        }
      });
      if (remote.length) p.push(`${at}.allowPlaintext: honoured only for loopback URLs, not ${remote.join(', ')}`);
    }
  }
  if (s.caFile !== undefined && (typeof s.caFile !== 'string' || !s.caFile)) p.push(`${at}.caFile: a PEM file path`);
  if (
    s.tlsServerName !== undefined &&
    (typeof s.tlsServerName !== 'string' || !(DNS_RE.test(s.tlsServerName) || s.tlsServerName === 'localhost'))
  )
    p.push(`${at}.tlsServerName: a DNS name`);
  for (const k of ['bindDn', 'baseDn'] as const) {
    if (typeof s[k] !== 'string' || !s[k].trim()) p.push(`${at}.${k}: a distinguished name`);
  }
  for (const k of ['bindDn', 'baseDn', 'userBaseDn', 'groupBaseDn'] as const) {
    const v = s[k];
    if (v === undefined || (typeof v === 'string' && !v.trim() && (k === 'bindDn' || k === 'baseDn'))) continue;
    try {
      if (typeof v !== 'string') throw new Error();
      parseDn(v);
    } catch {
      p.push(`${at}.${k}: "${String(v).slice(0, 120)}" is not a distinguished name`);
    }
  }
  if (typeof s.bindPasswordEnv !== 'string' || !ENV_RE.test(s.bindPasswordEnv))
    p.push(`${at}.bindPasswordEnv: the name of an environment variable holding the service account password`);
  for (const k of ['userFilter', 'groupFilter'] as const) {
    const v = s[k];
    if (v === undefined) continue;
    try {
      if (typeof v !== 'string') throw new Error('not a string');
      parseConfigFilter(v);
    } catch (e) {
      p.push(`${at}.${k}: not an LDAP filter (${(e as Error).message})`);
    }
  }
  const a = s.attributes as (LdapAttributeMap & { readonly [key: string]: unknown }) | undefined;
  if (a !== undefined) {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) p.push(`${at}.attributes: an object`);
    else {
      for (const [k, v] of Object.entries(a)) {
        if (!ATTRIBUTE_KEYS.has(k))
          p.push(`${at}.attributes.${k}: not a mapped role (${[...ATTRIBUTE_KEYS].join(', ')})`);
        else if (k === 'sidFormat') {
          if (v !== 'binary' && v !== 'string') p.push(`${at}.attributes.sidFormat: binary or string`);
        } else if (v === null) {
          if (k === 'username' || k === 'member' || k === 'groupName' || k === 'displayName')
            p.push(`${at}.attributes.${k}: required`);
        } else if (typeof v !== 'string' || !ATTRIBUTE_RE.test(v))
          p.push(`${at}.attributes.${k}: "${String(v)}" is not an attribute name`);
      }
    }
  }
  if (s.disabled !== undefined && s.disabled !== null) {
    const d = s.disabled;
    if (typeof d !== 'object' || typeof d.attribute !== 'string' || !ATTRIBUTE_RE.test(d.attribute))
      p.push(`${at}.disabled.attribute: an attribute name`);
    else {
      const hasMask = d.bitmask !== undefined;
      const hasValues = d.values !== undefined;
      if (hasMask === hasValues)
        p.push(`${at}.disabled: either bitmask (an integer flag, e.g. 2 for userAccountControl) or values (a list)`);
      if (hasMask && (!Number.isInteger(d.bitmask) || d.bitmask! <= 0 || d.bitmask! > 0xffffffff))
        p.push(`${at}.disabled.bitmask: a positive 32-bit integer`);
      if (
        hasValues &&
        (!Array.isArray(d.values) || d.values.length === 0 || d.values.some((v) => typeof v !== 'string'))
      )
        p.push(`${at}.disabled.values: a non-empty list of strings`);
    }
  }
  if (s.upnSuffix !== undefined && (typeof s.upnSuffix !== 'string' || !DNS_RE.test(s.upnSuffix)))
    p.push(`${at}.upnSuffix: a DNS domain such as example.com`);
  if (s.nestedGroups !== undefined && !['auto', 'inChain', 'walk', 'none'].includes(s.nestedGroups))
    p.push(`${at}.nestedGroups: auto, inChain, walk or none`);
  const int = (v: unknown, min: number, max: number) =>
    v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max);
  if (!int(s.maxGroupDepth, 1, 64)) p.push(`${at}.maxGroupDepth: 1–64`);
  if (!int(s.maxGroups, 1, 100_000)) p.push(`${at}.maxGroups: 1–100000`);
  if (
    s.pool !== undefined &&
    (typeof s.pool !== 'object' || !int(s.pool.size, 1, 64) || !int(s.pool.idleMs, 1000, 3_600_000))
  )
    p.push(`${at}.pool: size 1–64, idleMs 1000–3600000`);
  if (
    s.timeouts !== undefined &&
    (typeof s.timeouts !== 'object' ||
      !int(s.timeouts.connectMs, 100, 120_000) ||
      !int(s.timeouts.operationMs, 100, 300_000))
  )
    p.push(`${at}.timeouts: connectMs 100–120000, operationMs 100–300000`);
  if (s.publish !== undefined && typeof s.publish !== 'boolean') p.push(`${at}.publish: true or false`);
  if (
    s.publishAttribute !== undefined &&
    (typeof s.publishAttribute !== 'string' || !ATTRIBUTE_RE.test(s.publishAttribute))
  )
    p.push(`${at}.publishAttribute: an attribute name such as userCertificate;binary`);
  return p;
}

/** Defaults filled in. Call after ldapSettingsProblems found nothing. */
export function resolveLdapSettings(s: LdapSettings, domain: { readonly dnsName: string }): ResolvedLdapSettings {
  const d = FLAVOR_DEFAULTS[s.flavor];
  const urls = urlsOf(s);
  const ldaps = urls.every((u) => u.toLowerCase().startsWith('ldaps:'));
  return {
    flavor: s.flavor,
    urls,
    transport: ldaps ? 'ldaps' : s.startTls === false ? 'plaintext' : 'startTls',
    tlsServerName: s.tlsServerName,
    bindDn: s.bindDn,
    baseDn: s.baseDn,
    userBaseDn: s.userBaseDn ?? s.baseDn,
    groupBaseDn: s.groupBaseDn ?? s.baseDn,
    userFilter: s.userFilter ?? d.userFilter,
    groupFilter: s.groupFilter ?? d.groupFilter,
    attributes: { ...d.attributes, ...(s.attributes ?? {}) } as ResolvedAttributes,
    disabled: s.disabled === undefined ? d.disabled : s.disabled,
    upnSuffix: s.upnSuffix ?? domain.dnsName,
    nestedGroups: s.nestedGroups ?? d.nestedGroups,
    maxGroupDepth: s.maxGroupDepth ?? 8,
    maxGroups: s.maxGroups ?? 1000,
    poolSize: s.pool?.size ?? 4,
    idleMs: s.pool?.idleMs ?? 60_000,
    connectTimeoutMs: s.timeouts?.connectMs ?? 5_000,
    operationTimeoutMs: s.timeouts?.operationMs ?? 10_000,
    publish: s.publish ?? false,
    publishAttribute: s.publishAttribute ?? d.publishAttribute,
  };
}
