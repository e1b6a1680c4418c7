// Load with wrk (Debian's wrk 4.1, epoll; it does not verify TLS certificates, which is fine for load).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from './proc.mjs';

const script = join(dirname(fileURLToPath(import.meta.url)), 'post.lua');

/** Write JSON bodies, one per line, for post.lua. */
export function writeBodies(file, bodies) {
  writeFileSync(file, `${bodies.map((b) => JSON.stringify(b)).join('\n')}\n`);
}

/**
 * One wrk run: `conns` connections (threads: 1 at concurrency 1, else 2) for `seconds`.
 * Returns certificates/s (non-error responses per second), p50/p99 (ms) and wrk's own CPU
 * as a fraction of one core.
 */
export async function runWrk({ url, path, bodiesFile, headers = {}, conns, seconds }) {
  const threads = conns === 1 ? 1 : 2;
  const env = {
    BENCH_BODIES: bodiesFile,
    BENCH_PATH: path,
    BENCH_HEADERS: Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
  };
  const r = await runMeasured(
    'wrk',
    ['-t', String(threads), '-c', String(conns), '-d', `${seconds}s`, '--timeout', '10s', '-s', script, url],
    env,
  );
  const m = /BENCH_JSON (\{.*\})/.exec(r.out);
  if (!m) throw new Error(`wrk printed no result:\n${r.out}`);
  const j = JSON.parse(m[1]);
  const errors = j.connect + j.read + j.write + j.status + j.timeout;
  const ok = j.requests - j.status;
  const durS = j.duration_us / 1e6;
  return {
    requests: j.requests,
    ok,
    errors,
    errorDetail: errors
      ? `connect ${j.connect}, read ${j.read}, write ${j.write}, status ${j.status}, timeout ${j.timeout}`
      : '',
    rps: ok / durS,
    p50: j.p50_us / 1000,
    p99: j.p99_us / 1000,
    durS,
    clientCpu: r.cpuS / r.wallS,
    raw: r.out,
  };
}
