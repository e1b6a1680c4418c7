/**
 * LdapDirectory against a real slapd, OpenLDAP flavor (uid, constructed UPN, sambaSID,
 * ppolicy lock, groupOfNames with a bounded walk), over StartTLS — the default.
 */
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LdapDirectory } from '../../src/directory/ldap/LdapDirectory.js';
import { BASE_DN, DOMAIN_SID, ONEIL_DN, PASSWORDS, RND_GROUP_DN, startSlapd, type Slapd } from '../support/slapd.js';
import { codeOf, failure, newDirectory, type LogLine } from './helpers.js';

const G = (cn: string) => `cn=${cn},ou=Groups,${BASE_DN}`;

describe('LdapDirectory (OpenLDAP flavor) against slapd', () => {
  let slapd: Slapd;
  let dir: LdapDirectory;
  const log: LogLine[] = [];
  beforeAll(async () => {
    slapd = await startSlapd();
    dir = newDirectory(slapd, 'openldap', {}, { log });
  });
  afterAll(async () => {
    await dir?.close();
    await slapd?.close();
  });

  it('signs alice in by binding as her, with names, SID and groups from her entry', async () => {
    const alice = await dir.authenticate('alice', PASSWORDS.alice);
    expect(alice).toMatchObject({
      username: 'alice',
      // OpenLDAP flavor: UPN constructed as <uid>@<domain.dnsName>.
      upn: 'alice@example.test',
      email: 'alice@example.test',
      displayName: 'Alice Liddell',
      sid: `${DOMAIN_SID}-1105`,
      dn: 'UID=alice,OU=People,DC=example,DC=test',
      enabled: true,
    });
    // createTimestamp: set by slapd when the suite seeded the tree.
    expect(Math.abs(alice.createdAt.getTime() - Date.now())).toBeLessThan(10 * 60_000);
    expect(alice.groups).toEqual(expect.arrayContaining(['Smartcard Users', G('Smartcard Users')]));
  });

  it('accepts DOMAIN\\name and the constructed UPN as sign-in names', async () => {
    expect((await dir.authenticate('EXAMPLE\\alice', PASSWORDS.alice)).username).toBe('alice');
    expect((await dir.authenticate('alice@example.test', PASSWORDS.alice)).username).toBe('alice');
    expect(await codeOf(dir.authenticate('OTHER\\alice', PASSWORDS.alice))).toBe('AUTH_FAILED');
  });

  it('answers a wrong password and an unknown user with the same AUTH_FAILED', async () => {
    const wrong = await failure(dir.authenticate('alice', 'not-her-password'));
    const unknown = await failure(dir.authenticate('nobody', 'whatever-password'));
    expect([wrong.code, unknown.code]).toEqual(['AUTH_FAILED', 'AUTH_FAILED']);
    expect(wrong.err.message).toBe(unknown.err.message);
  });

  it('premise: this slapd, like Active Directory, answers a DN with an empty password with success', async () => {
    const c = new Client({ url: slapd.ldapUrl });
    try {
      await c.startTLS({ ca: slapd.caPem, host: '127.0.0.1' });
      await c.bind(`uid=alice,ou=People,${BASE_DN}`, '');
      expect(c.isBound).toBe(true);
    } finally {
      await c.unbind();
    }
  });

  it('never counts an empty password as a sign-in (RFC 4513 §5.1.2 unauthenticated bind)', async () => {
    // This slapd accepts "DN + empty password" as an unauthenticated bind (allow bind_anon_dn),
    // as Active Directory does; Tessera must refuse before asking.
    expect(await codeOf(dir.authenticate('alice', ''))).toBe('AUTH_FAILED');
    expect(await codeOf(dir.authenticate('alice', undefined as unknown as string))).toBe('AUTH_FAILED');
  });

  it('reports a disabled account as USER_DISABLED only with the right password', async () => {
    expect(await codeOf(dir.authenticate('dave', PASSWORDS.dave))).toBe('USER_DISABLED');
    expect(await codeOf(dir.authenticate('dave', 'wrong-password'))).toBe('AUTH_FAILED');
    expect((await dir.findUser('dave'))?.enabled).toBe(false);
  });

  it('finds nested groups: bob is in Smartcard Users through Help Desk', async () => {
    const bob = await dir.authenticate('bob', PASSWORDS.bob);
    expect(bob.groups).toEqual(
      expect.arrayContaining(['Help Desk', 'Smartcard Users', G('Help Desk'), G('Smartcard Users')]),
    );
  });

  it('walks a membership cycle (Loop A ⇄ Loop B) once and stops', async () => {
    const bob = await dir.findUser('bob');
    expect(bob!.groups).toEqual(expect.arrayContaining(['Loop A', 'Loop B']));
    expect(bob!.groups.filter((g) => g.toLowerCase() === 'loop a')).toHaveLength(1);
  });

  it('stops the walk at maxGroupDepth and logs it', async () => {
    const erin = await dir.findUser('erin');
    // Chain01 is direct; 8 levels above it is Chain09.
    expect(erin!.groups).toContain('Chain09');
    expect(erin!.groups).not.toContain('Chain10');
    const shallow = newDirectory(slapd, 'openldap', { maxGroupDepth: 2 }, { log });
    try {
      const e2 = await shallow.findUser('erin');
      expect(e2!.groups.filter((g) => /^Chain\d+$/.test(g)).sort()).toEqual(['Chain01', 'Chain02', 'Chain03']);
      expect(log.some((l) => l.msg.includes('stopped at a limit'))).toBe(true);
    } finally {
      await shallow.close();
    }
  });

  it('gives carol, in no group, no groups', async () => {
    const carol = await dir.authenticate('carol', PASSWORDS.carol);
    expect(carol.groups).toEqual([]);
    expect(carol.sid).toBeNull();
  });

  it('handles DNs with escaped commas and parentheses (RFC 4514) in binds and member filters', async () => {
    const oneil = await dir.authenticate('oneil', PASSWORDS.oneil);
    expect(oneil.dn).toBe("CN=Shaun O'Neil\\, Jr. (Ops),OU=People,DC=example,DC=test");
    // slapd writes the group DN as cn=R&D\2C Lab (EU) — groups keep the server's spelling —
    // and the walk passes it as a filter value.
    expect(oneil.groups).toEqual(
      expect.arrayContaining(['R&D, Lab (EU)', `cn=R&D\\2C Lab (EU),ou=Groups,${BASE_DN}`, 'Smartcard Users']),
    );
    expect((await dir.findUser('frank'))!.groups).toContain('Smartcard Users');
    expect(ONEIL_DN).toContain('\\,');
  });

  it('looks users up by SID, UPN and e-mail', async () => {
    expect((await dir.findUserBySid(`${DOMAIN_SID}-1106`))?.username).toBe('bob');
    expect(await dir.findUserBySid(`${DOMAIN_SID}-9999`)).toBeUndefined();
    expect((await dir.findUserByUpn('bob@example.test'))?.username).toBe('bob');
    // A constructed UPN with another suffix names nobody here.
    expect(await dir.findUserByUpn('bob@elsewhere.test')).toBeUndefined();
    expect((await dir.findUsersByEmail('shared@example.test')).map((u) => u.username).sort()).toEqual([
      'mallory',
      'trent',
    ]);
    expect(await dir.findUsersByEmail('nobody@example.test')).toEqual([]);
  });

  it('finds groups by name or DN, and refuses a name held by two groups', async () => {
    expect(await dir.groupExists('Smartcard Users')).toBe(true);
    expect(await dir.groupExists('smartcard users')).toBe(true);
    expect(await dir.groupExists(G('Help Desk'))).toBe(true);
    expect(await dir.groupExists(`CN=Help Desk, OU=Groups, DC=example, DC=test`)).toBe(true);
    expect(await dir.groupExists('R&D, Lab (EU)')).toBe(true);
    expect(await dir.groupExists(RND_GROUP_DN)).toBe(true);
    expect(await dir.groupExists('No Such Group')).toBe(false);
    expect(await dir.groupExists(G('No Such Group'))).toBe(false);
    // A user entry is not a group.
    expect(await dir.groupExists(`uid=alice,ou=People,${BASE_DN}`)).toBe(false);
    const ambiguous = await failure(dir.groupExists('Admins'));
    expect(ambiguous.code).toBe('INPUT_INVALID');
    expect(ambiguous.detail).toContain('ou=Legacy');
  });

  it('finds nothing for LDAP filter injection attempts (RFC 4515 values)', async () => {
    const attempts = [
      '*',
      '*)(uid=*',
      'alice)(|(uid=*',
      '*)(|(objectClass=*)',
      'al*',
      '(uid=alice)',
      'alice\\',
      'alice\u0000',
      '*)(userPassword=*',
      ')(cn=*',
    ];
    for (const a of attempts) {
      expect(await dir.findUser(a), a).toBeUndefined();
      expect(await codeOf(dir.authenticate(a, PASSWORDS.alice)), a).toBe('AUTH_FAILED');
      expect(await dir.groupExists(a), a).toBe(false);
      expect(await dir.findUsersByEmail(a), a).toEqual([]);
      expect(await dir.findUserByUpn(`${a}@example.test`), a).toBeUndefined();
    }
    expect(await dir.findUserBySid('S-1-5-21-*')).toBeUndefined();
    expect(await dir.groupExists('Smartcard*')).toBe(false);
  });

  it('treats DN injection attempts as names that do not exist (RFC 4514)', async () => {
    const attempts = [
      `cn=Smartcard Users,ou=Groups,${BASE_DN})(cn=*`,
      'cn=*',
      `cn=Smartcard Users\\,ou=Groups,${BASE_DN}`,
      'cn=x,,dc=test',
      `cn=Help Desk,ou=Groups,${BASE_DN},`,
      'cn=\\zz',
    ];
    for (const a of attempts) expect(await dir.groupExists(a), a).toBe(false);
    // A sign-in name that looks like a DN is an account name, not a bind DN.
    expect(await codeOf(dir.authenticate(`uid=alice,ou=People,${BASE_DN}`, PASSWORDS.alice))).toBe('AUTH_FAILED');
  });

  it('refuses ambiguous names: two accounts with one e-mail cannot sign in by it', async () => {
    // mallory and trent share shared@example.test; the OpenLDAP flavor constructs UPNs, so look up the raw mail.
    const byMail = newDirectory(slapd, 'openldap', { attributes: { upn: 'mail' } });
    try {
      expect(await codeOf(byMail.findUserByUpn('shared@example.test'))).toBe('NAME_NOT_UNIQUE');
      expect(await codeOf(byMail.authenticate('shared@example.test', PASSWORDS.mallory))).toBe('AUTH_FAILED');
    } finally {
      await byMail.close();
    }
  });

  it('does not search for the service account or other non-user entries', async () => {
    expect(await dir.findUser('tessera')).toBeUndefined();
    expect(await codeOf(dir.authenticate('tessera', slapd.servicePassword))).toBe('AUTH_FAILED');
  });

  it('keeps a small pool of service connections', async () => {
    await Promise.all(['alice', 'bob', 'carol', 'erin', 'frank', 'oneil', 'dave', 'grace'].map((u) => dir.findUser(u)));
    const s = dir.poolStats();
    expect(s.busy).toBe(0);
    expect(s.idle).toBeGreaterThan(0);
    expect(s.idle).toBeLessThanOrEqual(4);
  });
});
