/**
 * The directory over LDAP: Active Directory or OpenLDAP (docs/directory.md).
 *
 *  - Searches run as a service account on pooled connections (LdapConnectionPool).
 *  - Passwords are checked by binding as the user on a connection of its own; an empty
 *    password never reaches the server (RFC 4513 §5.1.2 unauthenticated bind).
 *  - Names and SIDs come from the directory entry (docs/security.md §1.6: ESC9/ESC10,
 *    Certifried), through the attribute mapping of the configured flavor.
 *  - `groups` holds each group's name (cn) and its DN, nested memberships included: the
 *    in-chain matching rule on Active Directory, a bounded breadth-first walk elsewhere.
 *  - Any failure to reach or use the directory is DIRECTORY_UNAVAILABLE (detail for the
 *    log); it is never reported as an unknown user or a wrong password.
 */
import { randomBytes } from 'node:crypto';
import { Attribute, Change, type Client, type Filter } from 'ldapts';
import type { LdapSettings } from '../../config/Config.js';
import { TesseraError } from '../../errors/TesseraError.js';
import { isSid } from '../../x509/generalNames.js';
import { splitAccountName, type Directory, type DirectoryUser } from '../Directory.js';
import { dnKey, escapeDnValue, formatDn, leafValue, looksLikeDn, parseDn } from './dn.js';
import {
  and,
  eq,
  inChainGroupsFilter,
  memberOfAnyFilter,
  nestingFromCapabilities,
  parseConfigFilter,
} from './filters.js';
import { LdapConnectionPool, type LdapLogger } from './LdapConnectionPool.js';
import {
  AD_DISABLED_SUBCODES,
  adBindSubcode,
  isInvalidCredentials,
  isNoSuchObject,
  isResultCode,
  unavailable,
} from './ldapErrors.js';
import { ldapSettingsProblems, resolveLdapSettings, type ResolvedLdapSettings } from './ldapSettings.js';
import { mapAccount, text, userAttributes, type LdapAccount, type LdapEntry } from './mapAccount.js';
import { encodeSid } from './sid.js';
import { walkGroups, type GroupRef } from './walkGroups.js';

export interface LdapDirectoryOptions {
  readonly settings: LdapSettings;
  readonly domain: { readonly name: string; readonly dnsName: string };
  /** The service account password (from the environment variable bindPasswordEnv names). */
  readonly bindPassword: string;
  /** PEM CA certificates trusted for the directory's TLS certificate. */
  readonly ca?: string | Buffer;
  readonly log?: LdapLogger;
  readonly now?: () => Date;
}

/** Longest name looked up; longer input cannot be an account name, UPN or address. */
const MAX_NAME = 1024;
/** Longest password sent to the server. */
const MAX_PASSWORD = 4096;
/** DNs per member filter in one walk search. */
const WALK_BATCH = 50;
/** E-mail owners returned by findUsersByEmail (two already decide uniqueness). */
const MAX_EMAIL_OWNERS = 20;

/**
 * Publishing and removing a certificate (RFC 4511 §4.6 modify, adding or deleting one
 * value): what each answers once done, and when the directory says it already was so
 * (RFC 4511 Appendix A: attributeOrValueExists 20, noSuchAttribute 16).
 */
interface CertificateChange {
  readonly operation: 'add' | 'delete';
  readonly done: string;
  readonly already: string;
  readonly alreadyCode: number;
  /** How the connection pool names the modify, and how a failure names it. */
  readonly running: string;
  readonly failing: string;
}
const PUBLISH = {
  operation: 'add',
  done: 'published',
  already: 'present',
  alreadyCode: 20,
  running: 'publishing to',
  failing: 'publishing a certificate to',
} as const;
const UNPUBLISH = {
  operation: 'delete',
  done: 'removed',
  already: 'absent',
  alreadyCode: 16,
  running: 'unpublishing from',
  failing: 'removing a certificate from',
} as const;

export class LdapDirectory implements Directory {
  readonly kind = 'ldap' as const;
  readonly domain: string;
  readonly settings: ResolvedLdapSettings;
  readonly #pool: LdapConnectionPool;
  readonly #log: LdapLogger;
  readonly #now: () => Date;
  readonly #userFilter: Filter;
  readonly #groupFilter: Filter;
  /** The nesting strategy once `auto` has asked the server. */
  #nesting: Promise<'inChain' | 'walk' | 'none'> | undefined;

  constructor(o: LdapDirectoryOptions) {
    // Also here, not only in loadConfig: no code path gets a directory with plain binds to a remote server.
    const problems = ldapSettingsProblems(o.settings);
    if (problems.length) throw new TesseraError('CONFIG_INVALID', problems.join('; '));
    if (!o.bindPassword) throw new TesseraError('CONFIG_INVALID', 'the LDAP service account password is empty');
    this.domain = o.domain.name;
    this.settings = resolveLdapSettings(o.settings, o.domain);
    this.#log = o.log ?? { warn: () => {} };
    this.#now = o.now ?? (() => new Date());
    this.#userFilter = parseConfigFilter(this.settings.userFilter);
    this.#groupFilter = parseConfigFilter(this.settings.groupFilter);
    this.#pool = new LdapConnectionPool(this.settings, o.bindPassword, o.ca, this.#log);
  }

  // --- Directory ---------------------------------------------------------------------------

  async authenticate(username: string, password: string): Promise<DirectoryUser> {
    if (typeof password !== 'string' || password.length === 0) throw new TesseraError('AUTH_FAILED', 'empty password');
    if (password.length > MAX_PASSWORD || typeof username !== 'string')
      throw new TesseraError('AUTH_FAILED', 'password or user name too long');
    let account: LdapAccount | undefined;
    try {
      account = await this.#lookup(username);
    } catch (e) {
      if (!(e instanceof TesseraError && e.code === 'NAME_NOT_UNIQUE')) throw e;
      this.#log.warn(
        { username: username.slice(0, 128), detail: e.detail },
        'sign-in name matches several directory entries; refused',
      );
    }
    // For an unknown name, bind as a DN that cannot exist, so that both cases cost the
    // same round trips and the response time does not tell which names exist.
    const bindDn =
      account?.entryDn ??
      `cn=${escapeDnValue(`tessera-no-such-user-${randomBytes(8).toString('hex')}`)},${this.settings.userBaseDn}`;
    try {
      await this.#pool.verifyPassword(bindDn, password);
    } catch (e) {
      if (e instanceof TesseraError) throw e;
      if (isInvalidCredentials(e)) {
        const sub = adBindSubcode(e);
        if (account && sub && AD_DISABLED_SUBCODES.has(sub))
          throw new TesseraError('USER_DISABLED', `${account.user.username} (Active Directory bind data ${sub})`);
        throw new TesseraError(
          'AUTH_FAILED',
          account
            ? `bind as ${account.entryDn} refused${sub ? ` (data ${sub})` : ''}`
            : `no directory account "${username.slice(0, 128)}"`,
        );
      }
      throw unavailable(e, `checking the password of ${account?.entryDn ?? 'an unknown user'}`);
    }
    if (!account) throw new TesseraError('AUTH_FAILED', `no directory account "${username.slice(0, 128)}"`);
    const user = await this.#withGroups(account);
    if (!user.enabled) throw new TesseraError('USER_DISABLED', user.username);
    return user;
  }

  async findUser(name: string): Promise<DirectoryUser | undefined> {
    const account = await this.#lookup(name);
    return account && this.#withGroups(account);
  }

  async findUserByUpn(upn: string): Promise<DirectoryUser | undefined> {
    const account = await this.#byUpn(upn);
    return account && this.#withGroups(account);
  }

  async findUserBySid(sid: string): Promise<DirectoryUser | undefined> {
    const a = this.settings.attributes;
    if (typeof sid !== 'string' || !isSid(sid) || !a.sid) return undefined;
    let value: string | Buffer = sid;
    if (a.sidFormat === 'binary') {
      try {
        value = encodeSid(sid);
      } catch {
        return undefined;
      }
    }
    const account = await this.#one(eq(a.sid, value), `SID ${sid}`);
    return account && this.#withGroups(account);
  }

  async findUsersByEmail(email: string): Promise<DirectoryUser[]> {
    const attr = this.settings.attributes.email;
    if (!attr || typeof email !== 'string' || !email || email.length > MAX_NAME) return [];
    const entries = await this.#searchUsers(eq(attr, email), MAX_EMAIL_OWNERS, `e-mail ${email}`);
    const accounts = entries.map((e) => this.#map(e)).filter((a): a is LdapAccount => !!a);
    return Promise.all(accounts.map((a) => this.#withGroups(a)));
  }

  /**
   * A group by name (its cn) or by DN. A name held by several groups is refused with
   * INPUT_INVALID, because granting Enroll to it would grant it to all of them.
   */
  async groupExists(name: string): Promise<boolean> {
    if (typeof name !== 'string' || !name.trim() || name.length > MAX_NAME) return false;
    if (looksLikeDn(name)) {
      let dn: string;
      try {
        dn = formatDn(parseDn(name));
      } catch {
        return false;
      }
      try {
        const r = await this.#pool.run(
          `group ${dn}`,
          (c) =>
            c.search(dn, {
              scope: 'base',
              filter: this.#groupFilter,
              attributes: ['1.1'],
              sizeLimit: 1,
              timeLimit: this.#timeLimit(),
            }),
          { idempotent: true },
        );
        return r.searchEntries.length > 0;
      } catch (e) {
        if (isNoSuchObject(e) || (isResultCode(e) && e.code === 34)) return false; // noSuchObject, invalidDNSyntax
        throw unavailable(e, `looking up group ${dn}`);
      }
    }
    const groups = await this.#searchGroups(
      and(this.#groupFilter, eq(this.settings.attributes.groupName, name)),
      2,
      `group ${name}`,
    );
    if (groups.length > 1) {
      throw new TesseraError(
        'INPUT_INVALID',
        `the group name "${name}" is held by several groups ` +
          `(${groups.map((g) => g.dn).join('; ')}); name the group by its DN`,
      );
    }
    return groups.length === 1;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  // --- publication (LdapPublisher) -----------------------------------------------------------

  /** Add a certificate to the user's entry. Idempotent: a value already there counts as done. */
  async publishCertificate(username: string, der: Buffer): Promise<'published' | 'present' | 'no-account'> {
    return this.#changeCertificate(PUBLISH, username, der);
  }

  /** Remove a certificate from the user's entry. Idempotent: a value already gone counts as done. */
  async unpublishCertificate(username: string, der: Buffer): Promise<'removed' | 'absent' | 'no-account'> {
    return this.#changeCertificate(UNPUBLISH, username, der);
  }

  async #changeCertificate<C extends CertificateChange>(
    how: C,
    username: string,
    der: Buffer,
  ): Promise<C['done'] | C['already'] | 'no-account'> {
    const account = await this.#lookup(username);
    if (!account) return 'no-account';
    const modification = new Attribute({ type: this.settings.publishAttribute, values: [der] });
    const change = new Change({ operation: how.operation, modification });
    try {
      await this.#pool.run(`${how.running} ${account.entryDn}`, (c) => c.modify(account.entryDn, change));
      return how.done;
    } catch (e) {
      if (isResultCode(e) && e.code === how.alreadyCode) return how.already;
      throw unavailable(e, `${how.failing} ${account.entryDn}`);
    }
  }

  /**
   * Check the connection for `tessera directory test`: the service account binds, the
   * root DSE answers, the user and group bases exist. Throws DIRECTORY_UNAVAILABLE.
   */
  async probe(): Promise<{
    urls: readonly string[];
    transport: string;
    vendor: string | null;
    nesting: string;
    userBaseDn: string;
    groupBaseDn: string;
  }> {
    const s = this.settings;
    const rootDse = await this.#pool
      .run(
        'reading the root DSE',
        (c) =>
          c.search('', {
            scope: 'base',
            attributes: ['vendorName', 'vendorVersion', 'supportedCapabilities', 'namingContexts'],
            timeLimit: this.#timeLimit(),
          }),
        { idempotent: true },
      )
      .catch((e) => {
        throw unavailable(e, 'reading the root DSE');
      });
    const entry = rootDse.searchEntries[0] as LdapEntry | undefined;
    for (const base of new Set([s.userBaseDn, s.groupBaseDn])) {
      await this.#pool
        .run(
          `reading ${base}`,
          (c) => c.search(base, { scope: 'base', attributes: ['1.1'], timeLimit: this.#timeLimit() }),
          { idempotent: true },
        )
        .catch((e) => {
          throw unavailable(e, isNoSuchObject(e) ? `the search base ${base} does not exist` : `reading ${base}`);
        });
    }
    const vendor = entry ? [text(entry, 'vendorName'), text(entry, 'vendorVersion')].filter(Boolean).join(' ') : '';
    return {
      urls: s.urls,
      transport: s.transport,
      vendor: vendor || null,
      nesting: await this.nestingStrategy(),
      userBaseDn: s.userBaseDn,
      groupBaseDn: s.groupBaseDn,
    };
  }

  /** Connections held now (diagnostics and tests). */
  poolStats(): { idle: number; busy: number } {
    return this.#pool.stats();
  }

  /** What `nestedGroups: auto` chose, asking the server if needed. */
  nestingStrategy(): Promise<'inChain' | 'walk' | 'none'> {
    const configured = this.settings.nestedGroups;
    if (configured !== 'auto') return Promise.resolve(configured);
    this.#nesting ??= this.#detectNesting().catch((e) => {
      this.#nesting = undefined; // ask again next time
      throw e;
    });
    return this.#nesting;
  }

  // --- lookups ----------------------------------------------------------------------------

  #timeLimit(): number {
    return Math.max(1, Math.ceil(this.settings.operationTimeoutMs / 1000));
  }

  #map(entry: LdapEntry): LdapAccount | undefined {
    const account = mapAccount(entry, this.settings, this.#now());
    if (!account) this.#log.warn({ dn: entry.dn }, 'directory entry has no account name or an unparsable DN; ignored');
    else if (account.problems.length)
      this.#log.warn({ dn: entry.dn, problems: account.problems }, 'directory entry has values Tessera cannot use');
    return account;
  }

  /** An account by account name, DOMAIN\name or UPN. */
  async #lookup(name: string): Promise<LdapAccount | undefined> {
    if (typeof name !== 'string' || name.length > MAX_NAME) return undefined;
    const n = splitAccountName(name, this.domain);
    if (!n?.value) return undefined;
    if (n.kind === 'upn') return this.#byUpn(n.value);
    return this.#one(eq(this.settings.attributes.username, n.value), `account ${n.value}`);
  }

  async #byUpn(upn: string): Promise<LdapAccount | undefined> {
    if (typeof upn !== 'string' || !upn || upn.length > MAX_NAME) return undefined;
    const a = this.settings.attributes;
    if (a.upn) return this.#one(eq(a.upn, upn), `UPN ${upn}`);
    // Constructed UPNs (<account>@<upnSuffix>): only the configured suffix names an account here.
    const at = upn.lastIndexOf('@');
    if (at <= 0 || upn.slice(at + 1).toLowerCase() !== this.settings.upnSuffix.toLowerCase()) return undefined;
    return this.#one(eq(a.username, upn.slice(0, at)), `UPN ${upn}`);
  }

  /** Exactly one account, none, or NAME_NOT_UNIQUE: a name that picks one of several accounts identifies no one. */
  async #one(filter: Filter, what: string): Promise<LdapAccount | undefined> {
    const entries = await this.#searchUsers(filter, 2, what);
    if (entries.length > 1)
      throw new TesseraError('NAME_NOT_UNIQUE', `${what} matches ${entries.map((e) => e.dn).join('; ')}`);
    return entries[0] && this.#map(entries[0]);
  }

  async #searchUsers(filter: Filter, sizeLimit: number, what: string): Promise<LdapEntry[]> {
    const s = this.settings;
    const attributes = userAttributes(s);
    const binary = s.attributes.sid && s.attributes.sidFormat === 'binary' ? [s.attributes.sid] : [];
    try {
      const r = await this.#pool.run(
        `looking up ${what}`,
        (c) =>
          c.search(s.userBaseDn, {
            scope: 'sub',
            filter: and(this.#userFilter, filter),
            attributes,
            explicitBufferAttributes: binary,
            sizeLimit,
            timeLimit: this.#timeLimit(),
          }),
        { idempotent: true },
      );
      return r.searchEntries as LdapEntry[];
    } catch (e) {
      throw unavailable(e, `looking up ${what} under ${s.userBaseDn}`);
    }
  }

  /** Groups matching `filter` (which includes the group filter) under groupBaseDn. */
  async #searchGroups(filter: Filter, sizeLimit: number, what: string): Promise<GroupRef[]> {
    const s = this.settings;
    try {
      const r = await this.#pool.run(
        `looking up ${what}`,
        (c) =>
          c.search(s.groupBaseDn, {
            scope: 'sub',
            filter,
            attributes: [s.attributes.groupName],
            sizeLimit,
            timeLimit: this.#timeLimit(),
          }),
        { idempotent: true },
      );
      return (r.searchEntries as LdapEntry[]).map((e) => ({
        dn: e.dn,
        name: text(e, s.attributes.groupName) ?? safeLeaf(e.dn),
      }));
    } catch (e) {
      throw unavailable(e, `looking up ${what} under ${s.groupBaseDn}`);
    }
  }

  // --- groups -----------------------------------------------------------------------------

  async #detectNesting(): Promise<'inChain' | 'walk'> {
    try {
      const r = await this.#pool.run(
        'reading the root DSE',
        (c: Client) =>
          c.search('', { scope: 'base', attributes: ['supportedCapabilities'], timeLimit: this.#timeLimit() }),
        { idempotent: true },
      );
      const caps = (r.searchEntries as LdapEntry[]).flatMap((e) => {
        const v = e.supportedCapabilities ?? e.supportedcapabilities;
        return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
      });
      return nestingFromCapabilities(caps);
    } catch (e) {
      throw unavailable(e, 'reading the root DSE');
    }
  }

  async #withGroups(account: LdapAccount): Promise<DirectoryUser> {
    return { ...account.user, groups: await this.#groupsOf(account) };
  }

  /** Names and DNs of every group of the account, nested ones included. */
  async #groupsOf(account: LdapAccount): Promise<string[]> {
    const s = this.settings;
    const member = s.attributes.member;
    const direct: GroupRef[] = account.memberOf.map((dn) => ({ dn, name: safeLeaf(dn) }));
    // AD: the primary group ("Domain Users") is in no memberOf; find it by its SID.
    if (account.primaryGroupSid && s.attributes.sid) {
      const value = s.attributes.sidFormat === 'binary' ? encodeSid(account.primaryGroupSid) : account.primaryGroupSid;
      direct.push(
        ...(await this.#searchGroups(
          and(this.#groupFilter, eq(s.attributes.sid, value)),
          2,
          `primary group ${account.primaryGroupSid}`,
        )),
      );
    }
    const strategy = await this.nestingStrategy();
    let found: readonly GroupRef[];
    if (strategy === 'inChain') {
      const seeds = [account.entryDn, ...direct.filter((g) => !account.memberOf.includes(g.dn)).map((g) => g.dn)];
      const chained = await this.#searchGroups(
        inChainGroupsFilter(this.#groupFilter, member, seeds),
        s.maxGroups + 1,
        `groups of ${account.entryDn} (in chain)`,
      );
      if (chained.length > s.maxGroups)
        this.#log.warn(
          { dn: account.entryDn, maxGroups: s.maxGroups },
          'more groups than maxGroups; the rest are ignored',
        );
      found = [...direct, ...chained.slice(0, s.maxGroups)];
    } else {
      const viaMember = await this.#searchGroups(
        memberOfAnyFilter(this.#groupFilter, member, [account.entryDn]),
        s.maxGroups + 1,
        `groups of ${account.entryDn}`,
      );
      const start = [...direct, ...viaMember];
      if (strategy === 'none') found = start.slice(0, s.maxGroups);
      else {
        const walk = await walkGroups({
          start,
          maxDepth: s.maxGroupDepth,
          maxGroups: s.maxGroups,
          parentsOf: async (dns) => {
            const out: GroupRef[] = [];
            for (let i = 0; i < dns.length; i += WALK_BATCH) {
              const batch = dns.slice(i, i + WALK_BATCH);
              out.push(
                ...(await this.#searchGroups(
                  memberOfAnyFilter(this.#groupFilter, member, batch),
                  s.maxGroups + 1,
                  `parent groups of ${batch.length} group(s)`,
                )),
              );
            }
            return out;
          },
        });
        if (walk.truncated)
          this.#log.warn(
            { dn: account.entryDn, limit: walk.truncated, maxGroupDepth: s.maxGroupDepth, maxGroups: s.maxGroups },
            'group nesting walk stopped at a limit; further groups are ignored',
          );
        found = walk.groups;
      }
    }
    return groupLabels(found);
  }
}

function safeLeaf(dn: string): string | undefined {
  try {
    return leafValue(parseDn(dn));
  } catch {
    return undefined;
  }
}

/**
 * Each group's name and DN, once each (case-insensitively), sorted. The DN is kept as
 * the directory spells it (AD `CN=Smith\, John`, OpenLDAP `cn=R&D\2C Lab`): that is the
 * form administrators copy from their tools into grants.
 */
function groupLabels(groups: readonly GroupRef[]): string[] {
  const out = new Map<string, string>();
  const put = (label: string) => {
    const k = label.toLowerCase();
    if (!out.has(k)) out.set(k, label);
  };
  const seen = new Set<string>();
  for (const g of groups) {
    let key: string;
    try {
      key = dnKey(g.dn);
    } catch {
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    if (g.name) put(g.name);
    put(g.dn.trim());
  }
  return [...out.values()].sort((a, b) => a.localeCompare(b));
}
