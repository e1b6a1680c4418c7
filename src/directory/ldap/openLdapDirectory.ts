/**
 * LDAP / Active Directory from tessera.json: the service account password from the
 * environment variable the configuration names, the CA file for the directory's TLS
 * certificate from the data directory. Problems stop Tessera at start (CONFIG_INVALID);
 * the directory being down does not — it is reached lazily and recovers by itself.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Config, LdapSettings } from '../../config/Config.js';
import { TesseraError } from '../../errors/TesseraError.js';
import type { Directory } from '../Directory.js';
import type { LdapLogger } from './LdapConnectionPool.js';
import { LdapDirectory } from './LdapDirectory.js';
import { ldapSettingsProblems } from './ldapSettings.js';

export interface OpenLdapOptions {
  /** Where relative paths (caFile) are resolved; the data directory. */
  readonly baseDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: LdapLogger;
}

export function ldapSettingsOf(config: Config): LdapSettings {
  if (config.directory.type !== 'ldap') throw new TesseraError('CONFIG_INVALID', 'directory.type is not "ldap"');
  const { type: _type, ...settings } = config.directory;
  return settings;
}

export async function openLdapDirectory(config: Config, opts: OpenLdapOptions = {}): Promise<Directory> {
  const settings = ldapSettingsOf(config);
  const problems = ldapSettingsProblems(config.directory as LdapSettings);
  if (problems.length) throw new TesseraError('CONFIG_INVALID', problems.join('; '));
  const env = opts.env ?? process.env;
  const bindPassword = env[settings.bindPasswordEnv];
  if (!bindPassword)
    throw new TesseraError(
      'CONFIG_INVALID',
      'directory.bindPasswordEnv: the environment variable ' +
        `${settings.bindPasswordEnv} (the LDAP service account password) is not set`,
    );
  let ca: Buffer | undefined;
  if (settings.caFile) {
    const path = isAbsolute(settings.caFile) ? settings.caFile : resolve(opts.baseDir ?? '.', settings.caFile);
    try {
      ca = readFileSync(path);
    } catch (e) {
      throw new TesseraError(
        'CONFIG_INVALID',
        `directory.caFile: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
      throw new TesseraError('CONFIG_INVALID', `directory.caFile: ${path} holds no PEM certificate`);
  }
  return new LdapDirectory({ settings, domain: config.domain, bindPassword, ca, log: opts.log });
}
