/**
 * `tessera check`: the built-in self-audit (docs/security.md §3). Gathers the
 * facts of a data directory — stored templates as they are, agent restrictions, role
 * memberships, key files and modes, CRLs, the OCSP responder certificate, the plain-HTTP
 * listener — and evaluates the rules (evaluateAudit.ts).
 *
 * It reads the store directly rather than through Tessera's template catalogue, so that a
 * template written past validation is still seen and judged: Tessera itself refuses to
 * open such a data directory, which is reported as its own finding.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { readCaCertificate } from '../ca/CaCertificate.js';
import type { Config, RoleGroups } from '../config/Config.js';
import { dataPaths, type DataPaths } from '../config/dataPaths.js';
import { loadConfig } from '../config/loadConfig.js';
import { asTesseraError } from '../errors/TesseraError.js';
import { readAuditKey } from '../keys/auditKey.js';
import { OCSP_SIGNING_TEMPLATE } from '../ra/ocspSigningKeys.js';
import { Store } from '../store/Store.js';
import { templateProblems } from '../template/validateTemplate.js';
import type { Template } from '../template/Template.js';
import type { Tessera } from '../Tessera.js';
import type { AuditFacts, CaFacts, HttpListenerFacts, RoleMember, UnsafeFile } from './AuditFacts.js';
import { evaluateAudit } from './evaluateAudit.js';
import type { SelfAuditReport } from './Finding.js';
import { probeHttpListener } from './probeHttpListener.js';

export interface SelfAuditOptions {
  /** The clock for CRL, OCSP signer and CA validity checks (default: now). */
  readonly now?: Date;
  /** How to open the data directory as the server would; its failure is the `startup` finding. */
  readonly open: () => Promise<Tessera>;
}

/** Audit the data directory at `dataDir`. Fails only when not even its configuration and database can be read. */
export async function selfAudit(dataDir: string, o: SelfAuditOptions): Promise<SelfAuditReport> {
  const paths = dataPaths(dataDir);
  const now = o.now ?? new Date();
  let tessera: Tessera | undefined;
  let startupError: string | undefined;
  try {
    tessera = await o.open();
  } catch (e) {
    const err = asTesseraError(e);
    startupError = `${err.describe()} [${err.code}]`;
  }
  if (tessera)
    return evaluateAudit(
      await gatherAuditFacts({
        config: tessera.config,
        paths,
        store: tessera.store,
        now,
        http: () => probeHttpListener(tessera!),
      }),
    );
  // Tessera would not open: read what can be read, without the checks that refuse it.
  const config = await loadConfig(paths.config);
  const store = await Store.open(
    config.database.includes('://') ? config.database : paths.sqlite(config.database),
    await readAuditKey(paths.auditKey),
  );
  try {
    const facts = await gatherAuditFacts({
      config,
      paths,
      store,
      now,
      http: async () => ({ status: 'skipped', reason: 'Tessera did not open the data directory (see startup)' }),
    });
    return evaluateAudit({ ...facts, startupError });
  } finally {
    await store.close();
  }
}

interface GatherInput {
  readonly config: Config;
  readonly paths: DataPaths;
  readonly store: Store;
  readonly now: Date;
  readonly http: () => Promise<HttpListenerFacts>;
}

export async function gatherAuditFacts(g: GatherInput): Promise<AuditFacts> {
  const { config, paths, store } = g;
  const templates = (await store.templates.list()).map((r) => ({
    name: r.name,
    definition: r.definition,
    problems: problemsOf(r.definition),
  }));
  const embedded = config.directory.type === 'embedded';
  let roleMembers: AuditFacts['roleMembers'] = null;
  let enabledUsers: number | null = null;
  if (embedded) {
    const users = await store.users.list();
    const enabled = new Map(users.map((u) => [u.username.toLowerCase(), u.enabled]));
    enabledUsers = users.filter((u) => u.enabled).length;
    const membersOf = async (group: string): Promise<RoleMember[]> => {
      const rec = await store.groups.byName(group);
      if (!rec) return [];
      return (await store.groups.members(rec.id)).map((m) => ({
        username: m.username,
        enabled: enabled.get(m.username.toLowerCase()) ?? false,
      }));
    };
    const roles = Object.keys(config.roles) as (keyof RoleGroups)[];
    roleMembers = Object.fromEntries(
      await Promise.all(roles.map(async (r) => [r, await membersOf(config.roles[r])])),
    ) as NonNullable<AuditFacts['roleMembers']>;
  }
  const cas: CaFacts[] = [];
  for (const entry of config.cas) {
    const rec = await store.cas.get(entry.id);
    if (!rec) continue; // Tessera.open reports a configured CA missing from the database (startup).
    const cert = readCaCertificate(rec.certificate);
    cas.push({
      id: entry.id,
      role: entry.role,
      keyStore: entry.keyStore,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      full: await store.crls.latest(entry.id, 'full'),
      delta: await store.crls.latest(entry.id, 'delta'),
    });
  }
  const signer = (await store.crls.serviceCertificates(config.issuingCa, OCSP_SIGNING_TEMPLATE))[0];
  const root = config.cas.find((ca) => ca.role === 'root' && ca.id !== config.issuingCa);
  const rootKeyFile = root?.keyStore === 'file' ? paths.caKey(root.id) : undefined;
  return {
    now: g.now,
    config,
    templates,
    restrictions: await store.agentRestrictions.list(),
    roleMembers,
    enabledUsers,
    files: {
      rootKey: rootKeyFile && existsSync(rootKeyFile) ? relative(paths.dir, rootKeyFile) : null,
      passphraseFile: existsSync(paths.passphrase),
      caKeyFiles: config.cas.some((ca) => ca.keyStore === 'file'),
      unsafe: await unsafeFiles(paths, config),
    },
    cas,
    ocspSigner: signer ? { serial: signer.serial, notBefore: signer.notBefore, notAfter: signer.notAfter } : null,
    httpListener: await g.http(),
  };
}

function problemsOf(definition: unknown): string[] {
  if (!definition || typeof definition !== 'object') return ['a template is a JSON object'];
  try {
    return templateProblems(definition as Template);
  } catch (e) {
    return [`structure: ${(e as Error).message}`];
  }
}

/**
 * Modes that let other local users in: the keys directory and its files, the TLS key,
 * readable or writable by group or others; the data directory, tessera.json and the
 * SQLite database writable by them (whoever writes those rewrites templates and roles).
 */
async function unsafeFiles(paths: DataPaths, config: Config): Promise<UnsafeFile[]> {
  if (process.platform === 'win32') return [];
  const out: UnsafeFile[] = [];
  const check = async (file: string, mask: number, problem: string) => {
    try {
      const st = await stat(file);
      if (st.mode & mask) out.push({ path: relative(paths.dir, file) || '.', mode: st.mode & 0o7777, problem });
    } catch {
      /* absent: nothing to protect */
    }
  };
  await check(paths.dir, 0o022, 'writable by other users');
  await check(paths.config, 0o022, 'writable by other users');
  if (!config.database.includes('://')) {
    for (const suffix of ['', '-wal', '-shm'])
      await check(paths.sqlite(config.database) + suffix, 0o022, 'writable by other users');
  }
  await check(paths.keys, 0o077, 'open to other users');
  try {
    for (const f of await readdir(paths.keys)) await check(`${paths.keys}/${f}`, 0o077, 'readable by other users');
  } catch {
    /* no keys directory */
  }
  await check(paths.tls, 0o077, 'open to other users');
  await check(paths.tlsKey, 0o077, 'readable by other users');
  return out;
}
