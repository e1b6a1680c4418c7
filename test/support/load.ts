/**
 * A small HTTPS load client for the crash and outage tests (and the benchmark's logic):
 * distinct pre-generated CSRs posted with bounded concurrency over keep-alive connections
 * that trust only Tessera's root.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { Agent, request } from 'node:https';
import { buildCsr } from '../../src/x509/buildCsr.js';
import { toPem } from '../../src/x509/pem.js';

export async function makeCsrs(n: number, kind: 'ec' | 'rsa' = 'ec'): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const { privateKey, publicKey } =
      kind === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const der = await buildCsr({
      spki,
      keyKind: kind,
      hash: 'SHA-256',
      sign: async (d) => sign('sha256', d, privateKey),
    });
    out.push(toPem(der, 'CERTIFICATE REQUEST'));
  }
  return out;
}

export interface Outcome {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

export function post(agent: Agent, url: string, auth: string, body: string, timeoutMs = 20_000): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        auth,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, ms: performance.now() - started }));
        res.on('error', () => resolve({ status: -1, body: '', ms: performance.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: -1, body: String(e), ms: performance.now() - started }));
    req.end(body);
  });
}

/** Run `bodies` through `concurrency` workers; `onResult` may stop the run by returning false. */
export async function runLoad(o: {
  agent: Agent;
  url: string;
  auth: string;
  bodies: string[];
  concurrency: number;
  onResult?: (r: Outcome, i: number) => boolean | undefined;
}): Promise<Outcome[]> {
  const results: Outcome[] = [];
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < o.bodies.length) {
      const i = next++;
      const r = await post(o.agent, o.url, o.auth, o.bodies[i]);
      results[i] = r;
      if (o.onResult?.(r, i) === false) stop = true;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return results;
}

export function httpsAgent(ca: string, maxSockets: number): Agent {
  return new Agent({ ca, keepAlive: true, maxSockets });
}
