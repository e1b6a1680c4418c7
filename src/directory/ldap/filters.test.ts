/**
 * Search filters: values travel as raw AssertionValue octets (RFC 4511 §4.5.1), so
 * injection attempts stay values; their text form is RFC 4515-escaped. The in-chain
 * filter is the one Microsoft documents for nested membership (MS-ADTS §3.1.1.3.4.4.3):
 *   (member:1.2.840.113556.1.4.1941:=CN=John Smith,OU=Users,DC=contoso,DC=com)
 */
import { BerWriter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import {
  and,
  eq,
  IN_CHAIN_RULE,
  inChain,
  inChainGroupsFilter,
  memberOfAnyFilter,
  nestingFromCapabilities,
  parseConfigFilter,
} from './filters.js';
import { encodeSid } from './sid.js';

const ber = (f: ReturnType<typeof eq>) => {
  const w = new BerWriter();
  f.write(w);
  return w.buffer;
};

describe('equality filters', () => {
  it('escape *, (, ), \\ and NUL in their RFC 4515 text form', () => {
    expect(eq('uid', '*)(uid=*').toString()).toBe('(uid=\\2a\\29\\28uid=\\2a)');
    expect(eq('uid', 'alice)(|(uid=*').toString()).toBe('(uid=alice\\29\\28|\\28uid=\\2a)');
    expect(eq('cn', 'a\\b\u0000').toString()).toBe('(cn=a\\5cb\\00)');
  });

  it('send the value as raw octets: the server sees one equality match for the literal string', () => {
    const encoded = ber(eq('uid', '*)(uid=*'));
    // [3] equalityMatch { attributeDesc "uid", assertionValue "*)(uid=*" }
    expect(encoded[0]).toBe(0xa3);
    expect(encoded.includes(Buffer.from('*)(uid=*'))).toBe(true);
    expect(encoded.filter((b) => b === 0xa3)).toHaveLength(1);
  });

  it('send a binary SID byte for byte', () => {
    const sid = encodeSid('S-1-5-21-3332504370-1206983947-1165150453-1109');
    expect(ber(eq('objectSid', sid)).includes(sid)).toBe(true);
    expect(eq('objectSid', sid).toString()).toBe(
      '(objectSid=\\01\\05\\00\\00\\00\\00\\00\\05\\15\\00\\00\\00' +
        '\\32\\fb\\a1\\c6\\0b\\1d\\f1\\47\\f5\\c8\\72\\45\\55\\04\\00\\00)',
    );
  });
});

describe('LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941)', () => {
  it('builds the filter Microsoft documents for nested membership', () => {
    expect(IN_CHAIN_RULE).toBe('1.2.840.113556.1.4.1941');
    expect(inChain('member', 'CN=John Smith,OU=Users,DC=contoso,DC=com').toString()).toBe(
      '(member:1.2.840.113556.1.4.1941:=CN=John Smith,OU=Users,DC=contoso,DC=com)',
    );
  });

  it('asks for every group of a user and of their primary group in one search, inside the group filter', () => {
    const f = inChainGroupsFilter(parseConfigFilter('(objectClass=group)'), 'member', [
      'CN=Ryan Thompson,OU=Users,OU=UK,DC=cascade,DC=local',
      'CN=Domain Users,CN=Users,DC=cascade,DC=local',
    ]);
    expect(f.toString()).toBe(
      '(&(objectClass=group)(|' +
        '(member:1.2.840.113556.1.4.1941:=CN=Ryan Thompson,OU=Users,OU=UK,DC=cascade,DC=local)' +
        '(member:1.2.840.113556.1.4.1941:=CN=Domain Users,CN=Users,DC=cascade,DC=local)))',
    );
    // [9] extensibleMatch with matchingRule [1], type [2], matchValue [3].
    const encoded = ber(f);
    expect(encoded.includes(Buffer.from([0xa9]))).toBe(true);
    expect(encoded.includes(Buffer.from(IN_CHAIN_RULE))).toBe(true);
  });

  it('escapes DN characters that are filter syntax (a group named "R&D (EU)")', () => {
    expect(inChain('member', 'CN=R&D (EU)*,DC=x').toString()).toBe(
      '(member:1.2.840.113556.1.4.1941:=CN=R&D \\28EU\\29\\2a,DC=x)',
    );
  });

  it('chooses the in-chain rule only when the root DSE announces Active Directory', () => {
    // supportedCapabilities captured from Windows Server domain controllers' root DSE.
    const windowsDc = [
      '1.2.840.113556.1.4.800',
      '1.2.840.113556.1.4.1670',
      '1.2.840.113556.1.4.1791',
      '1.2.840.113556.1.4.1935',
      '1.2.840.113556.1.4.2080',
      '1.2.840.113556.1.4.2237',
    ];
    expect(nestingFromCapabilities(windowsDc)).toBe('inChain');
    expect(nestingFromCapabilities([])).toBe('walk'); // OpenLDAP announces none
  });
});

describe('one level of the nesting walk', () => {
  it('matches groups listing any of the DNs as member', () => {
    const f = memberOfAnyFilter(parseConfigFilter('(objectClass=groupOfNames)'), 'member', [
      'cn=Help Desk,ou=Groups,dc=x',
      'cn=R&D\\2C Lab (EU),ou=Groups,dc=x',
    ]);
    expect(f.toString()).toBe(
      '(&(objectClass=groupOfNames)(|(member=cn=Help Desk,ou=Groups,dc=x)' +
        '(member=cn=R&D\\5c2C Lab \\28EU\\29,ou=Groups,dc=x)))',
    );
  });
});

describe("administrators' filters", () => {
  it('parse, and combine with value filters', () => {
    const f = and(parseConfigFilter('(&(objectCategory=person)(objectClass=user))'), eq('sAMAccountName', 'alice'));
    expect(f.toString()).toBe('(&(&(objectCategory=person)(objectClass=user))(sAMAccountName=alice))');
  });

  it.each(['objectClass=user', '(objectClass=user', '((objectClass=user)', ''])('refuse %j', (text) => {
    expect(() => parseConfigFilter(text)).toThrow();
  });
});
