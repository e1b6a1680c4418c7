#!/usr/bin/env node
// Sign-in path validation benchmark, side by side in one run on this machine: how many
// 3-certificate smart card chains (root → issuing CA → end entity with Smart Card Logon,
// a UPN and the SID extension's OID-free stand-in) per second
//
//   - Tessera's validatePath (src/signin/validatePath.ts, RFC 5280 §6.1 with path
//     building), from DER each time (what a fresh sign-in costs: strict parse of the leaf
//     and the presented CA, path building, two signature checks, all §6.1 processing) and
//     with the certificates already parsed (the validator keeps its trust lists parsed);
//   - `openssl verify -CAfile root -untrusted issuing leaf` — one process per validation
//     (how a shell script or a PAM helper calls it), and one process given the same leaf
//     many times (OpenSSL's own per-validation cost, process start amortised).
//
// No revocation fetch in any row. One process, one core for Tessera (the signature
// checks of ECDSA go to the verification worker).
//
// Usage: node bench/signin.mjs [--no-build] [--seconds 3] [--keys rsa,p256] [--openssl-n 200]
// Needs: openssl. Writes bench/results/signin.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUnlessNoBuild, opt, root } from './lib/cli.mjs';

buildUnlessNoBuild();
const seconds = Number(opt('seconds', '3'));
const kinds = opt('keys', 'rsa,p256').split(',');
const opensslN = Number(opt('openssl-n', '200'));

const { validatePath } = await import(join(root, 'dist/signin/validatePath.js'));
const { parseCertificate } = await import(join(root, 'dist/signin/parseCertificate.js'));

const ossl = (a, o = {}) => execFileSync('openssl', a, { stdio: ['ignore', 'pipe', 'pipe'], ...o }).toString();

/** A root, an issuing CA and a smart card logon end entity, made by openssl in `dir`. */
function chain(dir, kind) {
  const key = (f) =>
    ossl(
      kind === 'rsa'
        ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f]
        : ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f],
    );
  for (const n of ['root', 'issuing', 'leaf']) key(join(dir, `${n}.key`));
  writeFileSync(
    join(dir, 'ext.cnf'),
    [
      '[root]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[issuing]',
      'basicConstraints = critical, CA:TRUE, pathlen:0',
      'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '[leaf]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = 1.3.6.1.4.1.311.20.2.2, clientAuth',
      'subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@corp.example',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  const p = (f) => join(dir, f);
  ossl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      p('root.key'),
      '-subj',
      '/O=Bench Org/CN=Bench Root',
      '-days',
      '30',
      '-sha256',
      '-extensions',
      'root',
      '-config',
      p('ext.cnf'),
      '-out',
      p('root.pem'),
    ],
    { env: { ...process.env, OPENSSL_CONF: p('ext.cnf') } },
  );
  for (const [n, issuer, subj] of [
    ['issuing', 'root', '/O=Bench Org/CN=Bench Issuing CA'],
    ['leaf', 'issuing', '/O=Bench Org/CN=Alice'],
  ]) {
    ossl(['req', '-new', '-key', p(`${n}.key`), '-subj', subj, '-out', p(`${n}.csr`), '-config', p('ext.cnf')]);
    ossl([
      'x509',
      '-req',
      '-in',
      p(`${n}.csr`),
      '-CA',
      p(`${issuer}.pem`),
      '-CAkey',
      p(`${issuer}.key`),
      '-set_serial',
      `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}01`,
      '-days',
      '20',
      '-sha256',
      '-extfile',
      p('ext.cnf'),
      '-extensions',
      n,
      '-out',
      p(`${n}.pem`),
    ]);
  }
  const toDer = (n) => {
    const text = readFileSync(p(`${n}.pem`), 'latin1');
    return Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  };
  return {
    root: toDer('root'),
    issuing: toDer('issuing'),
    leaf: toDer('leaf'),
    files: { root: p('root.pem'), issuing: p('issuing.pem'), leaf: p('leaf.pem') },
  };
}

/** Validations per second of `fn` for `seconds` (after a short warm-up), sequentially. */
async function rate(fn) {
  const warm = performance.now() + 300;
  while (performance.now() < warm) await fn();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return { perSecond: n / ((performance.now() - t0) / 1000), n };
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const rows = [];
const load0 = loadavg()[0];
const work = mkdtempSync(join(tmpdir(), 'tessera-bench-signin-'));
try {
  for (const kind of kinds) {
    const dir = join(work, kind);
    mkdirSync(dir);
    const c = chain(dir, kind);
    const label = kind === 'rsa' ? 'RSA-2048' : 'ECDSA P-256';
    // The chain must validate in both before it is timed.
    const check = await validatePath(c.leaf, { anchors: [c.root], intermediates: [c.issuing] });
    if (!check.ok) throw new Error(`validatePath refused the ${label} bench chain: ${check.code} ${check.detail}`);
    const ov = spawnSync('openssl', ['verify', '-CAfile', c.files.root, '-untrusted', c.files.issuing, c.files.leaf], {
      encoding: 'utf8',
    });
    if (ov.status !== 0) throw new Error(`openssl verify refused the ${label} bench chain: ${ov.stdout}${ov.stderr}`);

    const fromDer = await rate(() => validatePath(c.leaf, { anchors: [c.root], intermediates: [c.issuing] }));
    rows.push([
      label,
      'Tessera validatePath, from DER (parse + build + §6.1)',
      fmt(fromDer.perSecond),
      `${fromDer.n} in ${seconds} s`,
    ]);
    const anchor = parseCertificate(c.root);
    const issuing = parseCertificate(c.issuing);
    const leaf = parseCertificate(c.leaf);
    const parsed = await rate(() => validatePath(leaf, { anchors: [anchor], intermediates: [issuing] }));
    rows.push([
      label,
      'Tessera validatePath, certificates already parsed',
      fmt(parsed.perSecond),
      `${parsed.n} in ${seconds} s`,
    ]);

    let t0 = performance.now();
    for (let i = 0; i < opensslN; i++) {
      const r = spawnSync('openssl', ['verify', '-CAfile', c.files.root, '-untrusted', c.files.issuing, c.files.leaf]);
      if (r.status !== 0) throw new Error('openssl verify failed during the run');
    }
    let s = (performance.now() - t0) / 1000;
    rows.push([
      label,
      '`openssl verify`, one process per validation',
      fmt(opensslN / s),
      `${opensslN} in ${s.toFixed(2)} s`,
    ]);

    const many = Array(2000).fill(c.files.leaf);
    t0 = performance.now();
    const r = spawnSync('openssl', ['verify', '-CAfile', c.files.root, '-untrusted', c.files.issuing, ...many], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    s = (performance.now() - t0) / 1000;
    if (r.status !== 0 || (r.stdout.match(/: OK/g) ?? []).length !== many.length)
      throw new Error('openssl verify (many) failed');
    rows.push([
      label,
      '`openssl verify`, one process, the leaf given 2,000 times',
      fmt(many.length / s),
      `${many.length} in ${s.toFixed(2)} s`,
    ]);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const version = ossl(['version']).trim();
const md = [
  '# Sign-in path validation benchmark',
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${version} (\`node bench/signin.mjs\`). One-minute load average ${load0.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end.`,
  '',
  'A 3-certificate smart card chain made by openssl (root → issuing CA with pathlen 0 → end entity with Smart Card Logon, Client Authentication and a UPN), validated at the current time, no revocation fetch, sequentially in one thread. Both validators accept the chain before it is timed.',
  '',
  '| keys | validator | validations/s | sample |',
  '|---|---|---:|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
].join('\n');
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/signin.md'), md);
process.stdout.write(md);
// The ECDSA verification worker keeps the event loop alive.
process.exit(0);
