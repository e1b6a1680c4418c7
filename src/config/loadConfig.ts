import { readFile, writeFile, rename } from 'node:fs/promises';
import { TesseraError } from '../errors/TesseraError.js';
import { isSid } from '../x509/generalNames.js';
import type { Config } from './Config.js';
import { ldapSettingsProblems } from '../directory/ldap/ldapSettings.js';
import { signinSettingsProblems } from './signinSettings.js';
import { monitoringSettingsProblems } from './monitoringSettings.js';
import { webSettingsProblems } from './webSettings.js';

export const DATABASE_ENV = 'TESSERA_DATABASE_URL';

/** Problems in a configuration, each naming the setting. */
export function configProblems(c: Config): string[] {
  const p: string[] = [];
  if (c.version !== 1) p.push('version: must be 1');
  if (!c.organization) p.push('organization: required');
  if (!c.domain || !/^[A-Za-z][A-Za-z0-9-]{0,14}$/.test(c.domain.name))
    p.push('domain.name: a NetBIOS-style name (letters, digits, "-", at most 15)');
  if (!c.domain || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(c.domain.dnsName))
    p.push('domain.dnsName: a DNS domain such as tessera.local');
  if (!c.domain || !isSid(c.domain.sid) || !c.domain.sid.startsWith('S-1-5-21-'))
    p.push('domain.sid: a domain SID S-1-5-21-x-y-z');
  if (!c.database) p.push('database: a SQLite file name or a postgres:// URL');
  for (const [k, u] of [
    ['publicUrl', c.publicUrl],
    ['siteUrl', c.siteUrl],
  ] as const) {
    try {
      const url = new URL(u);
      if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash) throw new Error();
    } catch {
      p.push(`${k}: an absolute http(s) URL without query`);
    }
  }
  if (!Array.isArray(c.cas) || c.cas.length === 0) p.push('cas: at least one CA');
  else {
    for (const ca of c.cas) {
      if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(ca.id))
        p.push(`cas: id "${ca.id}" must be lower-case letters, digits and "-"`);
      if (!['root', 'issuing'].includes(ca.role)) p.push(`cas.${ca.id}.role: root or issuing`);
      if (!['file', 'pkcs11'].includes(ca.keyStore)) p.push(`cas.${ca.id}.keyStore: file or pkcs11`);
      if (ca.keyStore === 'pkcs11' && (!ca.pkcs11?.module || !ca.pkcs11?.token || !ca.pkcs11?.label))
        p.push(`cas.${ca.id}.pkcs11: module, token and label`);
      if (
        ca.keyStore === 'pkcs11' &&
        ca.pkcs11?.pinEnv !== undefined &&
        !/^[A-Za-z_][A-Za-z0-9_]*$/.test(ca.pkcs11.pinEnv)
      )
        p.push(
          `cas.${ca.id}.pkcs11.pinEnv: the name of an environment variable (the PIN itself never goes in this file)`,
        );
    }
    // A template or the server naming a CA that does not exist is refused at start (Boulder).
    if (!c.cas.some((ca) => ca.id === c.issuingCa))
      p.push(`issuingCa: "${c.issuingCa}" is not one of the configured CAs`);
  }
  for (const r of ['caAdministrators', 'certificateManagers', 'auditors', 'enrollmentAgents'] as const) {
    if (!c.roles || typeof c.roles[r] !== 'string' || !c.roles[r]) p.push(`roles.${r}: a group name`);
  }
  if (c.roleSeparation !== undefined && typeof c.roleSeparation !== 'boolean')
    p.push('roleSeparation: true (the default) or false');
  if (!c.directory || !['embedded', 'ldap'].includes(c.directory.type)) p.push('directory.type: embedded or ldap');
  else if (c.directory.type === 'ldap') p.push(...ldapSettingsProblems(c.directory));
  const s = c.server;
  if (!s || !Number.isInteger(s.port) || s.port < 0 || s.port > 65535) p.push('server.port: 0–65535');
  if (!s || !Number.isInteger(s.httpPort) || s.httpPort < 0 || s.httpPort > 65535) p.push('server.httpPort: 0–65535');
  if (!s || !Array.isArray(s.hostnames) || s.hostnames.length === 0) p.push('server.hostnames: at least one name');
  const crl = c.crl;
  if (
    !crl ||
    !(crl.validityHours > 0) ||
    !(crl.overlapHours >= 0) ||
    !(crl.deltaValidityHours > 0) ||
    crl.overlapHours >= crl.validityHours
  ) {
    p.push('crl: validityHours > 0, deltaValidityHours > 0, 0 ≤ overlapHours < validityHours');
  }
  if (c.signin !== undefined) p.push(...signinSettingsProblems(c.signin));
  if (c.monitoring !== undefined) p.push(...monitoringSettingsProblems(c.monitoring));
  if (c.web !== undefined) p.push(...webSettingsProblems(c.web));
  return p;
}

export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TesseraError(
      'CONFIG_INVALID',
      code === 'ENOENT' ? `${path} does not exist; run \`tessera init\` first` : `cannot read ${path}: ${code}`,
    );
  }
  let c: Config;
  try {
    c = JSON.parse(text) as Config;
  } catch (e) {
    throw new TesseraError('CONFIG_INVALID', `${path} is not valid JSON: ${(e as Error).message}`);
  }
  const problems = configProblems(c);
  if (problems.length) throw new TesseraError('CONFIG_INVALID', `${path}: ${problems.join('; ')}`);
  const override = process.env[DATABASE_ENV];
  return override ? { ...c, database: override } : c;
}

export async function saveConfig(path: string, c: Config): Promise<void> {
  const problems = configProblems(c);
  if (problems.length) throw new TesseraError('CONFIG_INVALID', problems.join('; '));
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
