/**
 * PKCS#12 files built by the page ("Install this certificate" for a browser key), judged
 * by OpenSSL: `openssl pkcs12 -info` with the password shows the key, the certificate
 * with its friendly name and the chain, in PBES2/AES-256 with a SHA-256 MAC; the key is
 * the certificate's; `openssl verify` passes. And the page reads PKCS#12 files OpenSSL
 * makes (the enrollment agent's credential).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl } from '../../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../../support/tessera.js';
import { browserKeyOnDisk, writeDer, type KeyOnDisk } from '../clientSupport.js';
import { setTemplateGrant } from '../../../src/ra/admin/templates.js';
import { submit } from '../../../src/ra/submit.js';
import { toPem } from '../../../src/x509/pem.js';
import { BROWSER_PROVIDER, buildEnrollmentRequest } from '../../../src/client/web/buildRequest.js';
import {
  MAC_ITERATIONS,
  PBKDF2_ITERATIONS,
  Pkcs12Error,
  buildPkcs12,
  readPkcs12,
} from '../../../src/client/web/pkcs12.js';
import { parseTemplate } from '../../../src/client/web/template.js';

const PASSWORD = 'Tr0ub4dor&3 p12';
let ca: TestCa;
let chain: Uint8Array[];

beforeAll(async () => {
  ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  await ca.user('alice');
  chain = ca.t.chain().map((c) => new Uint8Array(c));
});
afterAll(async () => ca?.close());

async function issued(alg: 'rsa' | 'P-256'): Promise<{ k: KeyOnDisk; cert: Uint8Array }> {
  const k = await browserKeyOnDisk(alg, 'SHA-256');
  const t = parseTemplate('SmartcardUser', {
    name: 'SmartcardUser',
    display: 'Smartcard User',
    keySpec: 'exchange',
    rsaMin: '2048',
    ecCurves: 'P-256',
  });
  const req = await buildEnrollmentRequest({
    key: { spki: k.key.spki, keyKind: k.key.keyKind, signPkcs10: k.key.sign, signCmc: () => k.key.sign },
    hash: 'SHA-256',
    format: 'cmc',
    template: t,
    keySpec: 1,
    provider: BROWSER_PROVIDER,
  });
  const r = await submit(ca.t, {
    request: req.der,
    attributes: 'CertificateTemplate:SmartcardUser\r\n',
    requester: (await ca.t.directory.findUser('alice'))!,
    source: 'test',
  });
  expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
  return { k, cert: new Uint8Array(r.certificate!) };
}

describe('PKCS#12 built in the page', () => {
  it.each(['rsa', 'P-256'] as const)(
    '%s: openssl pkcs12 -info shows the key, "Smartcard Certificate" and the chain; the key is the certificate\'s; verify OK',
    async (alg) => {
      const { k, cert } = await issued(alg);
      const p12 = await buildPkcs12({
        privateKey: k.pkcs8,
        certificate: cert,
        chain,
        friendlyName: 'Smartcard Certificate',
        password: PASSWORD,
      });
      const file = writeDer(k.dir, 'Smartcard Certificate.p12', p12);
      const info = openssl(['pkcs12', '-info', '-nodes', '-in', file, '-passin', `pass:${PASSWORD}`]);
      expect(info.status, info.stderr).toBe(0);
      const all = info.stdout + info.stderr;
      expect(all).toContain(`MAC: sha256, Iteration ${MAC_ITERATIONS}`);
      expect(all).toContain(
        `Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration ${PBKDF2_ITERATIONS}, PRF hmacWithSHA256`,
      );
      expect(all).toContain(
        `PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration ${PBKDF2_ITERATIONS}, PRF hmacWithSHA256`,
      );
      expect(all).toMatch(/-----BEGIN PRIVATE KEY-----/);
      // friendlyName on the key bag and the leaf certificate bag, with the same localKeyId.
      expect(all.match(/friendlyName: Smartcard Certificate/g)).toHaveLength(2);
      const ids = [...all.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((m) => m[1].trim());
      expect(ids).toHaveLength(2);
      expect(ids[0]).toBe(ids[1]);
      const sha1 = openssl(['x509', '-inform', 'DER', '-noout', '-fingerprint', '-sha1'], Buffer.from(cert))
        .stdout.split('=')[1]
        .trim()
        .replace(/:/g, ' ');
      expect(ids[0]).toBe(sha1);
      // Leaf + issuing + root.
      expect(all.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(3);

      const certs = openssl(['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-nokeys', '-clcerts']).stdout;
      const leafPem = join(k.dir, 'leaf.pem');
      writeFileSync(leafPem, certs);
      const cacerts = join(k.dir, 'ca.pem');
      writeFileSync(
        cacerts,
        openssl(['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-nokeys', '-cacerts']).stdout,
      );
      const rootFile = join(k.dir, 'root.pem');
      writeFileSync(rootFile, toPem(chain[chain.length - 1], 'CERTIFICATE'));
      const v = openssl(['verify', '-CAfile', rootFile, '-untrusted', cacerts, leafPem]);
      expect(v.stdout, v.stderr).toContain(': OK');
      // The key in the file is the certificate's key.
      const keyFile = join(k.dir, 'key-from-p12.pem');
      writeFileSync(
        keyFile,
        openssl(['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-nocerts', '-nodes']).stdout,
      );
      const keyPub = openssl(['pkey', '-in', keyFile, '-pubout']).stdout;
      const certPub = openssl(['x509', '-in', leafPem, '-noout', '-pubkey']).stdout;
      expect(keyPub).toBe(certPub);
      expect(keyPub).toContain('BEGIN PUBLIC KEY');
    },
  );

  it('a wrong password does not open it (MAC check), and an empty password is refused when building', async () => {
    const { k, cert } = await issued('P-256');
    const p12 = await buildPkcs12({
      privateKey: k.pkcs8,
      certificate: cert,
      chain,
      friendlyName: 'x',
      password: PASSWORD,
    });
    const file = writeDer(k.dir, 'x.p12', p12);
    const bad = openssl(['pkcs12', '-info', '-nodes', '-in', file, '-passin', 'pass:wrong password']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/mac verify failure|invalid password/i);
    await expect(buildPkcs12({ privateKey: k.pkcs8, certificate: cert, chain, password: '' })).rejects.toThrow(
      /password/,
    );
    await expect(readPkcs12(p12, 'wrong password')).rejects.toMatchObject({ reason: 'password' });
  });

  it('non-ASCII passwords work with OpenSSL (UTF-8 for PBKDF2, BMPString for the MAC)', async () => {
    const { k, cert } = await issued('P-256');
    const pw = 'Pässwörd-€-123';
    const p12 = await buildPkcs12({
      privateKey: k.pkcs8,
      certificate: cert,
      chain: [],
      friendlyName: 'Zertifikat für Anmeldung',
      password: pw,
    });
    const file = writeDer(k.dir, 'u.p12', p12);
    const info = openssl(['pkcs12', '-info', '-nodes', '-in', file, '-passin', `pass:${pw}`]);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout + info.stderr).toContain('friendlyName: Zertifikat f');
  });

  it('reads back its own file: the key, the leaf, the chain and the friendly name', async () => {
    const { k, cert } = await issued('rsa');
    const p12 = await buildPkcs12({
      privateKey: k.pkcs8,
      certificate: cert,
      chain,
      friendlyName: 'Smartcard Certificate',
      password: PASSWORD,
    });
    const back = await readPkcs12(p12, PASSWORD);
    expect(Buffer.from(back.certificate).equals(Buffer.from(cert))).toBe(true);
    expect(back.others.map((c) => Buffer.from(c).toString('base64')).sort()).toEqual(
      chain.map((c) => Buffer.from(c).toString('base64')).sort(),
    );
    expect(back.friendlyName).toBe('Smartcard Certificate');
    expect(Buffer.from(back.privateKey).equals(Buffer.from(k.pkcs8))).toBe(true);
  });

  it.each([
    ['OpenSSL 3 defaults (PBES2 AES-256)', [] as string[], null],
    ['legacy 3DES', ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES'], 'legacy'],
  ] as const)('reads a PKCS#12 made by openssl pkcs12 -export: %s', async (_name, extra, failure) => {
    const { k, cert } = await issued('P-256');
    const certPem = join(k.dir, 'c.pem');
    writeFileSync(certPem, toPem(cert, 'CERTIFICATE'));
    const out = join(k.dir, 'o.p12');
    const r = openssl([
      'pkcs12',
      '-export',
      '-inkey',
      k.keyFile,
      '-in',
      certPem,
      '-name',
      'Agent Key',
      '-passout',
      `pass:${PASSWORD}`,
      '-out',
      out,
      ...extra,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const bytes = new Uint8Array(readFileSync(out));
    if (failure) {
      await expect(readPkcs12(bytes, PASSWORD)).rejects.toBeInstanceOf(Pkcs12Error);
      await expect(readPkcs12(bytes, PASSWORD)).rejects.toMatchObject({ reason: failure });
      return;
    }
    const back = await readPkcs12(bytes, PASSWORD);
    expect(Buffer.from(back.certificate).equals(Buffer.from(cert))).toBe(true);
    expect(back.friendlyName).toBe('Agent Key');
    await expect(readPkcs12(bytes, 'nope')).rejects.toMatchObject({ reason: 'password' });
    await expect(readPkcs12(new Uint8Array([1, 2, 3]), PASSWORD)).rejects.toMatchObject({ reason: 'format' });
  });
});
