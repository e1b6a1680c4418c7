#!/usr/bin/env node
// Revocation benchmark, side by side in one run on this machine:
//
//   1. CRL generation for 10,000 / 100,000 / 1,000,000 revoked certificates:
//      Tessera's `publishCrl` (streams rows from SQLite, signs, stores) vs
//      `openssl ca -gencrl` over an index.txt holding the same entries. Time, peak RSS
//      (each generator runs in its own process), DER size; our CRL is checked with
//      `openssl crl -verify`.
//   2. OCSP responses/s at concurrency 1 and 32 (wrk, POST of one fixed request):
//      Tessera's ocspRoutes on Fastify vs `openssl ocsp -index … -port` vs CFSSL
//      `cfssl ocspserve` (serving a pre-signed response file). Client CPU is reported.
//
// Usage: node bench/revocation.mjs [--no-build] [--sizes 10000,100000,1000000] [--seconds 5] [--only crl|ocsp]
// Needs: openssl, wrk, /usr/bin/time; cfssl optional. Writes bench/results/revocation.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sh, waitPort } from './lib/proc.mjs';
import { args, buildUnlessNoBuild, opt, root } from './lib/cli.mjs';

const dist = (p) => join(root, 'dist', p);

// ------------------------------------------------------------------------------------

/** Run a command under /usr/bin/time; returns elapsed seconds, peak RSS (KB), CPU seconds. */
function timed(cmd, a, o = {}) {
  const r = sh('/usr/bin/time', ['-f', 'TIME %e %M %U %S', cmd, ...a], o);
  const m = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return { s: Number(m[1]), rssKB: Number(m[2]), cpu: Number(m[3]) + Number(m[4]), stdout: r.stdout, stderr: r.stderr };
}

const yymmdd = (ms) => {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
};
const REASONS = { 1: 'keyCompromise', 2: 'CACompromise', 3: 'affiliationChanged' };

async function initCa(dir, keyAlgorithm) {
  const { initDataDir } = await import(dist('setup/initDataDir.js'));
  await initDataDir({
    dataDir: dir,
    caName: 'Bench',
    organization: 'Tessera Bench',
    keyAlgorithm,
    rootKeyAlgorithm: keyAlgorithm,
    publicUrl: 'http://127.0.0.1:1',
    hostnames: ['localhost'],
  });
}

// ------------------------------------------------------------------------------------
// 1. CRL generation
// ------------------------------------------------------------------------------------
async function benchCrl(sizes) {
  const { Tessera } = await import(dist('Tessera.js'));
  const { sql } = await import('kysely');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-crl-'));
  await initCa(dir, 'RSA-2048');
  // openssl ca needs the issuing key in the clear, and its own small configuration.
  const ossl = join(dir, 'openssl');
  mkdirSync(ossl);
  sh('openssl', [
    'pkey',
    '-in',
    join(dir, 'keys/issuing.key.pem'),
    '-passin',
    `file:${join(dir, 'keys/passphrase')}`,
    '-out',
    join(ossl, 'key.pem'),
  ]);
  sh('openssl', ['x509', '-inform', 'DER', '-in', join(dir, 'certs/issuing.cer'), '-out', join(ossl, 'ca.pem')]);
  writeFileSync(
    join(ossl, 'ca.cnf'),
    `[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\ncrl_extensions = crl_ext\nunique_subject = no\n[ crl_ext ]\nauthorityKeyIdentifier = keyid:always\n`,
  );
  const rows = [];
  let have = 0;
  const now = Date.now();
  for (const n of sizes) {
    // Bulk insert straight through the store's database handle: random 16-octet serials
    // (first nibble 4, as the CA makes them), revoked a second apart, reasons 0–3.
    const t = await Tessera.open(dir, { withIssuingKey: false });
    const add = n - have;
    const t0 = performance.now();
    for (let done = 0; done < add; done += 250_000) {
      const k = Math.min(250_000, add - done);
      await sql`
        with recursive seq(i) as (select 1 union all select i + 1 from seq where i < ${k})
        insert into certificates (serial, ca_id, request_id, subject, subject_user, template, not_before, not_after, status, tbs, der, issued_at, revoked_at, revocation_reason, created_at)
        select '4' || substr(lower(hex(randomblob(16))), 2), 'issuing', null, 'CN=bench', null, 'bench', ${now - 86_400_000}, ${now + 365 * 86_400_000}, 'revoked', x'00', null,
               ${now - 86_400_000}, ${now - 86_400_000 * 30} + (${have + done} + i) * 1000, (${have + done} + i) % 4, ${now}
        from seq`.execute(t.store.db);
    }
    const insertS = (performance.now() - t0) / 1000;
    // The same entries for openssl: index.txt (status, expiry, revocation[,reason], serial, file, DN).
    const all = await t.store.db
      .selectFrom('certificates')
      .select(['serial', 'not_after', 'revoked_at', 'revocation_reason'])
      .where('status', '=', 'revoked')
      .where('ca_id', '=', 'issuing')
      .execute();
    await t.close();
    have = n;
    const out = createWriteStream(join(ossl, 'index.txt'));
    let i = 0;
    for (const r of all) {
      const reason = REASONS[r.revocation_reason];
      out.write(
        `R\t${yymmdd(Number(r.not_after))}\t${yymmdd(Number(r.revoked_at))}${reason ? `,${reason}` : ''}\t${r.serial.toUpperCase()}\tunknown\t/CN=leaf${i++}\n`,
      );
    }
    await new Promise((r) => out.end(r));
    writeFileSync(join(ossl, 'crlnumber'), '01\n');
    all.length = 0;

    const child = timed(process.execPath, [fileURLToPath(import.meta.url), '--child', 'crl', dir]);
    const ours = JSON.parse(child.stdout.trim().split('\n').pop());
    const theirs = timed(
      'openssl',
      ['ca', '-gencrl', '-config', 'ca.cnf', '-keyfile', 'key.pem', '-cert', 'ca.pem', '-out', 'crl.pem'],
      { cwd: ossl },
    );
    sh('openssl', ['crl', '-in', join(ossl, 'crl.pem'), '-outform', 'DER', '-out', join(ossl, 'crl.der')]);
    const v = sh(
      'openssl',
      ['crl', '-inform', 'DER', '-in', join(dir, 'ours.crl'), '-CAfile', join(ossl, 'ca.pem'), '-verify', '-noout'],
      { allowFail: true },
    );
    rows.push({
      n,
      insertS,
      oursS: ours.ms / 1000,
      oursWarmS: ours.warmMs / 1000,
      oursProcessS: child.s,
      oursRssMB: ours.maxRssKB / 1024,
      oursBytes: ours.bytes,
      oursEntries: ours.entries,
      opensslS: theirs.s,
      opensslRssMB: theirs.rssKB / 1024,
      opensslBytes: statSync(join(ossl, 'crl.der')).size,
      verified: /verify OK/.test(v.stderr),
    });
    console.error(
      `crl ${n}: ours ${(ours.ms / 1000).toFixed(2)} s (process ${child.s} s, ${(ours.maxRssKB / 1024).toFixed(0)} MB), openssl ${theirs.s} s (${(theirs.rssKB / 1024).toFixed(0)} MB)`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

// ------------------------------------------------------------------------------------
// 2. OCSP throughput
// ------------------------------------------------------------------------------------
/** The Node load client (its own process): `conns` loops of keep-alive POSTs; reconnects when the server closes. */
function nodeLoad(url, bodyFile, conns, seconds) {
  try {
    const r = sh(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', 'load', url, bodyFile, String(conns), String(seconds)],
      { allowFail: true, timeout: (seconds + 30) * 1000 },
    );
    const m = JSON.parse(r.stdout.trim().split('\n').pop());
    return {
      rps: m.rps,
      lat: `${m.avgMs.toFixed(2)}ms`,
      non2xx: m.non200,
      sockErr: m.errors ? `${m.errors} errors` : '',
      clientCpu: m.clientCpu,
    };
  } catch {
    return { rps: 0, lat: '?', non2xx: 0, sockErr: 'client failed', clientCpu: 0 };
  }
}

function wrk(url, bodyFile, conns, seconds) {
  const lua = join(dirname(bodyFile), `post-${conns}.lua`);
  writeFileSync(
    lua,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/ocsp-request"\nlocal f = io.open("${bodyFile}", "rb")\nwrk.body = f:read("*all")\nf:close()\n`,
  );
  const threads = conns === 1 ? 1 : 2;
  const r = timed('wrk', [`-t${threads}`, `-c${conns}`, `-d${seconds}s`, '--latency', '-s', lua, url], {
    allowFail: true,
  });
  const rps = Number(/Requests\/sec:\s*([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
  const lat = /Latency\s+([\d.]+\w+)/.exec(r.stdout)?.[1] ?? '?';
  const non2xx = Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(r.stdout)?.[1] ?? 0);
  const sockErr = /Socket errors: (.*)/.exec(r.stdout)?.[1] ?? '';
  return { rps, lat, non2xx, sockErr, clientCpu: r.cpu / r.s };
}

async function benchOcsp(seconds) {
  const { Tessera } = await import(dist('Tessera.js'));
  const { issueServiceCertificate } = await import(dist('ra/issueServiceCertificate.js'));
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-ocsp-'));
  await initCa(dir, 'P-256');
  const t = await Tessera.open(dir);
  const leaf = await issueServiceCertificate(
    t,
    { kind: 'local', name: 'bench', source: 'bench' },
    'tls-server',
    { commonName: 'leaf.bench.invalid' },
    30,
  );
  const notAfter = leaf.notAfter.getTime();
  await t.close();
  const w = join(dir, 'bench');
  mkdirSync(w);
  const pem = (der, label) =>
    `-----BEGIN ${label}-----\n${der
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')
      .replace(/\n?$/, '\n')}-----END ${label}-----\n`;
  writeFileSync(join(w, 'leaf.pem'), pem(leaf.der, 'CERTIFICATE'));
  sh('openssl', ['x509', '-inform', 'DER', '-in', join(dir, 'certs/issuing.cer'), '-out', join(w, 'issuing.pem')]);
  writeFileSync(join(w, 'chain.pem'), readFileSync(join(dir, 'certs/chain.pem')));
  sh('openssl', [
    'pkey',
    '-in',
    join(dir, 'keys/issuing.key.pem'),
    '-passin',
    `file:${join(dir, 'keys/passphrase')}`,
    '-out',
    join(w, 'issuing.key'),
  ]);
  sh('openssl', [
    'ocsp',
    '-issuer',
    join(w, 'issuing.pem'),
    '-cert',
    join(w, 'leaf.pem'),
    '-no_nonce',
    '-reqout',
    join(w, 'req.der'),
  ]);
  sh('openssl', [
    'ocsp',
    '-issuer',
    join(w, 'issuing.pem'),
    '-cert',
    join(w, 'leaf.pem'),
    '-nonce',
    '-reqout',
    join(w, 'req-nonce.der'),
  ]);
  writeFileSync(
    join(w, 'index.txt'),
    `V\t${yymmdd(notAfter)}\t\t${leaf.serial.toUpperCase()}\tunknown\t/CN=leaf.bench.invalid\n`,
  );

  const check = (url) => {
    let r;
    try {
      r = sh(
        'openssl',
        [
          'ocsp',
          '-issuer',
          join(w, 'issuing.pem'),
          '-cert',
          join(w, 'leaf.pem'),
          '-CAfile',
          join(w, 'chain.pem'),
          '-url',
          url,
          '-no_nonce',
          '-timeout',
          '10',
        ],
        { allowFail: true, timeout: 20_000 },
      );
    } catch {
      return false;
    }
    return /leaf\.pem: good/.test(r.stdout) && /Response verify OK/.test(r.stderr);
  };
  const results = [];
  // A fresh server for every measurement, so one run cannot leave the next a stuck server.
  const run = async (name, start, url, bodies, opts = {}) => {
    for (const [label, body] of bodies) {
      for (const c of [1, 32]) {
        for (const client of opts.clients ?? ['wrk', 'node']) {
          const port = await freePort();
          const proc = start(port);
          try {
            // openssl's responder serves one connection at a time and would wait forever on a
            // bare TCP probe: give it a moment instead (the check below is a real request).
            if (opts.noProbe) await new Promise((r) => setTimeout(r, 1500));
            else await waitPort(port);
            const u = url(port);
            const ok = check(u);
            const m = client === 'wrk' ? wrk(u, body, c, seconds) : nodeLoad(u, body, c, seconds);
            results.push({ name, label, conns: c, ok, client, ...m });
            console.error(
              `ocsp ${name} ${label} c${c} ${client}: ${m.rps.toFixed(0)}/s (client CPU ${(m.clientCpu * 100).toFixed(0)}%)`,
            );
          } finally {
            // Each server runs in its own process group.
            try {
              process.kill(-proc.pid, 'SIGKILL');
            } catch {}
            await new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', r)));
          }
        }
      }
    }
  };

  // Tessera
  let presigned;
  await run(
    'Tessera (ocspRoutes, Fastify, 1 process)',
    (port) =>
      spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', 'ocsp', dir, String(port)], {
        stdio: 'ignore',
        detached: true,
      }),
    (port) => `http://127.0.0.1:${port}/ocsp`,
    [
      ['no nonce (pre-signed)', join(w, 'req.der')],
      ['nonce (signed per request)', join(w, 'req-nonce.der')],
    ],
  ).then(async () => {});
  // Keep one of our pre-signed responses for CFSSL's response file.
  {
    const port = await freePort();
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', 'ocsp', dir, String(port)], {
      stdio: 'ignore',
    });
    await waitPort(port);
    const r = await fetch(`http://127.0.0.1:${port}/ocsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: readFileSync(join(w, 'req.der')),
    });
    presigned = Buffer.from(await r.arrayBuffer());
    p.kill('SIGTERM');
    await new Promise((r2) => p.once('exit', r2));
  }
  // openssl ocsp: one process, signs every response. (`-multi 2` refused every connection
  // with OpenSSL 3.0.19 here, so it is not measured.)
  for (const multi of [1]) {
    await run(
      `openssl ocsp -index${multi > 1 ? ` -multi ${multi}` : ''}`,
      (port) =>
        spawn(
          'openssl',
          [
            'ocsp',
            '-index',
            join(w, 'index.txt'),
            '-port',
            String(port),
            '-rsigner',
            join(w, 'issuing.pem'),
            '-rkey',
            join(w, 'issuing.key'),
            '-CA',
            join(w, 'issuing.pem'),
            ...(multi > 1 ? ['-multi', String(multi)] : []),
          ],
          {
            stdio: 'ignore',
            detached: true,
          },
        ),
      (port) => `http://127.0.0.1:${port}/`,
      [['no nonce', join(w, 'req.der')]],
      // Not wrk: wrk opens and closes a test connection first, and openssl's one-at-a-time
      // responder then spins on that closed socket (read() = 0 forever, seen with strace).
      { noProbe: true, clients: ['node'] },
    );
  }
  // CFSSL ocspserve: serves pre-signed responses from a file (the same bytes we serve).
  const cfssl = spawnSync('sh', ['-c', 'command -v cfssl'], { encoding: 'utf8' }).stdout.trim();
  if (cfssl) {
    writeFileSync(join(w, 'responses.b64'), `${presigned.toString('base64')}\n`);
    await run(
      'CFSSL ocspserve (pre-signed file)',
      (port) =>
        spawn(
          cfssl,
          [
            'ocspserve',
            '-address',
            '127.0.0.1',
            '-port',
            String(port),
            '-responses',
            join(w, 'responses.b64'),
            '-loglevel',
            '5',
          ],
          { stdio: 'ignore', detached: true },
        ),
      (port) => `http://127.0.0.1:${port}/`,
      [['no nonce', join(w, 'req.der')]],
    );
  }
  rmSync(dir, { recursive: true, force: true });
  return results;
}

// ------------------------------------------------------------------------------------

async function main() {
  buildUnlessNoBuild();
  const sizes = opt('sizes', '10000,100000,1000000').split(',').map(Number);
  const seconds = Number(opt('seconds', '5'));
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${execFileSync('openssl', ['version']).toString().trim()}`;
  const loadBefore = loadavg()[0];
  const only = opt('only', 'all');
  const crl = only === 'ocsp' ? [] : await benchCrl(sizes);
  const ocsp = only === 'crl' ? [] : await benchOcsp(seconds);
  const loadAfter = loadavg()[0];

  const mb = (x) => x.toFixed(0);
  const lines = [
    '# Revocation benchmark',
    '',
    `Run ${new Date().toISOString()} on ${machine} (\`node bench/revocation.mjs\`). One-minute load average ${loadBefore.toFixed(1)} at the start and ${loadAfter.toFixed(1)} at the end (other work on the machine shares its cores; figures move with it).`,
    '',
    '## CRL generation (same revoked entries for both)',
    '',
    'Tessera: `publishCrl` in its own process — stream the revoked rows from SQLite (keyset pages), encode, sign (RSA-2048), verify the signature, store the CRL in the database, audit. "first" is the first publication in a fresh process, "again" a second one in the same process (what the server does), "process" the whole child (Node start, opening the data directory, both publications). openssl: `openssl ca -gencrl` over an index.txt with the same serials, dates and reasons (whole process). Peak RSS is each process\'s maximum resident set (Tessera: over both publications).',
    '',
    '| revoked entries | Tessera publish (first) | Tessera publish (again) | Tessera process | Tessera peak RSS | Tessera CRL (DER) | openssl ca -gencrl | openssl peak RSS | openssl CRL (DER) | `openssl crl -verify` of ours |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
    ...crl.map(
      (r) =>
        `| ${r.n.toLocaleString('en-US')} | ${r.oursS.toFixed(2)} s | ${r.oursWarmS.toFixed(2)} s | ${r.oursProcessS.toFixed(2)} s | ${mb(r.oursRssMB)} MB | ${r.oursBytes.toLocaleString('en-US')} B | ${r.opensslS.toFixed(2)} s | ${mb(r.opensslRssMB)} MB | ${r.opensslBytes.toLocaleString('en-US')} B | ${r.verified ? 'OK' : 'FAILED'} (${r.oursEntries.toLocaleString('en-US')} entries) |`,
    ),
    '',
    '## OCSP responses per second',
    '',
    `One fixed request (\`openssl ocsp -reqout\`, SHA-1 CertID, no nonce unless stated) POSTed for ${seconds} s by two clients, each in its own process: wrk (1 thread at concurrency 1, 2 at 32) and a Node keep-alive client (\`--child load\`, reconnecting when a server closes the connection, as openssl's does). "client CPU" is the client's own CPU time per second of wall time (100% = one core); the machine has ${cpus().length} cores shared by client and server. "verified" means \`openssl ocsp -url\` got "good" and "Response verify OK" from that responder before the load.`,
    '',
    '| responder | request | client | concurrency | responses/s | avg latency | errors | client CPU | verified |',
    '|---|---|---|---:|---:|---:|---|---:|:---:|',
    ...ocsp.map(
      (r) =>
        `| ${r.name} | ${r.label} | ${r.client} | ${r.conns} | ${Math.round(r.rps).toLocaleString('en-US')} | ${r.lat} | ${[r.non2xx ? `${r.non2xx} non-2xx` : '', r.sockErr].filter(Boolean).join('; ') || '—'} | ${(r.clientCpu * 100).toFixed(0)}% | ${r.ok ? 'yes' : 'NO'} |`,
    ),
    '',
  ];
  const md = lines.join('\n');
  // Only a complete run replaces the recorded results; a partial one (--only, --sizes) just prints.
  if (only === 'all' && !args.includes('--sizes')) {
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/revocation.md'), md);
  }
  process.stdout.write(md);
}

// Children: each measured generator / server runs in its own process.
if (args[0] === '--child') {
  const [, kind, dir, port] = args;
  const { Tessera } = await import(dist('Tessera.js'));
  if (kind === 'crl') {
    const { publishCrl } = await import(dist('ra/publishCrl.js'));
    const t = await Tessera.open(dir);
    const t0 = performance.now();
    const c = await publishCrl(t);
    const ms = performance.now() - t0;
    writeFileSync(join(dir, 'ours.crl'), c.der);
    // The server publishes again and again in one process: the second run shows that case.
    const t1 = performance.now();
    await publishCrl(t);
    const warmMs = performance.now() - t1;
    await t.close();
    process.stdout.write(
      `${JSON.stringify({
        ms,
        warmMs,
        entries: c.entries,
        bytes: c.der.length,
        maxRssKB: process.resourceUsage().maxRSS,
      })}\n`,
    );
    process.exit(0);
  }
  if (kind === 'load') {
    // A lean HTTP/1.1 load client on raw sockets: pre-built request bytes, responses framed
    // by Content-Length; it reconnects when the server closes (openssl's responder does
    // after every answer). Light enough not to be the bottleneck on 2 cores.
    const net = await import('node:net');
    const [, , url, file, conns, seconds] = args;
    const u = new URL(url);
    const body = readFileSync(file);
    const head = Buffer.from(
      `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/ocsp-request\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const request = Buffer.concat([head, body]);
    let ok = 0;
    let non200 = 0;
    let errors = 0;
    let latSum = 0;
    const end = Date.now() + Number(seconds) * 1000;
    const loop = () =>
      new Promise((resolve) => {
        let sock;
        let buf = Buffer.alloc(0);
        let t0 = 0;
        // Every connection opened carries a request: openssl's responder spins forever on a
        // connection closed before sending anything (see the wrk note below).
        const send = () => {
          t0 = performance.now();
          sock.write(request);
        };
        const open = () => {
          buf = Buffer.alloc(0);
          sock = net.connect(Number(u.port), u.hostname);
          sock.setNoDelay(true);
          sock.on('connect', send);
          sock.on('error', () => {
            errors++;
            sock.destroy();
            if (Date.now() >= end) resolve();
            else setTimeout(open, 5);
          });
          sock.on('data', (d) => {
            buf = buf.length ? Buffer.concat([buf, d]) : d;
            for (;;) {
              const h = buf.indexOf('\r\n\r\n');
              if (h < 0) return;
              const headers = buf.subarray(0, h).toString('latin1');
              const len = Number(/content-length:\s*(\d+)/i.exec(headers)?.[1] ?? 0);
              if (buf.length < h + 4 + len) return;
              buf = buf.subarray(h + 4 + len);
              if (/^HTTP\/1\.\d 200 /.test(headers)) ok++;
              else non200++;
              latSum += performance.now() - t0;
              const close = /^HTTP\/1\.0/.test(headers)
                ? !/connection:\s*keep-alive/i.test(headers)
                : /connection:\s*close/i.test(headers);
              if (close || Date.now() >= end) {
                sock.removeAllListeners();
                sock.destroy();
                if (Date.now() >= end) return resolve();
                return open();
              }
              send();
            }
          });
        };
        open();
      });
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await Promise.all(Array.from({ length: Number(conns) }, loop));
    const wall = (performance.now() - w0) / 1000;
    const c = process.cpuUsage(c0);
    process.stdout.write(
      `${JSON.stringify({
        rps: ok / wall,
        non200,
        errors,
        avgMs: latSum / Math.max(1, ok + non200),
        clientCpu: (c.user + c.system) / 1e6 / wall,
      })}\n`,
    );
    process.exit(0);
  }
  if (kind === 'ocsp') {
    const { default: Fastify } = await import('fastify');
    const { default: ocspRoutes } = await import(dist('entry/http/ocsp/ocspRoutes.js'));
    const t = await Tessera.open(dir);
    const app = Fastify({ logger: false });
    await app.register(ocspRoutes, { tessera: t });
    await app.listen({ host: '127.0.0.1', port: Number(port) });
    process.stdout.write('ready\n');
    process.on('SIGTERM', () =>
      app
        .close()
        .then(() => t.close())
        .then(() => process.exit(0)),
    );
  }
} else {
  await main();
}
