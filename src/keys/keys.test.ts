/**
 * The file key store (FileSigner.ts), the CA key passphrase (passphrase.ts) and the audit
 * key (auditKey.ts): encrypted PKCS#8 that OpenSSL reads, signatures that verify with
 * SHA-256 or stronger, files of mode 0600, and a clear code for each failure.
 */
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataPaths } from '../config/dataPaths.js';
import { TesseraError } from '../errors/TesseraError.js';
import { OID } from '../x509/oids.js';
import { decodeSignatureAlgorithm } from '../x509/publicKey.js';
import { openssl, tmpDir } from '../../test/support/openssl.js';
import { signingHash } from './algorithms.js';
import { AUDIT_KEY_ENV, createAuditKey, readAuditKey } from './auditKey.js';
import { FileSigner } from './FileSigner.js';
import { createPassphrase, PASSPHRASE_ENV, readPassphrase } from './passphrase.js';
import { OcspKeyFiles, readTlsIdentity, saveTlsServerKey, ServiceKey } from './serviceKeys.js';
import type { CaKeyAlgorithm } from './Signer.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TesseraError) return e.code;
    throw e;
  }
  return 'none';
}

const modeOf = (file: string) => statSync(file).mode & 0o777;

/** A secret `create` writes (its environment variable unset): a file of mode 0600 that `read` gives back. */
async function createdSecretFile<T>(
  env: string,
  file: string,
  create: (f: string) => Promise<T>,
  read: (f: string) => Promise<T>,
): Promise<T> {
  delete process.env[env];
  const secret = await create(file);
  expect(modeOf(file)).toBe(0o600);
  expect(await read(file)).toEqual(secret);
  return secret;
}

const saved = { pass: process.env[PASSPHRASE_ENV], audit: process.env[AUDIT_KEY_ENV] };
afterEach(() => {
  for (const [k, v] of [
    [PASSPHRASE_ENV, saved.pass],
    [AUDIT_KEY_ENV, saved.audit],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('FileSigner', () => {
  it.each([
    ['RSA-2048', OID.sha256WithRSAEncryption, 'sha256'],
    ['P-256', OID.ecdsaWithSHA256, 'sha256'],
    ['P-384', OID.ecdsaWithSHA384, 'sha384'],
  ] as [CaKeyAlgorithm, string, string][])(
    'generates an encrypted %s key that reloads and signs with %s',
    async (alg, sigOid, hash) => {
      const file = join(tmpDir('keys-'), 'ca.key.pem');
      const generated = await FileSigner.generate(file, alg, 'correct horse');
      expect(modeOf(file)).toBe(0o600);
      const pem = readFileSync(file, 'utf8');
      expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      // OpenSSL reads it with the passphrase and not without.
      expect(openssl(['pkey', '-in', file, '-passin', 'pass:correct horse', '-noout']).status).toBe(0);
      expect(openssl(['pkey', '-in', file, '-passin', 'pass:wrong', '-noout']).status).not.toBe(0);

      const loaded = await FileSigner.load(file, 'correct horse');
      expect(loaded.publicKey.equals(generated.publicKey)).toBe(true);
      expect(decodeSignatureAlgorithm(loaded.algorithm).oid).toBe(sigOid);
      expect(signingHash(loaded.key)).toBe(hash);
      const data = Buffer.from('to be signed');
      const sig = await loaded.sign(data);
      expect(verify(hash, data, createPublicKey({ key: loaded.publicKey, format: 'der', type: 'spki' }), sig)).toBe(
        true,
      );
    },
  );

  it('refuses to overwrite an existing key file', async () => {
    const file = join(tmpDir('keys-'), 'ca.key.pem');
    await FileSigner.generate(file, 'P-256', 'x');
    await expect(FileSigner.generate(file, 'P-256', 'x')).rejects.toThrow(/EEXIST/);
  });

  it('reports a wrong passphrase or a missing file as CA_KEY_UNAVAILABLE', async () => {
    const file = join(tmpDir('keys-'), 'ca.key.pem');
    await FileSigner.generate(file, 'P-256', 'right');
    expect(await code(FileSigner.load(file, 'wrong'))).toBe('CA_KEY_UNAVAILABLE');
    expect(await code(FileSigner.load(join(tmpDir('keys-'), 'missing.pem'), 'right'))).toBe('CA_KEY_UNAVAILABLE');
  });
});

describe('the CA key passphrase', () => {
  it('is generated once into a file of mode 0600 and read back', async () => {
    const file = join(tmpDir('pass-'), 'passphrase');
    const p = await createdSecretFile(PASSPHRASE_ENV, file, createPassphrase, readPassphrase);
    expect(p.length).toBeGreaterThanOrEqual(40);
  });

  it('refuses a passphrase file other users can read, saying how to fix it', async () => {
    delete process.env[PASSPHRASE_ENV];
    const file = join(tmpDir('pass-'), 'passphrase');
    writeFileSync(file, 'secret\n');
    chmodSync(file, 0o644);
    try {
      await readPassphrase(file);
      expect.unreachable();
    } catch (e) {
      expect((e as TesseraError).code).toBe('CONFIG_INVALID');
      expect((e as TesseraError).detail).toMatch(/readable by other users \(mode 644\); run chmod 600/);
    }
  });

  it('comes from TESSERA_CA_PASSPHRASE when set, and is CA_KEY_UNAVAILABLE when neither exists', async () => {
    process.env[PASSPHRASE_ENV] = 'from-env';
    expect(await readPassphrase(join(tmpDir('pass-'), 'none'))).toBe('from-env');
    delete process.env[PASSPHRASE_ENV];
    expect(await code(readPassphrase(join(tmpDir('pass-'), 'none')))).toBe('CA_KEY_UNAVAILABLE');
  });
});

describe('the audit key', () => {
  it('is 32 random bytes in a file of mode 0600', async () => {
    const k = await createdSecretFile(AUDIT_KEY_ENV, join(tmpDir('audit-'), 'audit.key'), createAuditKey, readAuditKey);
    expect(k.length).toBe(32);
  });

  it('comes from TESSERA_AUDIT_KEY when set, which must be at least 64 hex digits', async () => {
    process.env[AUDIT_KEY_ENV] = 'ab'.repeat(32);
    expect((await readAuditKey('/nonexistent')).equals(Buffer.alloc(32, 0xab))).toBe(true);
    process.env[AUDIT_KEY_ENV] = 'not-hex';
    expect(await code(readAuditKey('/nonexistent'))).toBe('CONFIG_INVALID');
    delete process.env[AUDIT_KEY_ENV];
    expect(await code(readAuditKey(join(tmpDir('audit-'), 'missing')))).toBe('CONFIG_INVALID');
  });
});

describe('service keys', () => {
  it('keeps an OCSP responder key encrypted under the passphrase, loads it back, and removes stale ones', async () => {
    process.env[PASSPHRASE_ENV] = 'service pass';
    const dir = tmpDir('svc-');
    mkdirSync(join(dir, 'keys'));
    const paths = dataPaths(dir);
    const files = new OcspKeyFiles(paths);
    const key = ServiceKey.generate();
    const signer = await files.save(key, '0a1b');
    expect(signer.publicKey.equals(key.publicKey)).toBe(true);
    const file = files.file('0a1b');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(openssl(['pkey', '-in', file, '-passin', 'pass:service pass', '-noout']).status).toBe(0);
    const load = await files.loader();
    const loaded = (await load('0a1b'))!;
    const data = Buffer.from('tbsResponseData');
    const pub = createPublicKey({ key: key.publicKey, format: 'der', type: 'spki' });
    expect(verify('sha256', data, pub, await loaded.sign(data))).toBe(true);
    expect(await load('ffff')).toBeUndefined();
    await files.save(ServiceKey.generate(), 'ffff');
    await files.removeAllBut(new Set(['ffff']));
    expect(existsSync(file)).toBe(false);
    expect(existsSync(files.file('ffff'))).toBe(true);
  });

  it('writes the TLS server key as plain PKCS#8 of mode 0600, and reads it back with its certificate', async () => {
    const dir = tmpDir('svc-');
    mkdirSync(join(dir, 'tls'));
    const paths = dataPaths(dir);
    const key = ServiceKey.generate();
    await saveTlsServerKey(paths, key);
    expect(statSync(paths.tlsKey).mode & 0o777).toBe(0o600);
    expect(openssl(['pkey', '-in', paths.tlsKey, '-pubout', '-outform', 'DER']).status).toBe(0);
    writeFileSync(paths.tlsCert, 'certificate');
    const tls = await readTlsIdentity(paths);
    expect(createPublicKey(tls.key).export({ format: 'der', type: 'spki' }).equals(key.publicKey)).toBe(true);
    expect(tls.cert.toString()).toBe('certificate');
  });
});
