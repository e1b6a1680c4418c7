/**
 * `tessera directory configure-ldap / test / configure-embedded` against slapd: the
 * configuration is checked before it is written, never holds the password, and `test`
 * shows what Tessera sees of a user (and checks a password read from standard input).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../src/config/dataPaths.js';
import { initDataDir } from '../../src/setup/initDataDir.js';
import { cli } from '../cli/runCli.js';
import { tmpDir } from '../support/openssl.js';
import { BASE_DN, PASSWORDS, SERVICE_DN, startSlapd, type Slapd } from '../support/slapd.js';

describe('tessera directory', () => {
  let slapd: Slapd;
  let dir: string;
  const config = () => readFileSync(dataPaths(dir).config, 'utf8');
  const configure = (...extra: string[]) =>
    cli(dir, [
      '--json',
      'directory',
      'configure-ldap',
      '--flavor',
      'openldap',
      '--url',
      slapd.ldapUrl,
      '--bind-dn',
      SERVICE_DN,
      '--bind-password-env',
      'TESSERA_TEST_LDAP_PASSWORD',
      '--base-dn',
      BASE_DN,
      '--user-base-dn',
      `ou=People,${BASE_DN}`,
      '--group-base-dn',
      `ou=Groups,${BASE_DN}`,
      '--ca-file',
      slapd.caFile,
      ...extra,
    ]);

  beforeAll(async () => {
    slapd = await startSlapd();
    dir = tmpDir('tessera-dircli-');
    await initDataDir({
      dataDir: dir,
      keyAlgorithm: 'P-256',
      rootKeyAlgorithm: 'P-256',
      domain: 'EXAMPLE',
      dnsDomain: 'example.test',
      hostnames: ['localhost'],
      publicUrl: 'http://pki.example.test',
    });
    process.env.TESSERA_TEST_LDAP_PASSWORD = slapd.servicePassword;
  });
  afterAll(async () => slapd?.close());

  it('refuses an insecure configuration and leaves tessera.json as it was', async () => {
    const before = config();
    const r = await configure('--no-start-tls');
    expect(r.status).toBe(1);
    expect(r.error().code).toBe('CONFIG_INVALID');
    expect(r.error().detail).toMatch(/clear text/);
    expect(config()).toBe(before);
  });

  it('does not save settings that cannot connect with --check', async () => {
    const before = config();
    const r = await configure('--check', '--tls-server-name', 'dc1.example.test');
    expect(r.status).toBe(1);
    expect(r.error().code).toBe('DIRECTORY_UNAVAILABLE');
    expect(config()).toBe(before);
  });

  it('writes checked LDAP settings, naming the password variable and never the password', async () => {
    const r = await configure('--check', '--publish');
    expect(r.status, r.stderr).toBe(0);
    const out = r.json();
    expect(out.connection).toMatchObject({
      transport: 'startTls',
      nesting: 'walk',
      userBaseDn: `ou=People,${BASE_DN}`,
    });
    // The role groups of `tessera init` do not exist in this directory; the command says so.
    expect(out.missingRoleGroups).toContain('CA Administrators');
    const written = JSON.parse(config());
    expect(written.directory).toMatchObject({
      type: 'ldap',
      flavor: 'openldap',
      bindPasswordEnv: 'TESSERA_TEST_LDAP_PASSWORD',
      publish: true,
    });
    expect(config()).not.toContain(slapd.servicePassword);
  });

  it('tests the connection and shows a user as Tessera sees them', async () => {
    const r = await cli(dir, ['--json', 'directory', 'test', '--user', 'bob']);
    expect(r.status, r.stderr).toBe(0);
    const out = r.json();
    expect(out.kind).toBe('ldap');
    expect(out.user).toMatchObject({ username: 'bob', upn: 'bob@example.test', enabled: true });
    expect(out.user.groups).toEqual(expect.arrayContaining(['Help Desk', 'Smartcard Users']));
    const human = await cli(dir, ['directory', 'test', '--user', 'alice']);
    expect(human.stdout).toContain('nested groups: walk');
    expect(human.stdout).toMatch(/SID:\s+S-1-5-21-1004336348-1177238915-682003330-1105/);
  });

  it('checks a password from standard input', async () => {
    expect(
      (
        await cli(dir, ['--json', 'directory', 'test', '--user', 'alice', '--password-stdin'], {
          stdin: `${PASSWORDS.alice}\n`,
        })
      ).status,
    ).toBe(0);
    const bad = await cli(dir, ['--json', 'directory', 'test', '--user', 'alice', '--password-stdin'], {
      stdin: 'wrong\n',
    });
    expect(bad.status).toBe(1);
    expect(bad.error().code).toBe('AUTH_FAILED');
    const unknown = await cli(dir, ['--json', 'directory', 'test', '--user', 'nobody']);
    expect(unknown.error().code).toBe('USER_UNKNOWN');
  });

  it('reports the directory being down as DIRECTORY_UNAVAILABLE', async () => {
    await slapd.stop();
    try {
      const r = await cli(dir, ['--json', 'directory', 'test']);
      expect(r.status).toBe(1);
      expect(r.error().code).toBe('DIRECTORY_UNAVAILABLE');
    } finally {
      await slapd.start();
    }
  });

  it('goes back to the embedded directory', async () => {
    expect((await cli(dir, ['--json', 'directory', 'configure-embedded'])).status).toBe(0);
    expect(JSON.parse(config()).directory).toEqual({ type: 'embedded' });
    expect((await cli(dir, ['--json', 'directory', 'test'])).json().kind).toBe('embedded');
  });
});
