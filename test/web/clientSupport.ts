/**
 * Helpers for the Node unit tests of the browser client (src/client/web/*.test.ts): keys
 * made by the client's own code path, written out for OpenSSL, and a real CA to issue to.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { generateBrowserKey, unsealPrivateKey, type BrowserKey } from '../../src/client/web/browserKey.js';
import type { KeyAlg } from '../../src/client/web/template.js';
import type { RequestHash } from '../../src/x509/buildCsr.js';
import { toPem } from '../../src/x509/pem.js';
import { openssl, tmpDir } from '../support/openssl.js';

export interface KeyOnDisk {
  readonly key: BrowserKey;
  readonly pkcs8: Uint8Array;
  readonly dir: string;
  readonly keyFile: string;
  /** A self-signed certificate for the key, so `openssl cms -verify` can check the proof-of-possession signature. */
  readonly popCertFile: string;
}

export async function browserKeyOnDisk(alg: KeyAlg, hash: RequestHash = 'SHA-256', keySize = 2048): Promise<KeyOnDisk> {
  const key = await generateBrowserKey(alg, keySize, hash);
  const pkcs8 = await unsealPrivateKey(key.sealed);
  const dir = tmpDir('web-client-');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(keyFile, toPem(pkcs8, 'PRIVATE KEY'));
  const popCertFile = join(dir, 'pop.pem');
  const r = openssl(['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=pop', '-days', '1', '-out', popCertFile]);
  expect(r.status, r.stderr).toBe(0);
  return { key, pkcs8, dir, keyFile, popCertFile };
}

export function writeDer(dir: string, name: string, der: Uint8Array): string {
  const f = join(dir, name);
  writeFileSync(f, der);
  return f;
}
