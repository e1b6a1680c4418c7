/**
 * The Active Directory mapping over the wire, against slapd carrying AD's attributes
 * (test/support/slapd.ts schema), over LDAPS: sAMAccountName, userPrincipalName, binary
 * objectSid, userAccountControl, accountExpires, whenCreated, memberOf, the primary group
 * found by SID, and `nestedGroups: auto` choosing the walk on a server that is not AD.
 * (The in-chain rule itself needs Active Directory; its filter is unit-tested.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LdapDirectory } from '../../src/directory/ldap/LdapDirectory.js';
import type { TesseraError } from '../../src/errors/TesseraError.js';
import { BASE_DN, DOMAIN_SID, PASSWORDS, startSlapd, type Slapd } from '../support/slapd.js';
import { newDirectory } from './helpers.js';

const G = (cn: string) => `cn=${cn},ou=Groups,${BASE_DN}`;

describe('LdapDirectory (Active Directory flavor) against slapd over LDAPS', () => {
  let slapd: Slapd;
  let dir: LdapDirectory;
  beforeAll(async () => {
    slapd = await startSlapd();
    dir = newDirectory(slapd, 'activeDirectory', { url: slapd.ldapsUrl });
  });
  afterAll(async () => {
    await dir?.close();
    await slapd?.close();
  });

  it('maps sAMAccountName, userPrincipalName, the binary objectSid and whenCreated', async () => {
    const alice = await dir.authenticate('alice', PASSWORDS.alice);
    expect(alice).toMatchObject({
      username: 'alice',
      upn: 'alice@example.test',
      email: 'alice@example.test',
      displayName: 'Alice Liddell',
      sid: `${DOMAIN_SID}-1105`,
      enabled: true,
    });
    expect(alice.createdAt.toISOString()).toBe('2024-01-02T03:04:05.000Z');
  });

  it('signs in by UPN, and by DOMAIN\\sAMAccountName', async () => {
    expect((await dir.authenticate('alice@example.test', PASSWORDS.alice)).username).toBe('alice');
    expect((await dir.authenticate('EXAMPLE\\bob', PASSWORDS.bob)).username).toBe('bob');
  });

  it('adds the primary group (primaryGroupID 513 → Domain Users, found by objectSid), which memberOf never lists', async () => {
    const bob = await dir.findUser('bob');
    expect(bob!.groups).toEqual(
      expect.arrayContaining(['Domain Users', G('Domain Users'), 'Help Desk', 'Smartcard Users']),
    );
    // carol has primaryGroupID but no objectSid: no domain to resolve it in.
    expect((await dir.findUser('carol'))!.groups).toEqual([]);
  });

  it('chooses the walk under nestedGroups auto, since slapd does not announce Active Directory', async () => {
    expect(await dir.nestingStrategy()).toBe('walk');
  });

  it('treats userAccountControl ACCOUNTDISABLE (514) as disabled', async () => {
    const err = await dir.authenticate('dave', PASSWORDS.dave).catch((e) => e as TesseraError);
    expect((err as TesseraError).code).toBe('USER_DISABLED');
    // 66048 = NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD: enabled.
    expect((await dir.findUser('bob'))!.enabled).toBe(true);
  });

  it('treats an accountExpires in the past as disabled, and 0 / 2^63-1 as never', async () => {
    expect((await dir.findUser('grace'))!.enabled).toBe(false);
    const err = await dir.authenticate('grace', PASSWORDS.grace).catch((e) => e as TesseraError);
    expect((err as TesseraError).code).toBe('USER_DISABLED');
    expect((await dir.findUser('alice'))!.enabled).toBe(true); // 9223372036854775807
    expect((await dir.findUser('bob'))!.enabled).toBe(true); // 0
  });

  it('finds accounts by binary SID', async () => {
    expect((await dir.findUserBySid(`${DOMAIN_SID}-1110`))?.username).toBe('frank');
    expect(await dir.findUserBySid(`${DOMAIN_SID}-513`)).toBeUndefined(); // a group, not a user
  });

  it('refuses a UPN two accounts hold (Certifried): NAME_NOT_UNIQUE on lookup, AUTH_FAILED on sign-in', async () => {
    const err = await dir.findUserByUpn('dup@example.test').catch((e) => e as TesseraError);
    expect((err as TesseraError).code).toBe('NAME_NOT_UNIQUE');
    const auth = await dir.authenticate('dup@example.test', PASSWORDS.mallory).catch((e) => e as TesseraError);
    expect((auth as TesseraError).code).toBe('AUTH_FAILED');
  });
});
