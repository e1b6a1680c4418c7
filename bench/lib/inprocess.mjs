#!/usr/bin/env node
// In-process issuance loop (no HTTP): `submit` at a given concurrency against a fresh data
// directory, for quick before/after measurements of the RA, policy, CA and store path.
// Usage: node bench/lib/inprocess.mjs [P-256|RSA-2048] [n=3000] [concurrency=8] [--sql-stats]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCsrs } from './csrs.mjs';
import { BENCH_USER, setupTessera, TEMPLATE } from './tessera.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const [alg = 'P-256', nArg = '3000', cArg = '8'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const sqlStats = process.argv.includes('--sql-stats');
const n = Number(nArg);
const conc = Number(cArg);
const csrs = await loadCsrs(root, 2000);
const dir = mkdtempSync(join(tmpdir(), 'tessera-inproc-'));
await setupTessera(root, dir, alg);
const stats = new Map();
if (sqlStats) {
  const { default: Database } = await import(join(root, 'node_modules/better-sqlite3/lib/index.js'));
  const prep = Database.prototype.prepare;
  Database.prototype.prepare = function (sql, ...rest) {
    const st = prep.call(this, sql, ...rest);
    for (const m of ['run', 'all', 'get', 'iterate']) {
      const f = st[m];
      st[m] = function (...a) {
        const t0 = performance.now();
        try {
          return f.apply(this, a);
        } finally {
          const s = stats.get(sql) ?? { n: 0, ms: 0 };
          s.n++;
          s.ms += performance.now() - t0;
          stats.set(sql, s);
        }
      };
    }
    return st;
  };
}
const { Tessera } = await import(join(root, 'dist/Tessera.js'));
const { submit } = await import(join(root, 'dist/ra/submit.js'));
const t = await Tessera.open(dir);
const requester = await t.directory.findUser(BENCH_USER);
let next = 0;
let failed = 0;
const worker = async () => {
  while (next < n) {
    const i = next++;
    const r = await submit(t, {
      request: csrs[i % csrs.length].pem,
      template: TEMPLATE,
      requester,
      source: '127.0.0.1',
    });
    if (r.disposition !== 'issued') failed++;
  }
};
// Warm-up, then measure.
const warm = Math.min(300, n / 10);
next = n - warm;
await Promise.all(Array.from({ length: conc }, worker));
next = 0;
stats.clear();
const mainCpu = () => {
  // The main thread's own CPU time (its task's utime + stime; USER_HZ 100): steadier than
  // throughput on a shared machine.
  const st = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
// --profile=FILE: a CPU profile of the measured part only (not the setup).
const profileArg = process.argv.find((a) => a.startsWith('--profile='));
let inspector;
if (profileArg) {
  const { Session } = await import('node:inspector');
  inspector = new Session();
  inspector.connect();
  const post = (m, p) => new Promise((res, rej) => inspector.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  inspector.postAsync = post;
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
}
const main0 = mainCpu();
const cpu0 = process.cpuUsage();
const el0 = performance.eventLoopUtilization();
const t0 = performance.now();
await Promise.all(Array.from({ length: conc }, worker));
const s = (performance.now() - t0) / 1000;
const elu = performance.eventLoopUtilization(el0);
const mainUs = ((mainCpu() - main0) / n) * 1e6;
if (inspector) {
  const { profile } = await inspector.postAsync('Profiler.stop');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(profileArg.slice(10), JSON.stringify(profile));
}
const cpu = process.cpuUsage(cpu0);
const allUs = (cpu.user + cpu.system) / n;
console.log(
  `${alg} c=${conc}: ${n} in ${s.toFixed(2)} s = ${(n / s).toFixed(0)}/s, failed ${failed}, event loop utilisation ${(elu.utilization * 100).toFixed(0)}%, CPU per certificate: main thread ${mainUs.toFixed(0)} µs, whole process ${allUs.toFixed(0)} µs`,
);
if (sqlStats) {
  const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
  let tot = 0;
  for (const [, v] of rows) tot += v.ms;
  console.log(
    `SQL time ${tot.toFixed(0)} ms (${((tot / 1000 / s) * 100).toFixed(0)}% of wall), ${rows.reduce((a, [, v]) => a + v.n, 0) / n} statements per certificate`,
  );
  for (const [k, v] of rows.slice(0, 25))
    console.log(
      `${v.ms.toFixed(0).padStart(6)} ms ${String(v.n).padStart(6)}× ${((v.ms / v.n) * 1000).toFixed(1).padStart(7)} µs  ${k.slice(0, 150)}`,
    );
}
await t.close();
rmSync(dir, { recursive: true, force: true });
