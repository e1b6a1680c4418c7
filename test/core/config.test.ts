/**
 * Refuse bad configuration at start (docs/development.md "Rules the code keeps" 3): each broken data directory makes Tessera.open fail
 * with CONFIG_INVALID and a detail that names the problem.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { readCaCertificate } from '../../src/ca/CaCertificate.js';
import { createCaCertificate } from '../../src/ca/createCaCertificate.js';
import { dataPaths } from '../../src/config/dataPaths.js';
import { TesseraError } from '../../src/errors/TesseraError.js';
import { FileSigner } from '../../src/keys/FileSigner.js';
import { readPassphrase } from '../../src/keys/passphrase.js';
import type { CaKeyAlgorithm } from '../../src/keys/Signer.js';
import { initDataDir } from '../../src/setup/initDataDir.js';
import { BUILTIN_TEMPLATES } from '../../src/template/builtinTemplates.js';
import { Tessera } from '../../src/Tessera.js';
import { bitString, explicit, integer, integerFromUnsigned, seq, time } from '../../src/x509/der.js';
import {
  basicConstraintsExtension,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
} from '../../src/x509/extensions.js';
import { encodeName } from '../../src/x509/name.js';
import { keyIdentifier } from '../../src/x509/publicKey.js';
import { tmpDir } from '../support/openssl.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function dataDir(): Promise<{
  dir: string;
  paths: ReturnType<typeof dataPaths>;
  sql(statement: string, ...params: unknown[]): void;
}> {
  const dir = tmpDir('config-');
  dirs.push(dir);
  await initDataDir({
    dataDir: dir,
    keyAlgorithm: 'P-256',
    rootKeyAlgorithm: 'P-256',
    publicUrl: 'http://pki.test.invalid',
    hostnames: ['localhost'],
  });
  const paths = dataPaths(dir);
  return {
    dir,
    paths,
    sql(statement, ...params) {
      const db = new BetterSqlite3(paths.sqlite('tessera.db'));
      try {
        db.prepare(statement).run(...params);
      } finally {
        db.close();
      }
    },
  };
}

async function refusal(dir: string): Promise<string> {
  try {
    const t = await Tessera.open(dir);
    await t.close();
  } catch (e) {
    expect(e).toBeInstanceOf(TesseraError);
    expect((e as TesseraError).code).toBe('CONFIG_INVALID');
    return (e as TesseraError).detail ?? '';
  }
  throw new Error('Tessera.open accepted the configuration');
}

const editConfig = (file: string, edit: (c: Record<string, unknown>) => void) => {
  const c = JSON.parse(readFileSync(file, 'utf8'));
  edit(c);
  writeFileSync(file, JSON.stringify(c));
};

/** A CA certificate for the issuing CA, signed by `issuerSigner` and naming the root as issuer. */
async function issuingCertificate(
  paths: ReturnType<typeof dataPaths>,
  opts: { key?: CaKeyAlgorithm | 'RSA-1024'; signedBy?: 'root' | 'stranger'; now?: Date; validityDays?: number } = {},
) {
  const passphrase = await readPassphrase(paths.passphrase);
  const root = await FileSigner.load(paths.caKey('root'), passphrase);
  const rootCert = readCaCertificate(readFileSync(paths.caCert('root')));
  const keyFile = paths.caKey('issuing');
  rmSync(keyFile);
  const subjectKey = await FileSigner.generate(keyFile, (opts.key ?? 'P-256') as CaKeyAlgorithm, passphrase);
  const signer =
    opts.signedBy === 'stranger' ? await FileSigner.generate(`${keyFile}.stranger`, 'P-256', passphrase) : root;
  return createCaCertificate({
    issuerSigner: signer,
    issuer: rootCert,
    subjectKey: subjectKey.publicKey,
    subject: [
      { type: 'O', value: 'Tessera Tests' },
      { type: 'CN', value: 'Test Issuing CA' },
    ],
    validityDays: opts.validityDays ?? 365,
    pathLen: 0,
    now: opts.now,
  });
}

describe('Tessera.open refuses an inconsistent configuration', () => {
  it('opens a freshly initialised data directory (the control case)', async () => {
    const { dir } = await dataDir();
    const t = await Tessera.open(dir);
    expect(t.issuing.id).toBe('issuing');
    await t.close();
  });

  it('refuses a data directory without configuration, saying to run init', async () => {
    const dir = tmpDir('config-');
    dirs.push(dir);
    expect(await refusal(dir)).toMatch(/tessera\.json does not exist; run `tessera init` first/);
  });

  it('refuses an issuingCa that is not one of the configured CAs', async () => {
    const { dir, paths } = await dataDir();
    editConfig(paths.config, (c) => (c.issuingCa = 'nope'));
    expect(await refusal(dir)).toMatch(/issuingCa: "nope" is not one of the configured CAs/);
  });

  it('refuses a configured CA that is missing from the database', async () => {
    const { dir, paths } = await dataDir();
    editConfig(paths.config, (c) => (c.cas as unknown[]).push({ id: 'backup', role: 'issuing', keyStore: 'file' }));
    expect(await refusal(dir)).toMatch(/CA "backup" is configured but missing from the database/);
  });

  it('refuses an issuing CA whose issuer is missing', async () => {
    const { dir, paths, sql } = await dataDir();
    sql(`DELETE FROM cas WHERE id = 'root'`);
    editConfig(paths.config, (c) => (c.cas = (c.cas as { id: string }[]).filter((x) => x.id !== 'root')));
    expect(await refusal(dir)).toMatch(/the issuer "root" of CA "issuing" is missing/);
  });

  it('refuses a stored template with an authentication EKU and includeSid false (KB5014754, ESC9)', async () => {
    const { dir, sql } = await dataDir();
    const bad = { ...BUILTIN_TEMPLATES.find((t) => t.name === 'SmartcardUser')!, includeSid: false };
    sql(`UPDATE templates SET definition = ? WHERE name = 'SmartcardUser'`, JSON.stringify(bad));
    expect(await refusal(dir)).toMatch(
      /stored template SmartcardUser is invalid: SmartcardUser: includeSid: .*must include the SID extension \(KB5014754, ESC9\)/,
    );
  });

  it('refuses a stored template whose key usage contradicts its EKU or key spec', async () => {
    const { dir, sql } = await dataDir();
    const bad = { ...BUILTIN_TEMPLATES.find((t) => t.name === 'SmartcardLogon')!, keyUsage: ['keyEncipherment'] };
    sql(`UPDATE templates SET definition = ? WHERE name = 'SmartcardLogon'`, JSON.stringify(bad));
    expect(await refusal(dir)).toMatch(/stored template SmartcardLogon is invalid: .*requires digitalSignature/);
  });

  it('refuses an issuing CA key that does not match its certificate (key files swapped)', async () => {
    const { dir, paths } = await dataDir();
    renameSync(paths.caKey('issuing'), `${paths.caKey('issuing')}.tmp`);
    renameSync(paths.caKey('root'), paths.caKey('issuing'));
    renameSync(`${paths.caKey('issuing')}.tmp`, paths.caKey('root'));
    expect(await refusal(dir)).toMatch(/the key for CA "issuing" does not match its certificate/);
  });

  it('refuses an RSA-1024 issuing CA key', async () => {
    const { dir, paths, sql } = await dataDir();
    const weak = await issuingCertificate(paths, { key: 'RSA-1024' });
    sql(`UPDATE cas SET certificate = ? WHERE id = 'issuing'`, weak);
    expect(await refusal(dir)).toMatch(/the issuing CA key is RSA 1024; at least 2048 bits are required/);
  });

  it('refuses an issuing CA certificate that names the root but was not signed by it', async () => {
    const { dir, paths, sql } = await dataDir();
    const lookAlike = await issuingCertificate(paths, { signedBy: 'stranger' });
    sql(`UPDATE cas SET certificate = ? WHERE id = 'issuing'`, lookAlike);
    expect(await refusal(dir)).toMatch(
      /the certificate of CA "issuing" does not verify with the key of its issuer "root"/,
    );
  });

  it('refuses an expired issuing CA certificate', async () => {
    const { dir, paths, sql } = await dataDir();
    const expired = await issuingCertificate(paths, { now: new Date(Date.now() - 400 * 86_400_000), validityDays: 30 });
    sql(`UPDATE cas SET certificate = ? WHERE id = 'issuing'`, expired);
    // The root is younger than this certificate's validity; Tessera still checks the CA's own expiry.
    const detail = await refusal(dir);
    expect(detail).toMatch(/the issuing CA certificate ".*" expired on /);
  });

  it('refuses an issuing "CA" whose certificate is not a CA certificate (basicConstraints cA FALSE)', async () => {
    const { dir, paths, sql } = await dataDir();
    const passphrase = await readPassphrase(paths.passphrase);
    const root = await FileSigner.load(paths.caKey('root'), passphrase);
    const rootCert = readCaCertificate(readFileSync(paths.caCert('root')));
    const issuingKey = await FileSigner.load(paths.caKey('issuing'), passphrase);
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const tbs = seq(
      explicit(0, integer(2)),
      integerFromUnsigned(Buffer.concat([Buffer.from([0x41]), randomBytes(15)])),
      root.algorithm,
      rootCert.subjectDer,
      seq(time(now), time(new Date(now.getTime() + 86_400_000 * 30))),
      encodeName([{ type: 'CN', value: 'Not A CA' }]),
      issuingKey.publicKey,
      explicit(
        3,
        seq(
          basicConstraintsExtension(false),
          keyUsageExtension(['digitalSignature', 'keyCertSign']),
          subjectKeyIdentifierExtension(keyIdentifier(issuingKey.publicKey)),
        ),
      ),
    );
    const cert = seq(tbs, root.algorithm, bitString(await root.sign(tbs)));
    sql(`UPDATE cas SET certificate = ? WHERE id = 'issuing'`, cert);
    expect(await refusal(dir)).toMatch(/the certificate of CA "issuing" is not a CA certificate/);
  });
});
