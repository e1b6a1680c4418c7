#!/usr/bin/env node
// Issuance benchmark, side by side in one run on this machine:
//
//   Tessera   `POST /api/v1/requests` on the real server (`node bin/tessera.js serve`, its
//             own process, HTTPS, SQLite WAL with each commit fdatasync'ed: every certificate
//             durably committed before the response), loaded by wrk with a session cookie and the
//             anti-forgery token, at concurrency 1, 8 and 32, for an RSA-2048 and an ECDSA
//             P-256 issuing CA.
//   CFSSL     `cfssl serve` over TLS, `POST /api/v1/cfssl/sign`, same wrk, same CSRs.
//   openssl   `openssl ca`, one process per certificate, sequential (easy-rsa).
//   limit     raw signatures/s on all cores: Node crypto.sign in worker threads, `openssl speed -multi`.
//
// Usage: node bench/issuance.mjs [--no-build] [--seconds 6] [--warmup 2] [--conns 1,8,32]
//          [--cas RSA-2048,P-256] [--csrs 2000] [--openssl-n 200] [--repeat 1]
//          [--only tessera|cfssl|openssl|raw[,…]] [--server-arg "--flag value"] [--out file]
//          [--compare DIR --compare-label TEXT] [--sync-inline] [--keep]
// Needs: wrk, openssl, cfssl (golang-cfssl), /usr/bin/time. Writes bench/results/issuance.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadCsrs } from './lib/csrs.mjs';
import { makeCa, probeCfssl, runOpensslCa, startCfssl } from './lib/peers.mjs';
import { cpuSeconds, peakRssMB, resetPeakRss, sh, threadCpuSeconds } from './lib/proc.mjs';
import { nodeSignRate, opensslSpeed } from './lib/rawSign.mjs';
import {
  auditVerify,
  checkDatabase,
  probe,
  session,
  setupTessera,
  startTesseraServer,
  TEMPLATE,
} from './lib/tessera.mjs';
import { runWrk, writeBodies } from './lib/wrk.mjs';
import { args, buildUnlessNoBuild, opt, root } from './lib/cli.mjs';

const seconds = Number(opt('seconds', '6'));
const warmup = Number(opt('warmup', '2'));
const connsList = opt('conns', '1,8,32').split(',').map(Number);
const cas = opt('cas', 'RSA-2048,P-256').split(',');
const nCsrs = Number(opt('csrs', '2000'));
const opensslN = Number(opt('openssl-n', '200'));
const repeat = Number(opt('repeat', '1'));
const only = new Set(opt('only', 'tessera,cfssl,openssl,raw').split(','));
const serverArgs = opt('server-arg', '').split(' ').filter(Boolean);
const out = opt('out', join(root, 'bench/results/issuance.md'));
// --compare DIR: also run the Tessera rows from another checkout (built, with the
// --enroll-rate-limit server option), e.g. the commit before a change, in the same run.
const compare = opt('compare', undefined);
const log = (s) => process.stderr.write(`[bench] ${s}\n`);

/** One measured wrk run against a server process: throughput, latency, server RSS and CPU, client CPU. */
async function measure(server, o) {
  const runs = [];
  for (let k = 0; k < repeat; k++) {
    resetPeakRss(server.pid);
    const cpu0 = cpuSeconds(server.pid);
    const main0 = threadCpuSeconds(server.pid);
    const t0 = performance.now();
    const r = await runWrk({ ...o, seconds });
    const wall = (performance.now() - t0) / 1000;
    r.serverCpu = (cpuSeconds(server.pid) - cpu0) / wall;
    r.mainCpu = (threadCpuSeconds(server.pid) - main0) / wall;
    r.rssMB = peakRssMB(server.pid);
    r.load = loadavg()[0];
    runs.push(r);
    log(
      `${o.label} c=${o.conns}: ${r.rps.toFixed(0)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms rss ${r.rssMB.toFixed(0)} MB server cpu ${(r.serverCpu * 100).toFixed(0)}% (main thread ${(r.mainCpu * 100).toFixed(0)}%) client cpu ${(r.clientCpu * 100).toFixed(0)}% ${r.errors ? `errors: ${r.errorDetail}` : ''}`,
    );
  }
  // The median run by throughput stands for the row; all runs count for the database check.
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const row = {
    ...sorted[(sorted.length - 1) >> 1],
    runs: runs.map((r) => r.rps),
    okTotal: runs.reduce((a, r) => a + r.ok, 0),
  };
  return row;
}

async function benchTessera(keyAlgorithm, csrs, work, tree = root, label = 'Tessera', env = {}) {
  const dir = join(work, `${label.replace(/\W+/g, '-')}-${keyAlgorithm}`);
  log(`${label} ${keyAlgorithm}: init ${dir}`);
  const { dbFile, chainFile } = await setupTessera(tree, dir, keyAlgorithm);
  const bodiesFile = join(work, 'tessera-bodies.jsonl');
  writeBodies(
    bodiesFile,
    csrs.map((c) => ({ csr: c.pem, template: TEMPLATE })),
  );
  const server = await startTesseraServer(tree, dir, serverArgs, env);
  const rows = [];
  let okTotal = 0;
  let slack = 0;
  try {
    const headers = await session(server, chainFile);
    await probe(server, chainFile, headers, csrs[0].pem, work);
    okTotal++;
    const base = { url: server.url, path: '/api/v1/requests', bodiesFile, headers, label: `${label} ${keyAlgorithm}` };
    if (warmup > 0) {
      const w = await runWrk({ ...base, conns: 8, seconds: warmup });
      okTotal += w.ok;
      slack += 8;
    }
    for (const conns of connsList) {
      const r = await measure(server, { ...base, conns });
      okTotal += r.okTotal;
      slack += conns * repeat;
      rows.push({ impl: label, transport: 'HTTPS, session cookie + x-csrf-token', ca: keyAlgorithm, conns, ...r });
    }
  } finally {
    await server.stop();
  }
  const db = await checkDatabase(root, dbFile, chainFile, work);
  const audit = auditVerify(tree, dir);
  const check = {
    keyAlgorithm: `${keyAlgorithm}${label === 'Tessera' ? '' : ` (${label})`}`,
    okTotal,
    slack,
    ...db,
    audit,
  };
  log(
    `${label} ${keyAlgorithm}: responses ${okTotal}, issued in database ${db.issued}, reserved ${db.reserved}, sample verified ${db.verified}/${db.sampled}, audit ${audit.ok ? 'OK' : 'FAILED'}`,
  );
  return { rows, check };
}

async function benchCfssl(keyAlgorithm, csrs, work) {
  const dir = join(work, `cfssl-${keyAlgorithm}`);
  const ca = makeCa(dir, keyAlgorithm);
  const bodiesFile = join(work, 'cfssl-bodies.jsonl');
  writeBodies(
    bodiesFile,
    csrs.map((c) => ({ certificate_request: c.pem })),
  );
  const server = await startCfssl(dir, ca);
  const rows = [];
  try {
    await probeCfssl(server, csrs[0].pem, ca.cert, work);
    const base = { url: server.url, path: '/api/v1/cfssl/sign', bodiesFile, label: `CFSSL ${keyAlgorithm}` };
    if (warmup > 0) await runWrk({ ...base, conns: 8, seconds: warmup });
    for (const conns of connsList)
      rows.push({
        impl: 'CFSSL `cfssl serve`',
        transport: 'HTTPS (`-tls-cert`), no auth, stores nothing',
        ca: keyAlgorithm,
        conns,
        ...(await measure(server, { ...base, conns })),
        mainCpu: NaN,
      });
  } finally {
    await server.stop();
  }
  return { rows, ca };
}

function fmt(n, d = 0) {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '—';
}

async function main() {
  buildUnlessNoBuild();
  for (const tool of ['wrk', 'openssl', 'cfssl'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      throw new Error(`${tool} is not installed (apt-get install ${tool === 'cfssl' ? 'golang-cfssl' : tool})`);
  const csrs = await loadCsrs(root, nCsrs);
  const work = mkdtempSync(join(tmpdir(), 'tessera-bench-issuance-'));
  const load0 = loadavg();
  const started = new Date();
  const rows = [];
  const checks = [];
  const raw = [];
  try {
    for (const keyAlgorithm of cas) {
      if (only.has('tessera')) {
        const t = await benchTessera(keyAlgorithm, csrs, work);
        rows.push(...t.rows);
        checks.push(t.check);
        if (args.includes('--sync-inline')) {
          // The same server with SQLite's own FULL: the fsync inside COMMIT, on the event loop.
          const c = await benchTessera(keyAlgorithm, csrs, work, root, 'Tessera, TESSERA_SQLITE_SYNC=inline', {
            TESSERA_SQLITE_SYNC: 'inline',
          });
          rows.push(...c.rows);
          checks.push(c.check);
        }
        if (compare) {
          const c = await benchTessera(keyAlgorithm, csrs, work, compare, `Tessera ${opt('compare-label', compare)}`);
          rows.push(...c.rows);
          checks.push(c.check);
        }
      }
      let peerCa;
      if (only.has('cfssl')) {
        const c = await benchCfssl(keyAlgorithm, csrs, work);
        rows.push(...c.rows);
        peerCa = c.ca;
      }
      if (only.has('openssl')) {
        peerCa ??= makeCa(join(work, `openssl-${keyAlgorithm}`), keyAlgorithm);
        log(`openssl ca ${keyAlgorithm}: ${opensslN} certificates, one process each`);
        const o = runOpensslCa(join(work, `openssl-${keyAlgorithm}`), peerCa, csrs, opensslN);
        rows.push({
          impl: '`openssl ca`, process per certificate',
          transport: `local files, sequential (${o.n} certificates)`,
          ca: keyAlgorithm,
          conns: 1,
          rps: o.rps,
          p50: o.p50,
          p99: o.p99,
          rssMB: o.rssMB,
          serverCpu: NaN,
          clientCpu: NaN,
          errors: o.verified ? 0 : 1,
          errorDetail: o.verified ? '' : 'openssl verify failed',
          load: loadavg()[0],
        });
      }
      if (only.has('raw')) {
        log(`raw signing ${keyAlgorithm}`);
        raw.push({
          ca: keyAlgorithm,
          node: await nodeSignRate(keyAlgorithm, 3),
          openssl: opensslSpeed(keyAlgorithm, 3),
        });
      }
    }
  } finally {
    if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
  const load1 = loadavg();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${sh('openssl', ['version']).stdout.trim()}, ${sh('wrk', ['--version'], { allowFail: true }).stdout.split('\n')[0].split(' Copyright')[0]}`;
  const lines = [
    '# Issuance benchmark',
    '',
    `Run ${started.toISOString()} on ${machine} (\`node bench/issuance.mjs${args.length ? ` ${args.join(' ')}` : ''}\`). Load average (1, 5, 15 min) ${load0.map((x) => x.toFixed(2)).join(', ')} at the start and ${load1.map((x) => x.toFixed(2)).join(', ')} at the end: client, servers and whatever else runs on the machine share its ${cpus().length} cores, and the figures move with it.`,
    '',
    `Every Tessera row is the real server process (\`node bin/tessera.js serve --enroll-rate-limit 0 --quiet\`), HTTPS, template ${TEMPLATE} (subject, UPN and e-mail from the directory, SID extension), SQLite in WAL mode with every commit fdatasync'ed before it returns (SQLite's FULL, the sync done on a thread of its own: src/store/SqliteDriver.ts): each certificate is durably committed before its response. ${nCsrs.toLocaleString('en-US')} distinct CSRs (half RSA-2048, half P-256), cycled by wrk; ${seconds} s per row${repeat > 1 ? `, median of ${repeat} runs` : ''}, after a ${warmup} s warm-up. Load average column: one-minute load at the end of the row.`,
    '',
    '| issuing CA | implementation | transport / auth | concurrency | certificates/s | p50 | p99 | server peak RSS | server CPU (main thread) | client CPU | load | errors |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.ca} | ${r.impl} | ${r.transport} | ${r.conns} | **${fmt(r.rps)}**${r.runs && r.runs.length > 1 ? ` (${r.runs.map((x) => fmt(x)).join(', ')})` : ''} | ${fmt(r.p50, 2)} ms | ${fmt(r.p99, 2)} ms | ${fmt(r.rssMB)} MB | ${Number.isFinite(r.serverCpu) ? `${fmt(r.serverCpu * 100)}%${Number.isFinite(r.mainCpu) ? ` (${fmt(r.mainCpu * 100)}%)` : ''}` : '—'} | ${Number.isFinite(r.clientCpu) ? `${fmt(r.clientCpu * 100)}%` : '—'} | ${fmt(r.load, 1)} | ${r.errors ? r.errorDetail : '—'} |`,
    ),
    '',
  ];
  if (raw.length) {
    lines.push(
      '## The physical limit: raw signatures per second on all cores',
      '',
      `| key | Node \`crypto.sign\`, one worker thread per core | \`openssl speed -multi ${cpus().length}\` |`,
      '|---|---:|---:|',
      ...raw.map((r) => `| ${r.ca} | ${fmt(r.node)} | ${fmt(r.openssl)} |`),
      '',
    );
  }
  if (checks.length) {
    lines.push(
      '## Checks after the Tessera runs',
      '',
      'Read from the SQLite file after the server stopped. "responses" counts every 201 the clients received (probe, warm-up and measured runs); the database may hold up to "in flight" more, answered after wrk stopped counting. A random sample of issued certificates is checked with `openssl verify` against the chain, and `tessera audit verify` walks the whole hash chain.',
      '',
      '| issuing CA | responses | issued in database | in flight | still reserved | requests by disposition | `openssl verify` sample | audit chain |',
      '|---|---:|---:|---:|---:|---|---:|---|',
      ...checks.map(
        (c) =>
          `| ${c.keyAlgorithm} | ${fmt(c.okTotal)} | ${fmt(c.issued)} ${c.issued >= c.okTotal && c.issued <= c.okTotal + c.slack ? '✓' : '✗'} | ≤ ${c.slack} | ${c.reserved} | ${Object.entries(
            c.requests,
          )
            .map(([k, v]) => `${k} ${v}`)
            .join(
              ', ',
            )} | ${c.verified}/${c.sampled} | ${c.audit.ok ? 'verifies' : `FAILED: ${c.audit.out.slice(0, 200)}`} |`,
      ),
      '',
    );
  }
  const md = lines.join('\n');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, md);
  process.stdout.write(md);
  const bad = checks.some((c) => !c.audit.ok || c.verified !== c.sampled || c.issued < c.okTotal || c.reserved > 0);
  if (bad) process.exitCode = 1;
}

await main();
