/**
 * Browser keys through the client's own code (WebCrypto: Node 20's globalThis.crypto is
 * the same API): generation per algorithm, the sealed copy kept until install, and
 * signatures OpenSSL accepts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openssl } from '../../../test/support/openssl.js';
import { browserKeyOnDisk } from '../../../test/web/clientSupport.js';
import { toPem } from '../../x509/pem.js';
import { generateBrowserKey, sealPrivateKey, unsealPrivateKey } from './browserKey.js';

describe('browser keys (WebCrypto)', () => {
  it.each([
    ['rsa', 'RSA', /Public-Key: \(2048 bit\)/],
    ['P-256', 'EC', /NIST CURVE: P-256/],
    ['P-384', 'EC', /NIST CURVE: P-384/],
  ] as const)(
    'creates %s keys OpenSSL reads, and the sealed PKCS#8 matches the public key',
    async (alg, type, shape) => {
      const k = await browserKeyOnDisk(alg);
      const pub = openssl(['pkey', '-pubin', '-inform', 'DER', '-noout', '-text'], Buffer.from(k.key.spki));
      expect(pub.status, pub.stderr).toBe(0);
      expect(pub.stdout).toMatch(shape);
      expect(k.key.keyKind).toBe(type === 'RSA' ? 'rsa' : 'ec');
      // The unsealed private key's public half is the SPKI the request carries.
      const derived = openssl(['pkey', '-in', k.keyFile, '-pubout', '-outform', 'DER']);
      expect(Buffer.from(derived.stdout, 'latin1').equals(Buffer.from(k.key.spki))).toBe(true);
    },
  );

  it('creates an RSA key of the size asked for (3072)', async () => {
    const k = await generateBrowserKey('rsa', 3072, 'SHA-256');
    expect(openssl(['pkey', '-pubin', '-inform', 'DER', '-noout', '-text'], Buffer.from(k.spki)).stdout).toContain(
      '3072 bit',
    );
  });

  it.each([
    ['rsa', 'SHA-1', 'sha1'],
    ['rsa', 'SHA-256', 'sha256'],
    ['P-256', 'SHA-256', 'sha256'],
    ['P-384', 'SHA-384', 'sha384'],
  ] as const)(
    'signs %s with %s in the form X.509 uses (ECDSA as DER), verified by openssl dgst',
    async (alg, hash, dgst) => {
      const k = await browserKeyOnDisk(alg, hash);
      const data = new TextEncoder().encode('to be signed');
      const sig = await k.key.sign(data);
      const pubFile = join(k.dir, 'pub.pem');
      writeFileSync(pubFile, toPem(k.key.spki, 'PUBLIC KEY'));
      const sigFile = join(k.dir, 'sig.bin');
      writeFileSync(sigFile, sig);
      const v = openssl(['dgst', `-${dgst}`, '-verify', pubFile, '-signature', sigFile], Buffer.from(data));
      expect(v.stdout, v.stderr).toContain('Verified OK');
    },
  );

  it('keeps the private key only sealed under a non-extractable AES-GCM key', async () => {
    const k = await generateBrowserKey('P-256', 0, 'SHA-256');
    expect(k.sealed.vault.extractable).toBe(false);
    expect(k.sealed.vault.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    await expect(globalThis.crypto.subtle.exportKey('raw', k.sealed.vault)).rejects.toThrow();
    const pkcs8 = await unsealPrivateKey(k.sealed);
    // The sealed bytes are not the PKCS#8 itself.
    expect(Buffer.from(k.sealed.sealed).includes(Buffer.from(pkcs8.slice(-32)))).toBe(false);
    // Tampering is detected (GCM tag).
    const bad = { ...k.sealed, sealed: k.sealed.sealed.slice() };
    bad.sealed[0] ^= 1;
    await expect(unsealPrivateKey(bad)).rejects.toThrow();
    // A fresh seal of the same bytes uses a fresh IV and key.
    const again = await sealPrivateKey(pkcs8);
    expect(Buffer.from(again.iv).equals(Buffer.from(k.sealed.iv))).toBe(false);
  });
});
