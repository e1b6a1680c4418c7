/**
 * Tessera configured for LDAP in tessera.json (OpenLDAP flavor, StartTLS, publish: true):
 * Enroll granted to directory groups by name and by DN, nested membership honoured,
 * names and SID in issued certificates from the directory (checked by openssl), and
 * publication to userCertificate;binary checked with ldapsearch, removed on revocation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapDirectory } from '../../src/directory/ldap/LdapDirectory.js';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { mayEnroll } from '../../src/policy/mayEnroll.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { release, revoke } from '../../src/ra/revoke.js';
import { submit } from '../../src/ra/submit.js';
import { Tessera } from '../../src/Tessera.js';
import { toPem } from '../../src/x509/pem.js';
import { certText, openssl, opensslCsr, tmpFile, verifyCert } from '../support/openssl.js';
import { BASE_DN, DOMAIN_SID, PASSWORDS, startSlapd, type Slapd } from '../support/slapd.js';
import { LOCAL } from '../support/tessera.js';
import { eventually, ldapDataDir } from './helpers.js';

const G = (cn: string) => `cn=${cn},ou=Groups,${BASE_DN}`;

/** The certificates ldapsearch sees on an entry, as base64 DER. */
function publishedOn(slapd: Slapd, uid: string): string[] {
  const ldif = slapd.ldapsearch(
    `uid=${uid},ou=People,${BASE_DN}`,
    '(objectClass=*)',
    ['userCertificate;binary'],
    'base',
  );
  return [...ldif.matchAll(/^userCertificate;binary:: (\S+)$/gm)].map((m) => m[1]);
}

/**
 * The SID in the 1.3.6.1.4.1.311.25.2 extension, read with `openssl asn1parse`: the
 * extension's OCTET STRING is parsed (-strparse), and the innermost OCTET STRING holds
 * the SID text (MS-WCCE §2.2.2.7.7.4).
 */
function sidExtensionOf(der: Buffer): string | undefined {
  const file = tmpFile(der, 'cert.der');
  const top = openssl(['asn1parse', '-inform', 'DER', '-in', file]).stdout.split('\n');
  const at = top.findIndex((l) => l.includes(':1.3.6.1.4.1.311.25.2'));
  const offset = /^\s*(\d+):/.exec(top[at + 1] ?? '')?.[1];
  if (!offset) return undefined;
  const inner = openssl(['asn1parse', '-inform', 'DER', '-in', file, '-strparse', offset]).stdout;
  const hex =
    /OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)/.exec(inner)?.[1] ?? /OCTET STRING\s+:(S-1-[\d-]+)/.exec(inner)?.[1];
  if (!hex) return undefined;
  return hex.startsWith('S-1-') ? hex : Buffer.from(hex, 'hex').toString('ascii');
}

describe('issuance with the LDAP directory', () => {
  let slapd: Slapd;
  let t: Tessera;
  let chainPem: string;
  const warnings: string[] = [];
  beforeAll(async () => {
    slapd = await startSlapd();
    const dir = await ldapDataDir(slapd, 'openldap', { publish: true });
    t = await Tessera.open(dir, { log: { warn: (_o, msg) => warnings.push(msg) } });
    chainPem = t
      .chain()
      .map((c) => toPem(c, 'CERTIFICATE'))
      .join('');
    // Enroll for Smartcard User by group name, for Smartcard Logon by group DN.
    await setTemplateGrant(t, LOCAL, 'SmartcardUser', 'Smartcard Users', true);
    await setTemplateGrant(t, LOCAL, 'SmartcardLogon', G('Help Desk'), true);
  });
  afterAll(async () => {
    await t?.close();
    await slapd?.close();
  });

  const signIn = (name: string) => t.directory.authenticate(name, PASSWORDS[name]);
  const enroll = async (user: DirectoryUser, template = 'SmartcardUser') =>
    submit(t, { request: opensslCsr('P-256').csr, template, requester: user, source: 'test' });

  it('opens the LDAP directory from tessera.json and refuses to grant Enroll to a group the directory lacks', async () => {
    expect(t.directory).toBeInstanceOf(LdapDirectory);
    const err = await setTemplateGrant(t, LOCAL, 'SmartcardUser', 'No Such Group', true).catch((e) => e);
    expect(err.code).toBe('TEMPLATE_INVALID');
  });

  it('offers templates by (nested) group membership', async () => {
    const templates = await t.templates.list();
    const bob = await signIn('bob');
    const alice = await signIn('alice');
    const carol = await signIn('carol');
    expect(templates.filter((tpl) => mayEnroll(alice, tpl)).map((x) => x.name)).toContain('SmartcardUser');
    expect(templates.filter((tpl) => mayEnroll(alice, tpl)).map((x) => x.name)).not.toContain('SmartcardLogon');
    // bob: Help Desk directly (DN grant), Smartcard Users through Help Desk (name grant).
    expect(templates.filter((tpl) => mayEnroll(bob, tpl)).map((x) => x.name)).toEqual(
      expect.arrayContaining(['SmartcardUser', 'SmartcardLogon']),
    );
    expect(templates.filter((tpl) => mayEnroll(carol, tpl))).toEqual([]);
  });

  it('issues alice a Smartcard User certificate carrying her directory names and SID', async () => {
    const alice = await signIn('alice');
    const r = await enroll(alice);
    expect(r.disposition).toBe('issued');
    expect(verifyCert(r.certificate!, chainPem).stdout).toContain('OK');
    const text = certText(r.certificate!);
    expect(text).toMatch(
      /Subject: DC\s?=\s?test, DC\s?=\s?example, OU\s?=\s?People, UID\s?=\s?alice, emailAddress\s?=\s?alice@example.test/,
    );
    expect(text).toContain('othername: UPN::alice@example.test');
    expect(text).toContain('email:alice@example.test');
    // KB5014754: the SID extension (1.3.6.1.4.1.311.25.2) with alice's objectSid/sambaSID.
    expect(text).toContain('1.3.6.1.4.1.311.25.2');
    expect(sidExtensionOf(r.certificate!)).toBe(`${DOMAIN_SID}-1105`);
  });

  it('issues bob, a member through a nested group; denies carol (no groups) and dave (disabled)', async () => {
    const bob = await signIn('bob');
    expect((await enroll(bob)).disposition).toBe('issued');
    expect((await enroll(bob, 'SmartcardLogon')).disposition).toBe('issued');
    const carol = await signIn('carol');
    const denied = await enroll(carol);
    expect([denied.disposition, denied.code]).toEqual(['denied', 'ENROLL_DENIED']);
    // dave cannot sign in; an old session of his is denied at policy with fresh directory facts.
    const dave = (await t.directory.findUser('dave'))!;
    const r = await enroll(dave);
    expect([r.disposition, r.code]).toEqual(['denied', 'USER_DISABLED']);
  });

  it('puts a DN with an escaped comma into the certificate subject as one RDN', async () => {
    const oneil = await signIn('oneil');
    const r = await enroll(oneil);
    expect(r.disposition).toBe('issued');
    expect(certText(r.certificate!)).toMatch(/CN\s?=\s?"?Shaun O'Neil, Jr\. \(Ops\)"?, emailAddress/);
  });

  it('publishes the issued certificate to userCertificate;binary and removes it on revocation', async () => {
    const frank = await signIn('frank');
    const r = await enroll(frank);
    expect(r.disposition).toBe('issued');
    const b64 = r.certificate!.toString('base64');
    await eventually(() => publishedOn(slapd, 'frank').includes(b64));
    await revoke(t, LOCAL, r.serial!, 'certificateHold');
    await eventually(() => !publishedOn(slapd, 'frank').includes(b64));
    // Released from hold: valid again, published again.
    await release(t, LOCAL, r.serial!);
    await eventually(() => publishedOn(slapd, 'frank').includes(b64));
    await revoke(t, LOCAL, r.serial!, 'keyCompromise');
    await eventually(() => !publishedOn(slapd, 'frank').includes(b64));
    expect(warnings.filter((w) => w.includes('giving up'))).toEqual([]);
  });

  it('keeps earlier certificates published next to new ones', async () => {
    const alice = await signIn('alice');
    const a = await enroll(alice);
    const b = await enroll(alice);
    await eventually(() => {
      const on = publishedOn(slapd, 'alice');
      return on.includes(a.certificate!.toString('base64')) && on.includes(b.certificate!.toString('base64'));
    });
  });
});
