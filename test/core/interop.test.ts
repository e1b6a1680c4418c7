/**
 * OpenSSL as the independent judge (docs/development.md "Rules the code keeps" 6): requests made by
 * `openssl req` are issued by RSA and ECDSA issuing CAs, and `openssl verify` /
 * `openssl x509 -text` must accept what Tessera signed and show what smart card logon
 * needs (learn.microsoft.com ff404293, KB5014754).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaCertificate } from '../../src/ca/CaCertificate.js';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { createUser } from '../../src/ra/admin/users.js';
import { submit } from '../../src/ra/submit.js';
import { initDataDir } from '../../src/setup/initDataDir.js';
import { Tessera } from '../../src/Tessera.js';
import { toPem } from '../../src/x509/pem.js';
import { certText, opensslCsr, tmpDir, verifyCert, type KeySpecArg } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

/** The serial as OpenSSL prints it, as bytes. */
function serialOctets(der: Buffer): Buffer {
  return Buffer.from(AsnConvert.parse(der, Certificate).tbsCertificate.serialNumber);
}

describe.each(['RSA-2048', 'P-256'] as const)('an %s issuing CA judged by OpenSSL', (keyAlgorithm) => {
  let ca: TestCa;
  let alice: DirectoryUser;
  beforeAll(async () => {
    ca = await newTestCa({ keyAlgorithm });
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    alice = await ca.user('alice', { displayName: 'Alice Smith' });
  });
  afterAll(async () => ca?.close());

  it.each([
    ['rsa:2048', 'sha256'],
    ['P-256', 'sha256'],
    ['P-384', 'sha384'],
    ['rsa:2048', 'sha1'],
  ] as [KeySpecArg, string][])(
    'issues a Smartcard User certificate for an openssl req %s CSR signed with %s',
    async (key, digest) => {
      const { csr } = opensslCsr(key, { digest, subject: '/CN=Administrator' });
      const r = await submit(ca.t, { request: csr, template: 'SmartcardUser', requester: alice, source: 'interop' });
      expect(r.disposition, r.message).toBe('issued');
      const der = r.certificate!;

      const verified = verifyCert(der, ca.chainPem, ['-x509_strict']);
      expect(verified.status, verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(/: OK$/m);
      expect(verifyCert(der, ca.chainPem, ['-purpose', 'sslclient']).stdout).toMatch(/: OK$/m);
      expect(verifyCert(der, ca.chainPem, ['-purpose', 'smimesign']).stdout).toMatch(/: OK$/m);

      const text = certText(der);
      // Subject from the directory, never the requested CN=Administrator (ESC1).
      expect(text).toMatch(
        /Subject: DC ?= ?local, DC ?= ?tessera, CN ?= ?Users, CN ?= ?Alice Smith, emailAddress ?= ?alice@example.com/,
      );
      expect(text).not.toContain('Administrator');
      expect(text).toContain('othername: UPN::alice@tessera.local');
      expect(text).toContain('email:alice@example.com');
      expect(text).toMatch(
        /X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication, E-mail Protection, Microsoft Smartcard Login/,
      );
      expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, (Key Encipherment|Key Agreement)\n/);
      expect(text).toContain(key.startsWith('rsa') ? 'Key Encipherment' : 'Key Agreement');
      expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
      // KB5014754 SID extension; OpenSSL prints the unknown extension's bytes, SID text included.
      expect(text).toMatch(/1\.3\.6\.1\.4\.1\.311\.25\.2: ?\n/);
      expect(text).toContain(alice.sid!);
      // v1 template name extension, a BMPString.
      expect(text).toMatch(/1\.3\.6\.1\.4\.1\.311\.20\.2: ?\n\s+.*S\.m\.a\.r\.t\.c\.a\.r\.d\.U\.s\.e\.r/);
      expect(text).toContain('URI:http://pki.test.invalid/pki/issuing.crl');
      expect(text).toContain('CA Issuers - URI:http://pki.test.invalid/pki/issuing.cer');
      expect(text).toContain('OCSP - URI:http://pki.test.invalid/ocsp');
      expect(text).toMatch(/X509v3 Subject Key Identifier/);
      expect(text).toMatch(/X509v3 Authority Key Identifier/);

      // Every certificate Tessera signs uses SHA-256 or stronger, even for a SHA-1 request.
      const sigAlgs = [...text.matchAll(/Signature Algorithm: (\S+)/g)].map((m) => m[1]);
      expect(sigAlgs.length).toBeGreaterThan(0);
      for (const a of sigAlgs)
        expect(a).toBe(keyAlgorithm === 'RSA-2048' ? 'sha256WithRSAEncryption' : 'ecdsa-with-SHA256');
      expect(text.toLowerCase()).not.toMatch(/sha1with|ecdsa-with-sha1/);

      // RFC 5280 §4.1.2.2: positive, ≤ 20 octets, ≥ 64 bits of randomness.
      const serial = serialOctets(der);
      expect(serial.length).toBeGreaterThanOrEqual(9);
      expect(serial.length).toBeLessThanOrEqual(20);
      expect(serial[0] & 0x80).toBe(0);
      expect(serial.toString('hex')).toBe(r.serial);

      // Within the issuer's validity.
      const issuer = readCaCertificate(ca.t.chain()[0]);
      const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;
      expect(tbs.validity.notBefore.getTime().getTime()).toBeGreaterThanOrEqual(issuer.notBefore.getTime());
      expect(tbs.validity.notAfter.getTime().getTime()).toBeLessThanOrEqual(issuer.notAfter.getTime());
    },
  );

  it('writes the hierarchy itself so OpenSSL accepts it: a CA root and a pathLen 0 issuing CA', () => {
    const [issuing, root] = ca.t.chain();
    const rootText = certText(root);
    expect(rootText).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    expect(rootText).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign/);
    const issuingText = certText(issuing);
    expect(issuingText).toMatch(/CA:TRUE, pathlen:0/);
    expect(issuingText).not.toMatch(/Extended Key Usage/);
    const v = verifyCert(issuing, toPem(root, 'CERTIFICATE'), ['-x509_strict']);
    expect(v.stdout, v.stderr).toMatch(/: OK$/m);
  });
});

describe('a single-tier CA', () => {
  let t: Tessera;
  let dir: string;
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('initialises one self-signed CA that issues certificates clamped to its own validity', async () => {
    dir = tmpDir('single-');
    const init = await initDataDir({
      dataDir: dir,
      singleTier: true,
      keyAlgorithm: 'P-384',
      caValidityDays: 30,
      publicUrl: 'http://pki.single.invalid',
      hostnames: ['localhost'],
    });
    expect(init.rootCertificate.equals(init.issuingCertificate)).toBe(true);
    t = await Tessera.open(dir);
    expect(t.chain()).toHaveLength(1);
    const caCert = readCaCertificate(t.chain()[0]);
    expect(caCert.selfSigned).toBe(true);
    expect(certText(t.chain()[0])).toMatch(/Signature Algorithm: ecdsa-with-SHA384/);

    await setTemplateGrant(t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    await createUser(t, LOCAL, { username: 'bob', email: 'bob@example.com' });
    const bob = (await t.directory.findUser('bob'))!;
    const r = await submit(t, {
      request: opensslCsr('P-256').csr,
      template: 'SmartcardUser',
      requester: bob,
      source: 'interop',
    });
    expect(r.disposition, r.message).toBe('issued');
    const chainPem = toPem(t.chain()[0], 'CERTIFICATE');
    expect(verifyCert(r.certificate!, chainPem, ['-purpose', 'sslclient']).stdout).toMatch(/: OK$/m);
    // The template asks for 365 days; the CA has 30, so the certificate ends with the CA (RFC 5280 §4.1.2.5).
    const tbs = AsnConvert.parse(r.certificate!, Certificate).tbsCertificate;
    expect(tbs.validity.notAfter.getTime().getTime()).toBe(caCert.notAfter.getTime());
    expect(certText(r.certificate!)).toContain('URI:http://pki.single.invalid/pki/issuing.crl');
  });
});
