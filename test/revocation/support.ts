/**
 * Helpers for the revocation suites: leaves to revoke, PEM files for openssl, and a
 * clock tests move by hand.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueServiceCertificate } from '../../src/ra/issueServiceCertificate.js';
import type { Tessera } from '../../src/Tessera.js';
import { toPem } from '../../src/x509/pem.js';
import { openssl, tmpDir, type OpensslResult } from '../support/openssl.js';
import { LOCAL } from '../support/tessera.js';

let n = 0;

/** A leaf certificate from the issuing CA through the normal record-then-sign path. */
export async function leaf(t: Tessera, days = 30): Promise<{ serial: string; der: Buffer }> {
  const c = await issueServiceCertificate(t, LOCAL, 'tls-server', { commonName: `leaf${++n}.test.invalid` }, days);
  return { serial: c.serial, der: c.der };
}

/** Files in a fresh directory: name → path. DER certificates and CRLs are written as PEM. */
export function files(
  entries: Record<string, string | Buffer | { crl: Buffer } | { cert: Buffer }>,
): Record<string, string> {
  const dir = tmpDir('rev-');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(entries)) {
    const p = join(dir, name);
    if (typeof v === 'object' && 'crl' in v) writeFileSync(p, toPem(v.crl, 'X509 CRL'));
    else if (typeof v === 'object' && 'cert' in v) writeFileSync(p, toPem(v.cert, 'CERTIFICATE'));
    else writeFileSync(p, v);
    out[name] = p;
  }
  return out;
}

/** `openssl crl -text` of a DER CRL. */
export function crlText(der: Buffer): string {
  return openssl(['crl', '-inform', 'DER', '-noout', '-text'], der).stdout;
}

/** `openssl crl -verify` of a DER CRL against the CA certificate that signed it. */
export function verifyCrl(der: Buffer, caDer: Buffer): OpensslResult {
  const f = files({ 'crl.pem': { crl: der }, 'ca.pem': { cert: caDer } });
  return openssl(['crl', '-in', f['crl.pem'], '-CAfile', f['ca.pem'], '-verify', '-noout']);
}

/** `openssl verify -crl_check` of a leaf against the chain and some CRLs. */
export function verifyWithCrls(leafDer: Buffer, chainPem: string, crls: Buffer[], extra: string[] = []): OpensslResult {
  const f = files({
    'leaf.pem': { cert: leafDer },
    'chain.pem': chainPem,
    ...Object.fromEntries(crls.map((c, i) => [`crl${i}.pem`, { crl: c }])),
  });
  const crlArgs = crls.flatMap((_, i) => ['-CRLfile', f[`crl${i}.pem`]]);
  return openssl(['verify', '-CAfile', f['chain.pem'], '-crl_check', ...extra, ...crlArgs, f['leaf.pem']]);
}

/** A clock the test moves. */
export class TestClock {
  constructor(public ms = Date.now()) {}
  readonly now = () => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Upper-case hex serial as OpenSSL prints it in `crl -text`. */
export const opensslSerial = (hex: string) => hex.toUpperCase();

/** pkiRoutes and ocspRoutes on a real listener on 127.0.0.1 (as the lead registers them). */
export async function serveRevocation(t: Tessera): Promise<{ url: string; close(): Promise<void> }> {
  const { default: Fastify } = await import('fastify');
  const { default: pkiRoutes } = await import('../../src/entry/http/pki/pkiRoutes.js');
  const { default: ocspRoutes } = await import('../../src/entry/http/ocsp/ocspRoutes.js');
  const app = Fastify({ logger: false });
  await app.register(pkiRoutes, { tessera: t });
  await app.register(ocspRoutes, { tessera: t });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** openssl without blocking the event loop (the responder under test runs in this process). */
export function opensslAsync(args: string[]): Promise<OpensslResult> {
  return new Promise((resolve) => {
    const p = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.on('close', (code) =>
      resolve({
        status: code ?? -1,
        stdout: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('latin1'),
      }),
    );
  });
}

/** `openssl ocsp` as a client of a responder URL; returns its combined output. */
export async function ocspQuery(
  url: string,
  issuerDer: Buffer,
  chainPem: string,
  what: { certs?: Buffer[]; serials?: string[] },
  extra: string[] = [],
): Promise<OpensslResult & { out: string }> {
  const f = files({
    'issuer.pem': { cert: issuerDer },
    'chain.pem': chainPem,
    ...Object.fromEntries((what.certs ?? []).map((c, i) => [`c${i}.pem`, { cert: c }])),
  });
  // A digest option must come before -cert / -serial.
  const args = [
    'ocsp',
    ...extra,
    '-issuer',
    f['issuer.pem'],
    '-CAfile',
    f['chain.pem'],
    '-url',
    `${url}/ocsp`,
    '-timeout',
    '10',
  ];
  (what.certs ?? []).forEach((_, i) => {
    args.push('-cert', f[`c${i}.pem`]);
  });
  for (const s of what.serials ?? []) args.push('-serial', s);
  const r = await opensslAsync(args);
  return { ...r, out: r.stdout + r.stderr };
}
