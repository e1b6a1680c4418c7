/**
 * `directory` settings for LDAP: refused at start when insecure, mistyped or holding a
 * password; defaults per flavor; the factory reading the password from the environment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config, LdapSettings } from '../../config/Config.js';
import { configProblems } from '../../config/loadConfig.js';
import { LdapDirectory } from './LdapDirectory.js';
import { adBindSubcode, AD_DISABLED_SUBCODES } from './ldapErrors.js';
import { isLoopbackHost, ldapSettingsProblems, resolveLdapSettings } from './ldapSettings.js';
import { openLdapDirectory } from './openLdapDirectory.js';
import { TesseraError } from '../../errors/TesseraError.js';

const AD: LdapSettings = {
  flavor: 'activeDirectory',
  url: 'ldaps://dc1.corp.example.com',
  bindDn: 'CN=svc-tessera,OU=Service Accounts,DC=corp,DC=example,DC=com',
  bindPasswordEnv: 'TESSERA_LDAP_PASSWORD',
  baseDn: 'DC=corp,DC=example,DC=com',
};
const problems = (over: Record<string, unknown>) => ldapSettingsProblems({ ...AD, ...over } as LdapSettings);

describe('ldapSettingsProblems', () => {
  it('accepts a minimal Active Directory configuration', () => {
    expect(problems({})).toEqual([]);
    expect(
      problems({
        url: ['ldap://dc1.corp.example.com', 'ldap://dc2.corp.example.com:389'],
        caFile: 'corp-root.pem',
        tlsServerName: 'dc.corp.example.com',
      }),
    ).toEqual([]);
  });

  it('refuses a password in the file, naming the environment variable setting instead', () => {
    for (const key of ['bindPassword', 'password', 'bindSecret']) {
      const p = problems({ [key]: 'hunter2' });
      expect(p.join()).toContain('bindPasswordEnv');
      expect(p.join()).not.toContain('hunter2');
    }
    expect(problems({ bindPasswordEnv: 'not a variable' }).join()).toContain('bindPasswordEnv');
  });

  it('refuses plain LDAP unless allowed, and allows it only on loopback', () => {
    expect(problems({ url: 'ldap://dc1.corp.example.com', startTls: false }).join()).toMatch(/clear text/);
    expect(problems({ url: 'ldap://dc1.corp.example.com', startTls: false, allowPlaintext: true }).join()).toMatch(
      /loopback/,
    );
    expect(
      problems({
        url: ['ldap://127.0.0.1:3389', 'ldap://dc1.corp.example.com'],
        startTls: false,
        allowPlaintext: true,
      }).join(),
    ).toMatch(/loopback/);
    expect(problems({ url: 'ldap://127.0.0.1:3389', startTls: false, allowPlaintext: true })).toEqual([]);
    expect(problems({ url: 'ldap://localhost', startTls: false, allowPlaintext: true })).toEqual([]);
    expect(problems({ url: 'ldap://[::1]:389', startTls: false, allowPlaintext: true })).toEqual([]);
    // allowPlaintext alone changes nothing: ldap:// still upgrades with StartTLS.
    expect(
      resolveLdapSettings({ ...AD, url: 'ldap://dc1.corp.example.com', allowPlaintext: true }, { dnsName: 'x.y' })
        .transport,
    ).toBe('startTls');
  });

  it('refuses mistakes with the setting named', () => {
    expect(problems({ startTLS: true })[0]).toMatch(/^directory\.startTLS: not a setting/);
    expect(problems({ flavor: 'novell' })[0]).toMatch(/flavor/);
    expect(problems({ url: 'http://dc1' })[0]).toMatch(/ldaps:\/\/ or ldap:\/\//);
    expect(problems({ url: 'ldaps://dc1/DC=corp,DC=example' })[0]).toMatch(/baseDn/);
    expect(problems({ url: ['ldaps://dc1', 'ldap://dc2'] }).join()).toMatch(/not both/);
    expect(problems({ url: 'ldaps://dc1', startTls: true }).join()).toMatch(/TLS already/);
    expect(problems({ baseDn: 'corp.example.com' })[0]).toMatch(/baseDn/);
    expect(problems({ groupBaseDn: 'OU=Groups,,DC=corp' })[0]).toMatch(/groupBaseDn/);
    expect(problems({ userFilter: 'objectClass=user' })[0]).toMatch(/userFilter/);
    expect(problems({ groupFilter: '(objectClass=group' })[0]).toMatch(/groupFilter/);
    expect(problems({ attributes: { username: 'sAMAccountName)(x' } })[0]).toMatch(/attributes\.username/);
    expect(problems({ attributes: { uid: 'uid' } })[0]).toMatch(/attributes\.uid: not a mapped role/);
    expect(problems({ attributes: { sidFormat: 'hex' } })[0]).toMatch(/sidFormat/);
    expect(problems({ disabled: { attribute: 'userAccountControl' } })[0]).toMatch(/either bitmask/);
    expect(problems({ disabled: { attribute: 'userAccountControl', bitmask: 2, values: ['x'] } })[0]).toMatch(
      /either bitmask/,
    );
    expect(problems({ nestedGroups: 'deep' })[0]).toMatch(/nestedGroups/);
    expect(problems({ maxGroupDepth: 0 })[0]).toMatch(/maxGroupDepth/);
    expect(problems({ timeouts: { operationMs: 10 } })[0]).toMatch(/timeouts/);
    expect(problems({ pool: { size: 1000 } })[0]).toMatch(/pool/);
    expect(problems({ upnSuffix: 'not a domain' })[0]).toMatch(/upnSuffix/);
    expect(problems({ publishAttribute: 'userCertificate;;binary' })[0]).toMatch(/publishAttribute/);
  });

  it('is part of configProblems for directory.type "ldap"', () => {
    const config = { directory: { type: 'ldap', ...AD, bindPassword: 'x' } } as unknown as Config;
    expect(configProblems(config).join('\n')).toContain('directory.bindPassword');
  });

  it('fills in per-flavor defaults', () => {
    const ad = resolveLdapSettings(AD, { dnsName: 'corp.example.com' });
    expect(ad).toMatchObject({
      transport: 'ldaps',
      userBaseDn: AD.baseDn,
      userFilter: '(&(objectCategory=person)(objectClass=user))',
      nestedGroups: 'auto',
      publishAttribute: 'userCertificate',
      disabled: { attribute: 'userAccountControl', bitmask: 2 },
    });
    expect(ad.attributes).toMatchObject({
      username: 'sAMAccountName',
      upn: 'userPrincipalName',
      sid: 'objectSid',
      sidFormat: 'binary',
      createdAt: 'whenCreated',
      primaryGroupId: 'primaryGroupID',
    });
    const ol = resolveLdapSettings(
      { ...AD, flavor: 'openldap', url: 'ldap://ldap.example.com', attributes: { upn: 'mail' } },
      { dnsName: 'example.com' },
    );
    expect(ol).toMatchObject({
      transport: 'startTls',
      nestedGroups: 'walk',
      publishAttribute: 'userCertificate;binary',
      upnSuffix: 'example.com',
    });
    expect(ol.attributes).toMatchObject({
      username: 'uid',
      upn: 'mail',
      sid: 'sambaSID',
      sidFormat: 'string',
      createdAt: 'createTimestamp',
    });
  });

  it('recognises loopback hosts', () => {
    expect(['127.0.0.1', '127.10.0.1', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', 'dc1', '127.0.0.1.example.com', '::ffff:10.0.0.1'].some(isLoopbackHost)).toBe(false);
  });
});

describe('openLdapDirectory', () => {
  const config = (d: Partial<LdapSettings>) =>
    ({
      domain: { name: 'CORP', dnsName: 'corp.example.com', sid: 'S-1-5-21-1-2-3' },
      directory: { type: 'ldap', ...AD, ...d },
    }) as unknown as Config;

  it('reads the service password from the named environment variable and does not connect yet', async () => {
    const d = await openLdapDirectory(config({}), { env: { TESSERA_LDAP_PASSWORD: 's3cret' } });
    expect(d).toBeInstanceOf(LdapDirectory);
    expect(JSON.stringify((d as LdapDirectory).settings)).not.toContain('s3cret');
    await d.close();
  });

  it('stops with CONFIG_INVALID when the variable is unset or the CA file is unusable', async () => {
    const missing = await openLdapDirectory(config({}), { env: {} }).catch((e) => e as TesseraError);
    expect((missing as TesseraError).code).toBe('CONFIG_INVALID');
    expect((missing as TesseraError).detail).toContain('TESSERA_LDAP_PASSWORD');
    const dir = mkdtempSync(join(tmpdir(), 'tessera-ldapcfg-'));
    writeFileSync(join(dir, 'not-a-cert.pem'), 'hello');
    for (const caFile of ['does-not-exist.pem', 'not-a-cert.pem']) {
      const e = await openLdapDirectory(config({ caFile }), {
        env: { TESSERA_LDAP_PASSWORD: 'x' },
        baseDir: dir,
      }).catch((x) => x as TesseraError);
      expect((e as TesseraError).code, caFile).toBe('CONFIG_INVALID');
    }
  });
});

describe('Active Directory bind diagnostics', () => {
  // Diagnostic messages as AD returns them with resultCode 49 (invalidCredentials).
  it.each([
    ['80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data 52e, v893', '52e', false],
    ['80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 533, v4563', '533', true],
    ['80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data 701, v893', '701', true],
    ['80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data 775, v893', '775', false],
    ['80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data 525, v893', '525', false],
  ])('%s → data %s (disabled: %s)', (message, code, disabled) => {
    expect(adBindSubcode(new Error(message))).toBe(code);
    expect(AD_DISABLED_SUBCODES.has(code)).toBe(disabled);
  });

  it('finds no sub-code in OpenLDAP messages', () => {
    expect(adBindSubcode(new Error('Invalid credentials'))).toBeUndefined();
  });
});

describe('LdapDirectory constructor', () => {
  it('validates its settings too, so no code path gets plain binds to a remote server', () => {
    const make = (over: Partial<LdapSettings>) => () =>
      new LdapDirectory({
        settings: { ...AD, ...over },
        domain: { name: 'CORP', dnsName: 'corp.example.com' },
        bindPassword: 'x',
      });
    expect(make({ url: 'ldap://dc1.corp.example.com', startTls: false, allowPlaintext: true })).toThrow(TesseraError);
    expect(
      () =>
        new LdapDirectory({ settings: AD, domain: { name: 'CORP', dnsName: 'corp.example.com' }, bindPassword: '' }),
    ).toThrow(TesseraError);
  });
});
