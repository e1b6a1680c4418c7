/**
 * `tessera init`: a new data directory with config, database, keys and a CA hierarchy —
 * by default an offline-capable root (its key is never loaded by the server, and can be
 * moved off the machine) and an issuing CA that signs end-entity certificates.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { readCaCertificate } from '../ca/CaCertificate.js';
import { createCaCertificate } from '../ca/createCaCertificate.js';
import type { Config, WebSettings } from '../config/Config.js';
import { dataPaths } from '../config/dataPaths.js';
import { saveConfig } from '../config/loadConfig.js';
import { TesseraError } from '../errors/TesseraError.js';
import { createAuditKey } from '../keys/auditKey.js';
import { generateSigner } from '../keys/openSigner.js';
import { createPassphrase } from '../keys/passphrase.js';
import { saveTlsServerKey } from '../keys/serviceKeys.js';
import { CA_KEY_ALGORITHMS, type CaKeyAlgorithm, type Signer } from '../keys/Signer.js';
import { Store } from '../store/Store.js';
import { BUILTIN_TEMPLATES } from '../template/builtinTemplates.js';
import { Tessera } from '../Tessera.js';
import { toPem } from '../x509/pem.js';
import type { Actor } from '../ra/Actor.js';
import { issueServiceCertificate } from '../ra/issueServiceCertificate.js';
import { publishInitialCrls } from '../ra/publishCrl.js';
import { allocateSid } from '../ra/admin/users.js';

export interface InitOptions {
  readonly dataDir: string;
  readonly caName?: string;
  readonly organization?: string;
  readonly keyAlgorithm?: CaKeyAlgorithm;
  readonly rootKeyAlgorithm?: CaKeyAlgorithm;
  readonly singleTier?: boolean;
  readonly rootValidityDays?: number;
  readonly caValidityDays?: number;
  readonly domain?: string;
  readonly dnsDomain?: string;
  readonly database?: string;
  readonly publicUrl?: string;
  readonly hostnames?: readonly string[];
  readonly port?: number;
  readonly httpPort?: number;
  readonly actor?: Actor;
  /** Where the CA keys are generated: encrypted PKCS#8 files (default) or a PKCS#11 token. */
  readonly keyStore?: 'file' | 'pkcs11';
  /**
   * With keyStore 'pkcs11': the module, the token label, the environment variable that
   * holds the token PIN (default TESSERA_PKCS11_PIN), and whether the root key goes on
   * the token too (default) or stays a file (`rootKeyStore: 'file'`).
   */
  readonly pkcs11?: {
    readonly module: string;
    readonly token: string;
    readonly pinEnv?: string;
    readonly rootKeyStore?: 'file' | 'pkcs11';
  };
  /** The `web` section of tessera.json (card agent address, template order). */
  readonly web?: WebSettings;
}

export interface InitResult {
  readonly dataDir: string;
  readonly rootCertificate: Buffer;
  readonly issuingCertificate: Buffer;
  readonly config: Config;
}

/** Groups every installation starts with: the role groups and the everyone group. */
export const DEFAULT_GROUPS: readonly [string, string][] = [
  ['Domain Users', 'Every user account'],
  ['CA Administrators', 'Manage templates, users, groups and CA settings'],
  ['Certificate Managers', 'Approve, deny and revoke certificates'],
  ['Auditors', 'Read the audit log'],
  ['Enrollment Agents', 'Enroll on behalf of other users'],
];

/** The role groups a new configuration names (the groups DEFAULT_GROUPS creates). */
export const DEFAULT_ROLES = {
  caAdministrators: 'CA Administrators',
  certificateManagers: 'Certificate Managers',
  auditors: 'Auditors',
  enrollmentAgents: 'Enrollment Agents',
} as const satisfies Config['roles'];

/** CRL timing a new configuration starts with, in hours. */
export const DEFAULT_CRL = {
  validityHours: 168,
  overlapHours: 24,
  deltaValidityHours: 24,
} as const satisfies Config['crl'];

export async function initDataDir(o: InitOptions): Promise<InitResult> {
  const paths = dataPaths(o.dataDir);
  if (existsSync(paths.config))
    throw new TesseraError('ALREADY_EXISTS', `${paths.config} exists; this data directory is already initialised`);
  const keyAlg = o.keyAlgorithm ?? 'RSA-2048';
  const rootAlg = o.rootKeyAlgorithm ?? (keyAlg.startsWith('RSA') ? 'RSA-4096' : 'P-384');
  for (const a of [keyAlg, rootAlg])
    if (!CA_KEY_ALGORITHMS.includes(a))
      throw new TesseraError('INPUT_INVALID', `key algorithm ${a}: one of ${CA_KEY_ALGORITHMS.join(', ')}`);
  const caName = o.caName ?? 'Tessera';
  const org = o.organization ?? caName;
  const hostnames = o.hostnames ?? [...new Set(['localhost', hostname()])];
  const port = o.port ?? 8443;
  const httpPort = o.httpPort ?? 8080;
  const dns = o.dnsDomain ?? 'tessera.local';
  const sub = () => randomBytes(4).readUInt32BE(0);
  // CA keys on a PKCS#11 token (docs/cards.md, docs/security.md §9.2): generated there,
  // non-extractable, PIN from the environment.
  if (o.keyStore === 'pkcs11' && (!o.pkcs11?.module || !o.pkcs11?.token))
    throw new TesseraError('INPUT_INVALID', '--ca-key-store pkcs11 needs --pkcs11-module and --pkcs11-token');
  const storeFor = (id: 'root' | 'issuing'): 'file' | 'pkcs11' =>
    o.keyStore !== 'pkcs11' ? 'file' : id === 'root' && !o.singleTier ? (o.pkcs11?.rootKeyStore ?? 'pkcs11') : 'pkcs11';
  const caEntry = (id: 'root' | 'issuing', role: 'root' | 'issuing'): Config['cas'][number] =>
    storeFor(id) === 'file'
      ? { id, role, keyStore: 'file' }
      : {
          id,
          role,
          keyStore: 'pkcs11',
          pkcs11: {
            module: o.pkcs11!.module,
            token: o.pkcs11!.token,
            label: `tessera-${id}`,
            ...(o.pkcs11!.pinEnv ? { pinEnv: o.pkcs11!.pinEnv } : {}),
          },
        };

  if (o.keyStore === 'pkcs11') {
    // Token present, PIN right, labels free — before anything is written.
    const { Pkcs11Signer } = await import('../keys/Pkcs11Signer.js');
    await Pkcs11Signer.checkToken(
      o.pkcs11!,
      (['root', 'issuing'] as const)
        .filter((id) => storeFor(id) === 'pkcs11' && (id === 'issuing' || !o.singleTier))
        .map((id) => `tessera-${id}`),
    );
  }
  await mkdir(paths.dir, { recursive: true });
  await mkdir(paths.keys, { recursive: true, mode: 0o700 });
  await chmod(paths.keys, 0o700);
  await mkdir(paths.certs, { recursive: true });
  await mkdir(paths.tls, { recursive: true, mode: 0o700 });

  const config: Config = {
    version: 1,
    organization: org,
    domain: { name: (o.domain ?? 'TESSERA').toUpperCase(), dnsName: dns, sid: `S-1-5-21-${sub()}-${sub()}-${sub()}` },
    database: o.database ?? 'tessera.db',
    publicUrl: o.publicUrl ?? `http://${hostnames[0]}:${httpPort}`,
    siteUrl: `https://${hostnames[0]}:${port}`,
    cas: o.singleTier ? [caEntry('issuing', 'issuing')] : [caEntry('root', 'root'), caEntry('issuing', 'issuing')],
    issuingCa: 'issuing',
    roles: DEFAULT_ROLES,
    directory: { type: 'embedded' },
    server: { host: '0.0.0.0', port, httpPort, hostnames },
    crl: DEFAULT_CRL,
    ...(o.web ? { web: o.web } : {}),
  };
  const passphrase = await createPassphrase(paths.passphrase);
  const auditKey = await createAuditKey(paths.auditKey);
  const dbTarget = config.database.includes('://')
    ? (process.env.TESSERA_DATABASE_URL ?? config.database)
    : paths.sqlite(config.database);
  const store = await Store.open(process.env.TESSERA_DATABASE_URL ?? dbTarget, auditKey);
  const actorLabel = o.actor
    ? o.actor.kind === 'local'
      ? `local:${o.actor.name}`
      : o.actor.user.username
    : 'local:init';
  const base = config.publicUrl.replace(/\/+$/, '');
  const generateKey = (id: 'root' | 'issuing', alg: CaKeyAlgorithm): Promise<Signer> =>
    generateSigner(config.cas.find((c) => c.id === id)!, paths, alg, passphrase);
  const keyRef = (id: 'root' | 'issuing') => {
    const p11 = config.cas.find((c) => c.id === id)!.pkcs11;
    return p11
      ? `pkcs11:token=${encodeURIComponent(p11.token)};object=${encodeURIComponent(p11.label)}`
      : `keys/${id}.key.pem`;
  };
  const signers: Signer[] = [];
  let rootDer: Buffer;
  let issuingDer: Buffer;
  try {
    if (await store.cas.get('issuing'))
      throw new TesseraError('ALREADY_EXISTS', `the database ${store.location} already holds a CA`);
    const now = new Date();
    const orgRdn = { type: 'O', value: org };
    if (o.singleTier) {
      const signer = await generateKey('issuing', keyAlg);
      signers.push(signer);
      issuingDer = await createCaCertificate({
        issuerSigner: signer,
        subjectKey: signer.publicKey,
        subject: [orgRdn, { type: 'CN', value: `${caName} CA` }],
        validityDays: o.caValidityDays ?? 3650,
        now,
      });
      rootDer = issuingDer;
      await store.cas.insert({
        id: 'issuing',
        name: `${caName} CA`,
        role: 'issuing',
        parentId: null,
        certificate: issuingDer,
        keyRef: keyRef('issuing'),
        renewal: 0,
        createdAt: now,
      });
    } else {
      const rootSigner = await generateKey('root', rootAlg);
      signers.push(rootSigner);
      rootDer = await createCaCertificate({
        issuerSigner: rootSigner,
        subjectKey: rootSigner.publicKey,
        subject: [orgRdn, { type: 'CN', value: `${caName} Root CA` }],
        validityDays: o.rootValidityDays ?? 7300,
        now,
      });
      const issuingSigner = await generateKey('issuing', keyAlg);
      signers.push(issuingSigner);
      issuingDer = await createCaCertificate({
        issuerSigner: rootSigner,
        issuer: readCaCertificate(rootDer),
        subjectKey: issuingSigner.publicKey,
        subject: [orgRdn, { type: 'CN', value: `${caName} Issuing CA` }],
        validityDays: o.caValidityDays ?? 3650,
        pathLen: 0,
        crlUrl: `${base}/pki/root.crl`,
        caIssuersUrl: `${base}/pki/root.cer`,
        now,
      });
      await store.cas.insert({
        id: 'root',
        name: `${caName} Root CA`,
        role: 'root',
        parentId: null,
        certificate: rootDer,
        keyRef: keyRef('root'),
        renewal: 0,
        createdAt: now,
      });
      await store.cas.insert({
        id: 'issuing',
        name: `${caName} Issuing CA`,
        role: 'issuing',
        parentId: 'root',
        certificate: issuingDer,
        keyRef: keyRef('issuing'),
        renewal: 0,
        createdAt: now,
      });
    }
    await store.transaction(async (tx) => {
      for (const [name, description] of DEFAULT_GROUPS) {
        if (!(await tx.groups.byName(name)))
          await tx.groups.create({ name, sid: await allocateSid(tx, config.domain.sid), description, createdAt: now });
      }
      for (const tpl of BUILTIN_TEMPLATES)
        if (!(await tx.templates.get(tpl.name))) await tx.templates.put(tpl.name, tpl, actorLabel, now);
      await tx.audit.append({
        actor: actorLabel,
        action: 'ca.initialized',
        source: 'cli',
        details: {
          organization: org,
          singleTier: !!o.singleTier,
          keyStore: o.keyStore ?? 'file',
          keyAlgorithm: keyAlg,
          rootKeyAlgorithm: o.singleTier ? null : rootAlg,
          domain: config.domain,
          templates: BUILTIN_TEMPLATES.map((x) => x.name),
        },
      });
    });
  } finally {
    for (const s of signers) await s.close();
    await store.close();
  }
  await saveConfig(paths.config, config);
  await writeFile(paths.caCert('issuing'), issuingDer);
  if (!o.singleTier) await writeFile(paths.caCert('root'), rootDer);
  await writeFile(
    `${paths.certs}/chain.pem`,
    toPem(issuingDer, 'CERTIFICATE') + (o.singleTier ? '' : toPem(rootDer, 'CERTIFICATE')),
  );

  // The HTTPS server's certificate, from our own issuing CA.
  const t = await Tessera.open(o.dataDir);
  try {
    const tls = await issueServiceCertificate(
      t,
      o.actor ?? { kind: 'local', name: 'init', source: 'cli' },
      'tls-server',
      { commonName: hostnames[0], dns: hostnames },
      397,
    );
    await saveTlsServerKey(paths, tls.key);
    await writeFile(
      paths.tlsCert,
      toPem(tls.der, 'CERTIFICATE') +
        t
          .chain()
          .map((c) => toPem(c, 'CERTIFICATE'))
          .join(''),
    );
    // The first CRLs (root, signed with its key while it is at hand; issuing full
    // and delta), so every CDP URL in the certificates above resolves from the start.
    await publishInitialCrls(t, o.actor ?? { kind: 'local', name: 'init', source: 'cli' });
  } finally {
    await t.close();
  }
  return { dataDir: paths.dir, rootCertificate: rootDer, issuingCertificate: issuingDer, config };
}
