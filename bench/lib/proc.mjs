// Process helpers for the benchmark: commands, ports, and what /proc says about a process.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

export function sh(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...o });
  if (r.error) throw r.error;
  if (r.status !== 0 && !o.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

export async function waitPort(port, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const c = connect(port, '127.0.0.1', () => {
        c.end();
        r(true);
      });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

const TICK = 100; // USER_HZ on Linux (getconf CLK_TCK)

/** CPU seconds (user + system) of a live process, from /proc/<pid>/stat fields 14 and 15. */
export function cpuSeconds(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** CPU seconds of one thread of a process (/proc/<pid>/task/<tid>/stat; the main thread's tid is the pid). */
export function threadCpuSeconds(pid, tid = pid) {
  const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** VmHWM (peak resident set) in MB. */
export function peakRssMB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Reset VmHWM to the current RSS (proc(5): writing 5 to clear_refs), so each row reports its own peak. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Run a command through `sh -c 'cmd; cat /proc/$$/stat'`: once the shell has waited for
 * it, the shell's cutime + cstime in /proc/<shell>/stat are exactly the command's CPU time
 * (proc(5) fields 16 and 17), read from /proc like every other figure here.
 */
export function runMeasured(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const quoted = [cmd, ...args].map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');
    const started = performance.now();
    const child = spawn('sh', ['-c', `${quoted} 2>&1; echo "__RC $?"; cat /proc/$$/stat`], {
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const wallS = (performance.now() - started) / 1000;
      const rc = Number(/__RC (\d+)/.exec(out)?.[1] ?? -1);
      const statLine = out.slice(out.lastIndexOf('__RC')).split('\n')[1] ?? '';
      const f = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
      const cpuS = (Number(f[13]) + Number(f[14])) / TICK;
      resolve({ out: out.slice(0, out.lastIndexOf('__RC')), rc, wallS, cpuS });
    });
  });
}

export function median(xs) {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
