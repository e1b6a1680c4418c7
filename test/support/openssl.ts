/**
 * OpenSSL as the independent judge of what Tessera emits (docs/development.md "Rules the
 * code keeps" 6).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tmpDir(prefix = 'tessera-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface OpensslResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run openssl with args; never throws, so tests can assert failures too. */
export function openssl(args: string[], input?: string | Buffer): OpensslResult {
  // With encoding 'buffer', Node reads a string `input` as text in that encoding and fails; pass bytes.
  const r = spawnSync('openssl', args, {
    input: typeof input === 'string' ? Buffer.from(input) : input,
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') };
}

/** Write bytes to a fresh temp file and return its path. */
export function tmpFile(content: string | Buffer, name = 'f'): string {
  const p = join(tmpDir(), name);
  writeFileSync(p, content);
  return p;
}

export type KeySpecArg = 'rsa:1024' | 'rsa:2048' | 'rsa:3072' | 'rsa:4096' | 'P-256' | 'P-384' | 'P-521';

/** A CSR made by `openssl req` (PEM) and its private key (PEM). */
export function opensslCsr(
  key: KeySpecArg = 'rsa:2048',
  opts: { subject?: string; addext?: string[]; digest?: string } = {},
): { csr: string; key: string; keyFile: string } {
  const dir = tmpDir('csr-');
  const keyFile = join(dir, 'key.pem');
  const csrFile = join(dir, 'req.pem');
  if (key.startsWith('rsa:')) {
    execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${key.slice(4)}`, '-out', keyFile],
      { stdio: 'pipe' },
    );
  } else {
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${key}`, '-out', keyFile], {
      stdio: 'pipe',
    });
  }
  const args = [
    'req',
    '-new',
    '-key',
    keyFile,
    '-subj',
    opts.subject ?? '/CN=ignored',
    '-out',
    csrFile,
    `-${opts.digest ?? 'sha256'}`,
  ];
  for (const e of opts.addext ?? []) args.push('-addext', e);
  execFileSync('openssl', args, { stdio: 'pipe' });
  return { csr: readFileSync(csrFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), keyFile };
}

/** `openssl x509 -text` of a DER certificate. */
export function certText(der: Buffer): string {
  return openssl(['x509', '-inform', 'DER', '-noout', '-text'], der).stdout;
}

/** `openssl verify` of a DER leaf against PEM CA certificates; returns the result. */
export function verifyCert(leafDer: Buffer, caPem: string, extra: string[] = []): OpensslResult {
  const dir = tmpDir('verify-');
  const leaf = join(dir, 'leaf.pem');
  const ca = join(dir, 'ca.pem');
  // No empty line before END when the base64 is a multiple of 64 characters: OpenSSL
  // refuses such a PEM ("Could not read certificate file"), which made this flaky.
  const lines = leafDer
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  writeFileSync(leaf, `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`);
  writeFileSync(ca, caPem);
  return openssl(['verify', '-CAfile', ca, ...extra, leaf]);
}
