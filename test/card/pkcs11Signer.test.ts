/**
 * CA keys on a PKCS#11 token: `tessera init --ca-key-store pkcs11` generates the root and
 * issuing keys on a SoftHSM2 token (non-extractable), tessera.json names the token and
 * the PIN's environment variable but never the PIN, and the issuing CA signs through
 * Pkcs11Signer — judged by pkcs11-tool and openssl verify.
 */
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11Signer } from '../../src/keys/Pkcs11Signer.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { createUser } from '../../src/ra/admin/users.js';
import { submit } from '../../src/ra/submit.js';
import { initDataDir } from '../../src/setup/initDataDir.js';
import { Tessera } from '../../src/Tessera.js';
import { toPem } from '../../src/x509/pem.js';
import { opensslCsr, tmpDir, verifyCert } from '../support/openssl.js';
import { newSoftHsm, SOFTHSM2_MODULE, type SoftHsm } from '../support/softhsm.js';
import { LOCAL } from '../support/tessera.js';
import { tessera } from './helpers/cli.js';

const PIN_ENV = 'TESSERA_TEST_HSM_PIN';
const PIN = 'hsm-user-pin-4711';
let hsm: SoftHsm;
let dir: string;

beforeAll(async () => {
  hsm = newSoftHsm('hsm-');
  hsm.initToken('Tessera HSM', PIN, 'hsm-so-pin-0815');
  hsm.initToken('CLI HSM', PIN, 'hsm-so-pin-0815');
  hsm.useInProcess();
  process.env[PIN_ENV] = PIN;
  dir = tmpDir('tessera-hsm-data-');
  await initDataDir({
    dataDir: dir,
    caName: 'HSM',
    organization: 'Tessera Tests',
    keyAlgorithm: 'RSA-2048',
    rootKeyAlgorithm: 'P-384',
    publicUrl: 'http://pki.test.invalid',
    hostnames: ['localhost'],
    keyStore: 'pkcs11',
    pkcs11: { module: SOFTHSM2_MODULE, token: 'Tessera HSM', pinEnv: PIN_ENV },
  });
});
afterAll(() => {
  hsm?.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe('CA keys on a SoftHSM2 token', () => {
  it('init generated both CA keys on the token, sensitive and never extractable; no key files, no PIN in tessera.json', () => {
    const r = hsm.pkcs11Tool(['--token-label', 'Tessera HSM', '--login', '--pin', PIN, '-O', '--type', 'privkey']);
    expect(r.status, r.stderr).toBe(0);
    for (const label of ['tessera-root', 'tessera-issuing']) {
      const block = r.stdout.split(/\n(?=\S)/).find((b) => b.includes(`label:      ${label}`));
      expect(block, r.stdout).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
    }
    expect(r.stdout).toMatch(/Private Key Object; RSA[\s\S]*tessera-issuing|tessera-issuing[\s\S]*/);
    const config = readFileSync(join(dir, 'tessera.json'), 'utf8');
    expect(config).not.toContain(PIN);
    const cas = JSON.parse(config).cas;
    expect(cas).toEqual([
      {
        id: 'root',
        role: 'root',
        keyStore: 'pkcs11',
        pkcs11: { module: SOFTHSM2_MODULE, token: 'Tessera HSM', label: 'tessera-root', pinEnv: PIN_ENV },
      },
      {
        id: 'issuing',
        role: 'issuing',
        keyStore: 'pkcs11',
        pkcs11: { module: SOFTHSM2_MODULE, token: 'Tessera HSM', label: 'tessera-issuing', pinEnv: PIN_ENV },
      },
    ]);
    expect(existsSync(join(dir, 'keys', 'root.key.pem'))).toBe(false);
    expect(existsSync(join(dir, 'keys', 'issuing.key.pem'))).toBe(false);
  });

  it('issues a Smartcard User certificate signed on the token; openssl verifies the chain', async () => {
    const t = await Tessera.open(dir);
    try {
      await setTemplateGrant(t, LOCAL, 'SmartcardUser', 'Domain Users', true);
      await createUser(t, LOCAL, {
        username: 'alice',
        displayName: 'Alice',
        email: 'alice@example.com',
        password: 'correct horse battery',
      });
      const alice = (await t.directory.findUser('alice'))!;
      const { csr } = opensslCsr('rsa:2048');
      const r = await submit(t, { request: csr, template: 'SmartcardUser', requester: alice, source: 'test' });
      expect(r.disposition, r.message).toBe('issued');
      const chainPem = t
        .chain()
        .map((c) => toPem(c, 'CERTIFICATE'))
        .join('');
      expect(verifyCert(r.certificate!, chainPem).stdout).toContain('OK');
      // The HTTPS certificate init issued was signed on the token too.
      const tls = readFileSync(join(dir, 'tls', 'server.pem'), 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/)[0];
      expect(verifyCert(Buffer.from(tls.replace(/-----[^-]+-----|\s/g, ''), 'base64'), chainPem).stdout).toContain(
        'OK',
      );
      // signData (CRLs, OCSP responses) goes through the same signer.
      const data = Buffer.from('to be signed: a CRL or an OCSP response');
      const sig = await t.issuing.signData(data);
      expect(
        verify(
          'sha256',
          data,
          createPublicKey({ key: t.caCertificate('issuing').spki, format: 'der', type: 'spki' }),
          sig,
        ),
      ).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('signs concurrently requested data one at a time on its session, all valid (and measures it)', async () => {
    const signer = await Pkcs11Signer.open({
      id: 'issuing',
      role: 'issuing',
      keyStore: 'pkcs11',
      pkcs11: { module: SOFTHSM2_MODULE, token: 'Tessera HSM', label: 'tessera-issuing', pinEnv: PIN_ENV },
    });
    try {
      const key = createPublicKey({ key: signer.publicKey, format: 'der', type: 'spki' });
      const n = 200;
      const t0 = performance.now();
      const sigs = await Promise.all(Array.from({ length: n }, (_, i) => signer.sign(Buffer.from(`tbs ${i}`))));
      const ms = performance.now() - t0;
      console.log(
        `Pkcs11Signer RSA-2048 on SoftHSM2: ${n} signatures in ${Math.round(ms)} ms (${Math.round((n * 1000) / ms)}/s)`,
      );
      sigs.forEach((s, i) => {
        expect(verify('sha256', Buffer.from(`tbs ${i}`), key, s)).toBe(true);
      });
    } finally {
      await signer.close();
    }
  });

  it('a wrong or missing PIN stops the CA at start with CA_KEY_UNAVAILABLE naming the token and the cause', async () => {
    process.env[PIN_ENV] = 'not-the-pin';
    try {
      await expect(Tessera.open(dir)).rejects.toMatchObject({
        code: 'CA_KEY_UNAVAILABLE',
        detail: expect.stringMatching(/"Tessera HSM".*\[CARD_PIN_INCORRECT\]/),
      });
      delete process.env[PIN_ENV];
      await expect(Tessera.open(dir)).rejects.toMatchObject({
        code: 'CA_KEY_UNAVAILABLE',
        detail: expect.stringContaining(`$${PIN_ENV}, which is not set`),
      });
    } finally {
      process.env[PIN_ENV] = PIN;
    }
  });

  it('`tessera init --ca-key-store pkcs11` from the command line', async () => {
    const d = tmpDir('tessera-hsm-cli-');
    try {
      const r = await tessera(
        [
          '--json',
          '--data',
          d,
          'init',
          '--ca-name',
          'CLI',
          '--key-alg',
          'P-256',
          '--hostname',
          'localhost',
          '--ca-key-store',
          'pkcs11',
          '--pkcs11-module',
          SOFTHSM2_MODULE,
          '--pkcs11-token',
          'CLI HSM',
          '--pkcs11-pin-env',
          PIN_ENV,
        ],
        { env: { ...hsm.env, [PIN_ENV]: PIN }, timeoutMs: 120_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.json.config.cas[1]).toMatchObject({
        id: 'issuing',
        keyStore: 'pkcs11',
        pkcs11: { token: 'CLI HSM', label: 'tessera-issuing', pinEnv: PIN_ENV },
      });
      const objs = hsm.pkcs11Tool([
        '--token-label',
        'CLI HSM',
        '--login',
        '--pin',
        PIN,
        '-O',
        '--type',
        'privkey',
      ]).stdout;
      expect(objs).toContain('tessera-issuing');
      expect(objs).toContain('tessera-root');
      // Without the PIN in the environment, init refuses before writing anything.
      const d2 = join(tmpDir('tessera-hsm-cli2-'), 'data');
      const again = await tessera(
        [
          '--json',
          '--data',
          d2,
          'init',
          '--ca-key-store',
          'pkcs11',
          '--pkcs11-module',
          SOFTHSM2_MODULE,
          '--pkcs11-token',
          'CLI HSM',
          '--pkcs11-pin-env',
          PIN_ENV,
        ],
        { env: hsm.env },
      );
      expect(again.error?.code).toBe('CA_KEY_UNAVAILABLE');
      expect(existsSync(d2)).toBe(false);
      // With the PIN, the labels already taken on that token are refused, again before writing.
      const taken = await tessera(
        [
          '--json',
          '--data',
          d2,
          'init',
          '--ca-key-store',
          'pkcs11',
          '--pkcs11-module',
          SOFTHSM2_MODULE,
          '--pkcs11-token',
          'CLI HSM',
          '--pkcs11-pin-env',
          PIN_ENV,
        ],
        { env: { ...hsm.env, [PIN_ENV]: PIN } },
      );
      expect(taken.error?.code).toBe('ALREADY_EXISTS');
      expect(taken.error?.detail).toContain('"CLI HSM"');
      expect(existsSync(d2)).toBe(false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
