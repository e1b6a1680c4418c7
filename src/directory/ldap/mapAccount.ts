/**
 * A directory entry → the account facts Tessera uses, by the attribute mapping in
 * tessera.json. A pure function, so the Active Directory specifics (binary objectSid,
 * userAccountControl bits, accountExpires, whenCreated) are tested with captured values.
 */
import type { DirectoryUser } from '../Directory.js';
import { isSid } from '../../x509/generalNames.js';
import { formatDn, parseDn } from './dn.js';
import { accountExpiry, parseGeneralizedTime } from './ldapTime.js';
import type { ResolvedLdapSettings } from './ldapSettings.js';
import { decodeSid, domainOfSid } from './sid.js';

/** A search result entry as ldapts returns it. */
export interface LdapEntry {
  readonly dn: string;
  readonly [attribute: string]: string | string[] | Buffer | Buffer[];
}

export interface LdapAccount {
  /** Everything but the groups, which take searches of their own. */
  readonly user: Omit<DirectoryUser, 'groups'>;
  /** The DN exactly as the server sent it (for binds and member filters). */
  readonly entryDn: string;
  /** Direct group DNs from memberOf. */
  readonly memberOf: readonly string[];
  /** The AD primary group's SID (domain SID + primaryGroupID), which memberOf never lists. */
  readonly primaryGroupSid: string | null;
  /** Values that could not be used, for the log. */
  readonly problems: readonly string[];
}

/** All values of an attribute, matched case-insensitively (servers choose the spelling). */
export function values(entry: LdapEntry, name: string): (string | Buffer)[] {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(entry)) {
    if (k.toLowerCase() !== lower || k === 'dn') continue;
    return Array.isArray(v) ? v : [v];
  }
  return [];
}

export function text(entry: LdapEntry, name: string | null): string | null {
  if (!name) return null;
  const v = values(entry, name)[0];
  if (v === undefined) return null;
  const s = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  return s === '' ? null : s;
}

/** Bytes of a binary attribute. ldapts hands over values that happen to be valid UTF-8 as strings. */
export function bytes(entry: LdapEntry, name: string): Buffer | null {
  const v = values(entry, name)[0];
  if (v === undefined) return null;
  return Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');
}

/** The attributes a user search asks for under this mapping. */
export function userAttributes(s: ResolvedLdapSettings): string[] {
  const a = s.attributes;
  const names = [
    a.username,
    a.upn,
    a.email,
    a.displayName,
    'cn',
    a.sid,
    a.createdAt,
    a.accountExpires,
    a.primaryGroupId,
    a.memberOf,
    s.disabled?.attribute,
  ];
  return [...new Set(names.filter((n): n is string => !!n))];
}

/** Whether the disabled rule marks the account (userAccountControl & 0x2, a ppolicy lock, …). */
export function isDisabledByRule(entry: LdapEntry, rule: ResolvedLdapSettings['disabled']): boolean {
  if (!rule) return false;
  const vals = values(entry, rule.attribute).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v).trim());
  if (rule.bitmask !== undefined) {
    // MS-ADTS §2.2.16: userAccountControl is a 32-bit integer; the server may print it signed.
    return vals.some((v) => /^-?\d+$/.test(v) && ((Number(v) >>> 0) & rule.bitmask!) !== 0);
  }
  const wanted = new Set((rule.values ?? []).map((v) => v.toLowerCase()));
  return vals.some((v) => wanted.has(v.toLowerCase()));
}

/** Map an entry; undefined when it lacks what every account needs (a parsable DN and an account name). */
export function mapAccount(entry: LdapEntry, s: ResolvedLdapSettings, now: Date): LdapAccount | undefined {
  const a = s.attributes;
  const problems: string[] = [];
  const username = text(entry, a.username);
  if (!username) return undefined;
  let dn: string;
  try {
    dn = formatDn(parseDn(entry.dn), { canonicalTypes: true });
  } catch {
    return undefined;
  }

  let sid: string | null = null;
  if (a.sid) {
    try {
      if (a.sidFormat === 'binary') {
        const b = bytes(entry, a.sid);
        sid = b ? decodeSid(b) : null;
      } else sid = text(entry, a.sid);
      if (sid !== null && !isSid(sid)) {
        problems.push(`${a.sid} "${sid.slice(0, 80)}" is not an account SID`);
        sid = null;
      }
    } catch (e) {
      problems.push(`${a.sid}: ${(e as Error).message}`);
      sid = null;
    }
  }

  let enabled = !isDisabledByRule(entry, s.disabled);
  if (a.accountExpires) {
    const raw = text(entry, a.accountExpires);
    const expires = raw === null ? undefined : accountExpiry(raw);
    if (expires && expires.getTime() <= now.getTime()) enabled = false;
  }

  let createdAt = new Date(0);
  if (a.createdAt) {
    const raw = text(entry, a.createdAt);
    const parsed = raw === null ? undefined : parseGeneralizedTime(raw);
    if (parsed) createdAt = parsed;
    else
      problems.push(
        `${a.createdAt} ${raw === null ? 'is missing' : `"${raw}" is not a GeneralizedTime`}; creation time unknown`,
      );
  }

  let primaryGroupSid: string | null = null;
  const rid = a.primaryGroupId ? text(entry, a.primaryGroupId) : null;
  if (rid !== null && /^\d{1,10}$/.test(rid) && sid) {
    const domainSid = domainOfSid(sid);
    if (domainSid) primaryGroupSid = `${domainSid}-${rid}`;
  }

  const upn = a.upn ? text(entry, a.upn) : `${username}@${s.upnSuffix}`;
  return {
    user: {
      username,
      upn,
      email: text(entry, a.email),
      displayName: text(entry, a.displayName) ?? text(entry, 'cn') ?? username,
      sid,
      dn,
      enabled,
      createdAt,
    },
    entryDn: entry.dn,
    memberOf: a.memberOf ? values(entry, a.memberOf).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)) : [],
    primaryGroupSid,
    problems,
  };
}
