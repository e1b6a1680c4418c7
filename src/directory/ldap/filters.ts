/**
 * Search filters, built as ldapts filter objects rather than strings: every value a user
 * or a directory entry supplies travels as the raw octets of an AssertionValue (RFC 4511
 * §4.5.1), so `*)(uid=*` is a name to look for, never filter syntax. Their string form
 * (Filter#toString) is RFC 4515-escaped and used only for logs.
 *
 * Administrators' filters from tessera.json (userFilter, groupFilter) are parsed once at
 * start; a filter that does not parse stops Tessera with CONFIG_INVALID.
 */
import {
  AndFilter,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  FilterParser,
  OrFilter,
  PresenceFilter,
} from 'ldapts';

/**
 * LDAP_MATCHING_RULE_IN_CHAIN (MS-ADTS §3.1.1.3.4.4.3): `(member:1.2.840.113556.1.4.1941:=<dn>)`
 * matches every group whose `member` reaches <dn> through any chain of nested groups.
 * Active Directory only; other servers treat the unknown rule as Undefined (no match).
 */
export const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';

/** LDAP_CAP_ACTIVE_DIRECTORY_OID in the root DSE's supportedCapabilities (MS-ADTS §3.1.1.3.4.3). */
export const AD_CAPABILITY = '1.2.840.113556.1.4.800';

export function eq(attribute: string, value: string | Buffer): Filter {
  return new EqualityFilter({ attribute, value });
}

export function present(attribute: string): Filter {
  return new PresenceFilter({ attribute });
}

export function and(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0] : new AndFilter({ filters });
}

export function or(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0] : new OrFilter({ filters });
}

/** Groups that contain `dn` directly or through nested groups (Active Directory). */
export function inChain(memberAttribute: string, dn: string): Filter {
  return new ExtensibleFilter({ matchType: memberAttribute, rule: IN_CHAIN_RULE, value: dn });
}

/**
 * The one search that finds every group of an account on Active Directory: groups
 * matching the configured group filter whose `member` chain reaches the account, or its
 * primary group (which AD lists in no member attribute).
 *   (&(objectClass=group)(|(member:1.2.840.113556.1.4.1941:=<user DN>)(member:…:=<primary group DN>)))
 */
export function inChainGroupsFilter(groupFilter: Filter, memberAttribute: string, dns: readonly string[]): Filter {
  return and(groupFilter, or(...dns.map((dn) => inChain(memberAttribute, dn))));
}

/** Groups that list any of `dns` as a direct member: one level of the nesting walk. */
export function memberOfAnyFilter(groupFilter: Filter, memberAttribute: string, dns: readonly string[]): Filter {
  return and(groupFilter, or(...dns.map((dn) => eq(memberAttribute, dn))));
}

/** `nestedGroups: auto`: the in-chain rule when the root DSE announces Active Directory (Samba AD does too). */
export function nestingFromCapabilities(supportedCapabilities: readonly string[]): 'inChain' | 'walk' {
  return supportedCapabilities.includes(AD_CAPABILITY) ? 'inChain' : 'walk';
}

/** Parse an administrator's filter (RFC 4515 text, in parentheses). Throws with the parser's reason. */
export function parseConfigFilter(text: string): Filter {
  const t = text.trim();
  if (!t.startsWith('(') || !t.endsWith(')'))
    throw new Error('a filter is written in parentheses, e.g. (objectClass=user)');
  return FilterParser.parseString(t);
}
