/**
 * One Tessera instance: configuration, store, directory, templates and the issuing CA,
 * opened from a data directory and checked for consistency before anything runs
 * (docs/development.md "Rules the code keeps" 3: refuse bad configuration at start, and say why).
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { readCaCertificate, type CaCertificate } from './ca/CaCertificate.js';
import { CertificateAuthority, type CaUrls } from './ca/CertificateAuthority.js';
import type { Config } from './config/Config.js';
import { dataPaths, type DataPaths } from './config/dataPaths.js';
import { loadConfig } from './config/loadConfig.js';
import type { Directory } from './directory/Directory.js';
import { EmbeddedDirectory } from './directory/EmbeddedDirectory.js';
import { TesseraError } from './errors/TesseraError.js';
import { ExitDispatcher, type ExitLogger } from './exit/ExitDispatcher.js';
import { readAuditKey } from './keys/auditKey.js';
import { openSigner } from './keys/openSigner.js';
import type { CaRecord } from './store/records.js';
import { Store } from './store/Store.js';
import { TemplateCatalog } from './template/TemplateCatalog.js';
import { describeKey } from './x509/publicKey.js';

export interface OpenOptions {
  /** Load the issuing CA's private key (servers and issuance); false for read-only tools. */
  readonly withIssuingKey?: boolean;
  /**
   * Refuse to open when a stored template is invalid (default). The CLI opens with false,
   * so the administrator can still repair the template (`tessera template set`); using the
   * invalid template stays refused, by TemplateCatalog.
   */
  readonly checkTemplates?: boolean;
  readonly log?: ExitLogger;
  /** A directory other than the configured one (tests, or LDAP wired by the caller). */
  readonly directory?: (store: Store, config: Config) => Promise<Directory> | Directory;
  readonly now?: () => Date;
  /**
   * The short-lived read caches of templates and directory lookups (TemplateCatalog,
   * EmbeddedDirectory; 2 s by default, and a change made through this instance is seen at
   * once): their time-to-live and clock, for tests.
   */
  readonly caches?: { readonly ttlMs?: number; readonly now?: () => number };
}

export function caUrls(config: Config, caId: string): CaUrls {
  const base = config.publicUrl.replace(/\/+$/, '');
  return { crl: [`${base}/pki/${caId}.crl`], caIssuers: `${base}/pki/${caId}.cer`, ocsp: `${base}/ocsp` };
}

export class Tessera {
  #issuing: CertificateAuthority | undefined;

  private constructor(
    readonly config: Config,
    readonly paths: DataPaths,
    readonly store: Store,
    readonly directory: Directory,
    readonly templates: TemplateCatalog,
    readonly cas: readonly CaRecord[],
    readonly exits: ExitDispatcher,
    readonly now: () => Date,
  ) {}

  static async open(dataDir: string, opts: OpenOptions = {}): Promise<Tessera> {
    const paths = dataPaths(dataDir);
    const config = await loadConfig(paths.config);
    const auditKey = await readAuditKey(paths.auditKey);
    const store = await Store.open(
      config.database.includes('://') ? config.database : paths.sqlite(config.database),
      auditKey,
    );
    try {
      const directory = opts.directory
        ? await opts.directory(store, config)
        : await openDirectory(store, config, paths, opts.log, opts.caches);
      const templates = new TemplateCatalog(store, opts.caches);
      if (opts.checkTemplates !== false) await templates.checkAll();
      const cas = await store.cas.list();
      checkHierarchy(config, cas);
      const exits = new ExitDispatcher(opts.log);
      if (directory.kind === 'ldap') {
        // directory.publish: issued certificates go to the user's entry (LdapPublisher).
        const { publicationExit } = await import('./directory/ldap/LdapPublisher.js');
        const publisher = publicationExit(directory, opts.log);
        if (publisher) exits.register(publisher);
      }
      const t = new Tessera(config, paths, store, directory, templates, cas, exits, opts.now ?? (() => new Date()));
      if (opts.withIssuingKey !== false) await t.loadIssuingCa();
      return t;
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
  }

  /** The issuing CA with its key loaded. */
  get issuing(): CertificateAuthority {
    if (!this.#issuing) throw new TesseraError('CA_KEY_UNAVAILABLE', 'the issuing CA key was not loaded');
    return this.#issuing;
  }

  caRecord(id: string): CaRecord {
    const r = this.cas.find((c) => c.id === id && c.active);
    if (!r) throw new TesseraError('CONFIG_INVALID', `CA "${id}" is not in the database`);
    return r;
  }

  caCertificate(id: string): CaCertificate {
    return readCaCertificate(this.caRecord(id).certificate);
  }

  /** The issuing CA's chain, issuing first, root last. */
  chain(from = this.config.issuingCa): Buffer[] {
    const out: Buffer[] = [];
    let cur: CaRecord | undefined = this.caRecord(from);
    while (cur) {
      out.push(cur.certificate);
      cur = cur.parentId ? this.caRecord(cur.parentId) : undefined;
    }
    return out;
  }

  async loadIssuingCa(): Promise<CertificateAuthority> {
    const id = this.config.issuingCa;
    const entry = this.config.cas.find((c) => c.id === id)!;
    const cert = this.caCertificate(id);
    const now = this.now();
    if (cert.notAfter <= now)
      throw new TesseraError(
        'CONFIG_INVALID',
        `the issuing CA certificate "${cert.subject}" expired on ${cert.notAfter.toISOString()}`,
      );
    // NIST SP 800-131A / CA/B BR §6.1.5: no CA key below 2048 bits (checkHierarchy has checked cA and the chain).
    if (cert.key.kind === 'rsa' && cert.key.bits < 2048)
      throw new TesseraError(
        'CONFIG_INVALID',
        `the issuing CA key is ${describeKey(cert.key)}; at least 2048 bits are required`,
      );
    const signer = await openSigner(entry, this.paths);
    if (signer.key.kind === 'rsa' && signer.key.bits < 2048)
      throw new TesseraError(
        'CONFIG_INVALID',
        `the issuing CA key is ${describeKey(signer.key)}; at least 2048 bits are required`,
      );
    this.#issuing = new CertificateAuthority(id, cert, signer, caUrls(this.config, id));
    return this.#issuing;
  }

  async close(): Promise<void> {
    // Issuances between their intent and release commits finish first: they need the key.
    await this.store.drain();
    await this.#issuing?.close();
    await this.directory.close();
    await this.store.close();
  }
}

async function openDirectory(
  store: Store,
  config: Config,
  paths: DataPaths,
  log?: ExitLogger,
  caches?: OpenOptions['caches'],
): Promise<Directory> {
  if (config.directory.type === 'embedded') return new EmbeddedDirectory(store, config.domain.name, caches);
  const { openLdapDirectory } = await import('./directory/ldap/openLdapDirectory.js');
  return openLdapDirectory(config, { baseDir: paths.dir, log });
}

/** Every configured CA is in the database, and every subordinate's issuer is too. */
function checkHierarchy(config: Config, cas: readonly CaRecord[]): void {
  for (const entry of config.cas) {
    const r = cas.find((c) => c.id === entry.id);
    if (!r) throw new TesseraError('CONFIG_INVALID', `CA "${entry.id}" is configured but missing from the database`);
    if (r.parentId && !cas.some((c) => c.id === r.parentId))
      throw new TesseraError('CONFIG_INVALID', `the issuer "${r.parentId}" of CA "${r.id}" is missing`);
    const cert = readCaCertificate(r.certificate);
    // RFC 5280 §4.2.1.9 / §6.1.4 (k): only a certificate with cA TRUE may issue.
    const x509 = new X509Certificate(r.certificate);
    if (!x509.ca)
      throw new TesseraError(
        'CONFIG_INVALID',
        `the certificate of CA "${r.id}" is not a CA certificate (basicConstraints cA is not TRUE)`,
      );
    if (r.parentId) {
      const parent = readCaCertificate(cas.find((c) => c.id === r.parentId)!.certificate);
      if (!cert.issuerDer.equals(parent.subjectDer))
        throw new TesseraError('CONFIG_INVALID', `CA "${r.id}" was not issued by "${r.parentId}"`);
      // A matching issuer name is not enough: the parent's key must have signed it.
      if (!x509.verify(createPublicKey({ key: parent.spki, format: 'der', type: 'spki' }))) {
        throw new TesseraError(
          'CONFIG_INVALID',
          `the certificate of CA "${r.id}" does not verify with the key of its issuer "${r.parentId}"`,
        );
      }
    }
  }
}
