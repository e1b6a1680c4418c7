/**
 * Entry → account mapping with values captured from a real Active Directory (the
 * r.thompson entry of the HTB "Cascade" domain as `ldapsearch` printed it in public
 * write-ups), and the userAccountControl / accountExpires / SID edge cases.
 */
import { describe, expect, it } from 'vitest';
import { resolveLdapSettings } from './ldapSettings.js';
import { isDisabledByRule, mapAccount, type LdapEntry } from './mapAccount.js';

const AD = resolveLdapSettings(
  {
    flavor: 'activeDirectory',
    url: 'ldaps://dc1.cascade.local',
    bindDn: 'CN=svc,DC=cascade,DC=local',
    bindPasswordEnv: 'X',
    baseDn: 'DC=cascade,DC=local',
  },
  { dnsName: 'cascade.local' },
);
const OPENLDAP = resolveLdapSettings(
  {
    flavor: 'openldap',
    url: 'ldaps://ldap.example.test',
    bindDn: 'cn=svc,dc=example,dc=test',
    bindPasswordEnv: 'X',
    baseDn: 'dc=example,dc=test',
  },
  { dnsName: 'example.test' },
);
const NOW = new Date('2026-01-01T00:00:00Z');

/** As ldapts returns it: objectSid asked for as a Buffer, the rest as strings. */
const thompson: LdapEntry = {
  dn: 'CN=Ryan Thompson,OU=Users,OU=UK,DC=cascade,DC=local',
  cn: 'Ryan Thompson',
  displayName: 'Ryan Thompson',
  whenCreated: '20200109193126.0Z',
  memberOf: 'CN=IT,OU=Groups,OU=UK,DC=cascade,DC=local',
  userAccountControl: '66048',
  primaryGroupID: '513',
  objectSid: Buffer.from('AQUAAAAAAAUVAAAAMvuhxgsd8Uf1yHJFVQQAAA==', 'base64'),
  accountExpires: '9223372036854775807',
  sAMAccountName: 'r.thompson',
  userPrincipalName: 'r.thompson@cascade.local',
};

describe('Active Directory mapping', () => {
  it('maps a captured AD user entry', () => {
    const a = mapAccount(thompson, AD, NOW)!;
    expect(a.user).toEqual({
      username: 'r.thompson',
      upn: 'r.thompson@cascade.local',
      email: null,
      displayName: 'Ryan Thompson',
      sid: 'S-1-5-21-3332504370-1206983947-1165150453-1109',
      dn: 'CN=Ryan Thompson,OU=Users,OU=UK,DC=cascade,DC=local',
      enabled: true,
      createdAt: new Date('2020-01-09T19:31:26Z'),
    });
    expect(a.memberOf).toEqual(['CN=IT,OU=Groups,OU=UK,DC=cascade,DC=local']);
    // Domain Users: the domain SID with RID 513.
    expect(a.primaryGroupSid).toBe('S-1-5-21-3332504370-1206983947-1165150453-513');
    expect(a.problems).toEqual([]);
  });

  it.each([
    ['512', true], // NORMAL_ACCOUNT
    ['514', false], // NORMAL_ACCOUNT | ACCOUNTDISABLE
    ['66048', true], // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
    ['66050', false], // … | ACCOUNTDISABLE
    ['546', false], // PASSWD_NOTREQD | NORMAL_ACCOUNT | ACCOUNTDISABLE
    ['-2147417598', false], // a 32-bit value printed signed, with bit 0x2
    ['not a number', true],
  ])('userAccountControl %s → enabled %s', (uac, enabled) => {
    expect(mapAccount({ ...thompson, userAccountControl: uac }, AD, NOW)!.user.enabled).toBe(enabled);
  });

  it('treats an accountExpires in the past as disabled, 0 and 2^63-1 as never', () => {
    // 2020-01-01
    expect(mapAccount({ ...thompson, accountExpires: '132223104000000000' }, AD, NOW)!.user.enabled).toBe(false);
    expect(mapAccount({ ...thompson, accountExpires: '0' }, AD, NOW)!.user.enabled).toBe(true);
    expect(mapAccount({ ...thompson, accountExpires: '139816224000000000' }, AD, NOW)!.user.enabled).toBe(true); // 2044
  });

  it('reads a SID that ldapts handed over as a string (its bytes happened to be valid UTF-8)', () => {
    const bytes = Buffer.from('01050000000000051500000001000000020000000300000051040000', 'hex'); // all below 0x80
    expect(mapAccount({ ...thompson, objectSid: bytes.toString('utf8') }, AD, NOW)!.user.sid).toBe(
      'S-1-5-21-1-2-3-1105',
    );
  });

  it('drops an unusable SID or time with a problem for the log, and keeps the account', () => {
    const a = mapAccount({ ...thompson, objectSid: Buffer.from('0205', 'hex'), whenCreated: 'yesterday' }, AD, NOW)!;
    expect(a.user.sid).toBeNull();
    expect(a.user.createdAt.getTime()).toBe(0);
    expect(a.problems).toHaveLength(2);
    expect(a.primaryGroupSid).toBeNull();
  });

  it('refuses an entry without an account name or with an unparsable DN', () => {
    const { sAMAccountName: _drop, ...noName } = thompson;
    expect(mapAccount(noName as LdapEntry, AD, NOW)).toBeUndefined();
    expect(mapAccount({ ...thompson, dn: 'not a dn' }, AD, NOW)).toBeUndefined();
  });

  it('matches attribute names case-insensitively, as servers choose the spelling', () => {
    const lower: LdapEntry = Object.fromEntries(
      Object.entries(thompson).map(([k, v]) => [k === 'dn' ? k : k.toLowerCase(), v]),
    ) as LdapEntry;
    expect(mapAccount(lower, AD, NOW)!.user.sid).toBe('S-1-5-21-3332504370-1206983947-1165150453-1109');
  });
});

describe('OpenLDAP mapping', () => {
  const entry: LdapEntry = {
    dn: 'uid=alice,ou=People,dc=example,dc=test',
    uid: 'alice',
    cn: 'Alice Liddell',
    mail: 'alice@example.test',
    sambaSID: 'S-1-5-21-1004336348-1177238915-682003330-1105',
    createTimestamp: '20240102030405Z',
    memberOf: ['cn=Smartcard Users,ou=Groups,dc=example,dc=test'],
  };

  it('constructs the UPN from uid and the domain, and falls back to cn for the display name', () => {
    const a = mapAccount(entry, OPENLDAP, NOW)!;
    expect(a.user).toMatchObject({
      username: 'alice',
      upn: 'alice@example.test',
      displayName: 'Alice Liddell',
      sid: 'S-1-5-21-1004336348-1177238915-682003330-1105',
      dn: 'UID=alice,OU=People,DC=example,DC=test',
      enabled: true,
    });
    expect(a.user.createdAt.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(a.primaryGroupSid).toBeNull();
  });

  it('disables on the configured attribute values, case-insensitively', () => {
    expect(mapAccount({ ...entry, pwdAccountLockedTime: '000001010000Z' }, OPENLDAP, NOW)!.user.enabled).toBe(false);
    // A temporary ppolicy lockout (a real time) is the server's business, not "disabled".
    expect(mapAccount({ ...entry, pwdAccountLockedTime: '20260101000000Z' }, OPENLDAP, NOW)!.user.enabled).toBe(true);
    expect(
      isDisabledByRule({ dn: 'x', employeeType: 'Disabled' }, { attribute: 'employeeType', values: ['disabled'] }),
    ).toBe(true);
    expect(isDisabledByRule({ dn: 'x' }, { attribute: 'employeeType', values: ['disabled'] })).toBe(false);
    expect(isDisabledByRule({ dn: 'x', nsAccountLock: 'TRUE' }, null)).toBe(false);
  });

  it('refuses a string SID that is not a SID', () => {
    const a = mapAccount({ ...entry, sambaSID: 'S-1-5-21-*' }, OPENLDAP, NOW)!;
    expect(a.user.sid).toBeNull();
    expect(a.problems[0]).toContain('not an account SID');
  });
});
