/**
 * RFC 4514 distinguished names: what servers write (AD's `CN=Smith\, John`, OpenLDAP's
 * `cn=R&D\2C Lab (EU)`), and escaping values so that input can never add an RDN.
 */
import { describe, expect, it } from 'vitest';
import { dnKey, escapeDnValue, formatDn, isWithin, leafValue, looksLikeDn, parseDn } from './dn.js';
import type { TesseraError } from '../../errors/TesseraError.js';
import { parseName } from '../../x509/name.js';

describe('parseDn', () => {
  it('reads an Active Directory DN', () => {
    expect(parseDn('CN=Ryan Thompson,OU=Users,OU=UK,DC=cascade,DC=local')).toEqual([
      [{ type: 'CN', value: 'Ryan Thompson' }],
      [{ type: 'OU', value: 'Users' }],
      [{ type: 'OU', value: 'UK' }],
      [{ type: 'DC', value: 'cascade' }],
      [{ type: 'DC', value: 'local' }],
    ]);
  });

  it('unescapes backslash pairs and hex pairs, UTF-8 included', () => {
    expect(leafValue(parseDn('CN=Smith\\, John,OU=Users,DC=x'))).toBe('Smith, John');
    expect(leafValue(parseDn('cn=R&D\\2C Lab (EU),ou=Groups,dc=example,dc=test'))).toBe('R&D, Lab (EU)');
    expect(leafValue(parseDn('cn=Ren\\C3\\A9e,dc=x'))).toBe('Renée');
    expect(leafValue(parseDn('cn=Renée,dc=x'))).toBe('Renée');
    expect(leafValue(parseDn('cn=\\#1\\+\\;\\<\\>\\"\\\\\\ ,dc=x'))).toBe('#1+;<>"\\ ');
  });

  it('reads multi-valued RDNs, #hex values and spaces around separators', () => {
    expect(parseDn('cn=a+uid=b, ou=x')).toEqual([
      [
        { type: 'cn', value: 'a' },
        { type: 'uid', value: 'b' },
      ],
      [{ type: 'ou', value: 'x' }],
    ]);
    expect(parseDn('1.3.6.1.4.1.1466.0=#04024869,dc=x')[0][0]).toEqual({
      type: '1.3.6.1.4.1.1466.0',
      value: '#04024869',
      hex: true,
    });
    expect(parseDn('')).toEqual([]);
  });

  it.each([
    'cn',
    'cn=a,',
    ',cn=a',
    'cn=a,,dc=b',
    '=a',
    'c n=a',
    'cn=a"b',
    'cn=\\zz',
    'cn=\\C3',
    'cn=#0',
    'cn=a)(uid=*',
    'x'.repeat(9000),
  ])('refuses %j with INPUT_INVALID', (text) => {
    let err: unknown;
    try {
      parseDn(text);
    } catch (e) {
      err = e;
    }
    // 'cn=a)(uid=*' is a valid DN value (parentheses need no escaping), so it parses.
    if (text === 'cn=a)(uid=*') expect(err).toBeUndefined();
    else expect((err as TesseraError).code).toBe('INPUT_INVALID');
  });
});

describe('escapeDnValue (RFC 4514 §2.4)', () => {
  it('keeps a value one value: no RDN or AVA can be added', () => {
    expect(escapeDnValue('alice,ou=Admins')).toBe('alice\\,ou\\=Admins');
    expect(escapeDnValue('a+uid=root')).toBe('a\\+uid\\=root');
    const dn = `cn=${escapeDnValue('x,cn=Administrators,ou=Groups')},ou=People,dc=example`;
    expect(parseDn(dn)).toHaveLength(3);
    expect(leafValue(parseDn(dn))).toBe('x,cn=Administrators,ou=Groups');
  });

  it('escapes leading "#" and spaces, trailing spaces, quotes, angle brackets, semicolons, NUL', () => {
    expect(escapeDnValue('#x')).toBe('\\#x');
    expect(escapeDnValue(' x ')).toBe('\\ x\\ ');
    expect(escapeDnValue('a"b<c>d;e\\f')).toBe('a\\"b\\<c\\>d\\;e\\\\f');
    expect(escapeDnValue('a\u0000b')).toBe('a\\00b');
  });

  it('round-trips through parseDn for awkward values', () => {
    for (const v of ['Smith, John', ' lead', 'trail ', '#hash', 'a+b', 'quote"', 'back\\slash', 'Renée', '=eq']) {
      expect(leafValue(parseDn(`cn=${escapeDnValue(v)},dc=x`))).toBe(v);
    }
  });
});

describe('formatDn, dnKey, isWithin', () => {
  it('writes one canonical form that x509/name.ts parses into the same RDNs', () => {
    const dn = parseDn("cn=Shaun O'Neil\\2C Jr. (Ops),ou=People,dc=example,dc=test");
    const text = formatDn(dn, { canonicalTypes: true });
    expect(text).toBe("CN=Shaun O'Neil\\, Jr. (Ops),OU=People,DC=example,DC=test");
    expect(parseName(text).reverse()).toEqual([
      { type: 'CN', value: "Shaun O'Neil, Jr. (Ops)" },
      { type: 'OU', value: 'People' },
      { type: 'DC', value: 'example' },
      { type: 'DC', value: 'test' },
    ]);
  });

  it('compares spellings of the same DN equal', () => {
    expect(dnKey('CN=Help Desk, OU=Groups, DC=example, DC=test')).toBe(
      dnKey('cn=help desk,ou=groups,dc=example,dc=test'),
    );
    expect(dnKey('cn=R&D\\2C Lab,dc=x')).toBe(dnKey('CN=R&D\\, Lab,DC=x'));
    expect(dnKey('cn=a+uid=b,dc=x')).toBe(dnKey('uid=b+cn=a,dc=x'));
    expect(dnKey('cn=a,dc=x')).not.toBe(dnKey('cn=a\\,dc=x'));
  });

  it('knows when a DN lies under a base', () => {
    expect(isWithin(parseDn('uid=a,ou=People,dc=example,dc=test'), parseDn('DC=Example,DC=Test'))).toBe(true);
    expect(isWithin(parseDn('uid=a,ou=People,dc=evil,dc=test'), parseDn('dc=example,dc=test'))).toBe(false);
    expect(isWithin(parseDn('dc=test'), parseDn('dc=example,dc=test'))).toBe(false);
  });

  it('tells DNs from names', () => {
    expect(looksLikeDn('CN=Smartcard Users,OU=Groups,DC=x')).toBe(true);
    expect(looksLikeDn('1.2.3=x')).toBe(true);
    expect(looksLikeDn('Smartcard Users')).toBe(false);
    expect(looksLikeDn('R&D, Lab (EU)')).toBe(false);
  });
});
