// The peers, on the same CSRs: Cloudflare CFSSL (`cfssl serve`, Debian's golang-cfssl) and
// `openssl ca` run once per certificate (as easy-rsa does), each with a CA of the same key type.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, median, percentile, sh, waitPort } from './proc.mjs';

const KEYGEN = {
  'RSA-2048': ['-newkey', 'rsa:2048'],
  'P-256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
};

/** A self-signed CA of the given key type (unencrypted key, as both peers expect). */
export function makeCa(dir, keyAlgorithm) {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'ca-key.pem');
  const cert = join(dir, 'ca.pem');
  sh('openssl', [
    'req',
    '-x509',
    ...KEYGEN[keyAlgorithm],
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '3650',
    '-subj',
    `/O=Peer Bench/CN=Peer ${keyAlgorithm} CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { key, cert };
}

/** CFSSL over TLS (`-tls-cert/-tls-key`, a P-256 localhost certificate like Tessera's). */
export async function startCfssl(dir, ca) {
  const tlsKey = join(dir, 'tls-key.pem');
  const tlsCert = join(dir, 'tls.pem');
  sh('openssl', [
    'req',
    '-x509',
    ...KEYGEN['P-256'],
    '-nodes',
    '-keyout',
    tlsKey,
    '-out',
    tlsCert,
    '-days',
    '30',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  // A profile close to Tessera's SmartcardUser: client auth, e-mail protection, smart card logon, 1 year.
  const config = join(dir, 'cfssl.json');
  writeFileSync(
    config,
    JSON.stringify({
      signing: {
        default: {
          expiry: '8760h',
          usages: ['digital signature', 'key encipherment', 'client auth', 'email protection'],
          ocsp_url: 'http://127.0.0.1:1/ocsp',
          crl_url: 'http://127.0.0.1:1/pki/peer.crl',
          issuer_urls: ['http://127.0.0.1:1/pki/peer.cer'],
        },
      },
    }),
  );
  const port = await freePort();
  const child = spawn(
    'cfssl',
    [
      'serve',
      '-address',
      '127.0.0.1',
      '-port',
      String(port),
      '-ca',
      ca.cert,
      '-ca-key',
      ca.key,
      '-config',
      config,
      '-tls-cert',
      tlsCert,
      '-tls-key',
      tlsKey,
      '-loglevel',
      '5',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (d) => (log = (log + d).slice(-4000)));
  const exited = new Promise((r) => child.on('exit', r));
  await waitPort(port);
  return {
    pid: child.pid,
    url: `https://127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Check one CFSSL answer with openssl (the same kind of check Tessera gets). */
export async function probeCfssl(server, csrPem, caCert, work) {
  const { request } = await import('node:https');
  const data = JSON.stringify({ certificate_request: csrPem });
  const body = await new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/api/v1/cfssl/sign`,
      {
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let t = '';
        res.on('data', (c) => (t += c));
        res.on('end', () => resolve(t));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
  const j = JSON.parse(body);
  if (!j.success) throw new Error(`cfssl sign failed: ${body}`);
  const f = join(work, 'cfssl-probe.pem');
  writeFileSync(f, j.result.certificate);
  sh('openssl', ['verify', '-CAfile', caCert, f]);
}

/**
 * `openssl ca`, one process per certificate, sequential: the easy-rsa way. index.txt and
 * the serial are rewritten per certificate (without fsync). Returns certificates/s,
 * p50/p99 of the per-process time, and the largest peak RSS of one process.
 */
export function runOpensslCa(dir, ca, csrs, n) {
  const d = join(dir, 'openssl-ca');
  mkdirSync(join(d, 'newcerts'), { recursive: true });
  writeFileSync(join(d, 'index.txt'), '');
  writeFileSync(join(d, 'index.txt.attr'), 'unique_subject = no\n');
  const cnf = join(d, 'openssl.cnf');
  writeFileSync(
    cnf,
    `[ ca ]
default_ca = bench
[ bench ]
dir = ${d}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
certificate = ${ca.cert}
private_key = ${ca.key}
rand_serial = yes
default_md = sha256
default_days = 365
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = smartcard_user
[ anything ]
commonName = supplied
organizationName = optional
[ smartcard_user ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth,emailProtection,1.3.6.1.4.1.311.20.2.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://127.0.0.1:1/pki/peer.crl
authorityInfoAccess = OCSP;URI:http://127.0.0.1:1/ocsp,caIssuers;URI:http://127.0.0.1:1/pki/peer.cer
`,
  );
  const inputs = [];
  for (let i = 0; i < n; i++) {
    const f = join(d, `req-${i}.pem`);
    writeFileSync(f, csrs[i % csrs.length].pem);
    inputs.push(f);
  }
  const ms = [];
  let rss = 0;
  const started = performance.now();
  for (const [i, f] of inputs.entries()) {
    const t0 = performance.now();
    const r = sh('/usr/bin/time', [
      '-f',
      'RSS %M',
      'openssl',
      'ca',
      '-batch',
      '-notext',
      '-config',
      cnf,
      '-in',
      f,
      '-out',
      join(d, `cert-${i}.pem`),
    ]);
    ms.push(performance.now() - t0);
    rss = Math.max(rss, Number(/RSS (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024);
  }
  const s = (performance.now() - started) / 1000;
  const v = sh('openssl', ['verify', '-CAfile', ca.cert, join(d, `cert-${n - 1}.pem`)], { allowFail: true });
  return { rps: n / s, p50: median(ms), p99: percentile(ms, 99), rssMB: rss, n, verified: v.status === 0 };
}
