/**
 * LdapDirectory instances pointed at the suite's slapd, and a Tessera data directory
 * configured for LDAP in tessera.json (the path production takes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { LdapSettings } from '../../src/config/Config.js';
import { dataPaths } from '../../src/config/dataPaths.js';
import { LdapDirectory } from '../../src/directory/ldap/LdapDirectory.js';
import { TesseraError } from '../../src/errors/TesseraError.js';
import { initDataDir } from '../../src/setup/initDataDir.js';
import { tmpDir } from '../support/openssl.js';
import { BASE_DN, SERVICE_DN, type Slapd } from '../support/slapd.js';

export const DOMAIN = { name: 'EXAMPLE', dnsName: 'example.test' } as const;

export interface LogLine {
  readonly obj: object;
  readonly msg: string;
}

/** Settings for the suite's slapd: StartTLS on ldap:// with the throwaway CA, short timeouts. */
export function ldapSettings(
  slapd: Slapd,
  flavor: LdapSettings['flavor'],
  over: Partial<LdapSettings> = {},
): LdapSettings {
  return {
    flavor,
    url: slapd.ldapUrl,
    caFile: slapd.caFile,
    bindDn: SERVICE_DN,
    bindPasswordEnv: 'TESSERA_TEST_LDAP_PASSWORD',
    baseDn: BASE_DN,
    userBaseDn: `ou=People,${BASE_DN}`,
    groupBaseDn: `ou=Groups,${BASE_DN}`,
    // The test tree's users carry both inetOrgPerson and the AD-like auxiliary class.
    ...(flavor === 'activeDirectory'
      ? { userFilter: '(&(objectCategory=person)(objectClass=user))', groupFilter: '(objectClass=group)' }
      : {}),
    timeouts: { connectMs: 2000, operationMs: 2000 },
    ...over,
  };
}

export function newDirectory(
  slapd: Slapd,
  flavor: LdapSettings['flavor'],
  over: Partial<LdapSettings> = {},
  extra: { ca?: string | null; password?: string; log?: LogLine[] } = {},
): LdapDirectory {
  const settings = ldapSettings(slapd, flavor, over);
  const log = extra.log;
  return new LdapDirectory({
    settings,
    domain: DOMAIN,
    bindPassword: extra.password ?? slapd.servicePassword,
    ca: extra.ca === null ? undefined : (extra.ca ?? readFileSync(settings.caFile ?? slapd.caFile, 'utf8')),
    log: { warn: (obj, msg) => log?.push({ obj, msg }) },
  });
}

/**
 * A new data directory whose tessera.json points at the suite's slapd; open it with
 * Tessera.open (the service password comes from TESSERA_TEST_LDAP_PASSWORD).
 */
export async function ldapDataDir(
  slapd: Slapd,
  flavor: LdapSettings['flavor'],
  over: Partial<LdapSettings> = {},
): Promise<string> {
  const dir = tmpDir('tessera-ldap-data-');
  await initDataDir({
    dataDir: dir,
    caName: 'LDAP Test',
    organization: 'Tessera LDAP Tests',
    keyAlgorithm: 'P-256',
    rootKeyAlgorithm: 'P-256',
    domain: DOMAIN.name,
    dnsDomain: DOMAIN.dnsName,
    publicUrl: 'http://pki.example.test',
    hostnames: ['localhost'],
  });
  const path = dataPaths(dir).config;
  const config = JSON.parse(readFileSync(path, 'utf8'));
  config.directory = { type: 'ldap', ...ldapSettings(slapd, flavor, over) };
  writeFileSync(path, JSON.stringify(config, null, 2));
  process.env.TESSERA_TEST_LDAP_PASSWORD = slapd.servicePassword;
  return dir;
}

/** How a promise failed: the TesseraError, its code and detail, and how long it took. */
export async function failure(
  p: Promise<unknown>,
): Promise<{ err: TesseraError; code: string; detail: string; ms: number }> {
  const started = performance.now();
  try {
    await p;
  } catch (e) {
    if (!(e instanceof TesseraError)) throw e;
    return { err: e, code: e.code, detail: e.detail ?? '', ms: performance.now() - started };
  }
  throw new Error('expected a failure');
}

/** The error code a promise fails with, or "resolved". */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TesseraError) return e.code;
    throw e;
  }
  return 'resolved';
}

/** Poll until `check` holds (exit modules run after the call that triggered them returns). */
export async function eventually(check: () => boolean, ms = 8000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
