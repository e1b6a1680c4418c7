/**
 * /metrics and /readyz: who may read them without credentials (`monitoring` in
 * tessera.json). A loopback address is no credential — behind a reverse proxy on the same
 * host every caller is loopback — so /metrics needs a CA administrator's or auditor's
 * credentials from everywhere unless the setting says "loopback"; /readyz answers
 * loopback callers (a local orchestrator's probe) unless it says "none", anyone with
 * "anyone", and otherwise any signed-in account.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitoringSettings } from '../../src/config/Config.js';
import { configProblems, loadConfig, saveConfig } from '../../src/config/loadConfig.js';
import { buildApp } from '../../src/entry/http/buildApp.js';
import { Tessera } from '../../src/Tessera.js';
import { basic, buildTestApp } from '../support/app.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import type { TestCa } from '../support/tessera.js';

let ca: TestCa;
let app: FastifyInstance;

beforeAll(async () => {
  ca = await newCertsrvCa();
  await ca.user('auditor', { groups: ['Auditors'] });
  app = await buildTestApp(ca);
});
afterAll(async () => {
  await app?.close();
  await ca?.close();
});

const LOOPBACK = ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.0.0.53'];
const REMOTE = '10.1.2.3';
const get = (a: FastifyInstance, url: string, remoteAddress: string, headers: Record<string, string> = {}) =>
  a.inject({ method: 'GET', url, remoteAddress, headers });

/** The same data directory opened with another `monitoring` section, as after an edit of tessera.json and a restart. */
async function withMonitoring(
  monitoring: MonitoringSettings,
  fn: (a: FastifyInstance) => Promise<void>,
): Promise<void> {
  const path = ca.t.paths.config;
  const original = await loadConfig(path);
  await saveConfig(path, { ...original, monitoring });
  const t = await Tessera.open(ca.dir, { caches: { ttlMs: 0 } });
  const a = await buildApp({ tessera: t, sessionKey: randomBytes(32) });
  try {
    expect(t.config.monitoring).toEqual(monitoring);
    await fn(a);
  } finally {
    await a.close();
    await t.close();
    await saveConfig(path, original);
  }
}

describe('/metrics by default', () => {
  it('asks loopback callers for credentials like anyone else', async () => {
    for (const ip of [...LOOPBACK, REMOTE]) {
      const res = await get(app, '/metrics', ip);
      expect(res.statusCode, ip).toBe(401);
      expect(res.json().code).toBe('AUTH_REQUIRED');
      expect(res.headers['www-authenticate']).toMatch(/^Basic /);
      expect(res.body).not.toContain('tessera_requests_total');
    }
  });

  it('answers CA administrators and auditors, from loopback or not, and refuses other accounts', async () => {
    for (const ip of ['127.0.0.1', REMOTE]) {
      for (const who of ['admin', 'auditor']) {
        const res = await get(app, '/metrics', ip, basic(who));
        expect(res.statusCode, `${who} from ${ip}`).toBe(200);
        expect(res.headers['content-type']).toContain('text/plain');
        expect(res.body).toContain('tessera_errors_total');
      }
      const alice = await get(app, '/metrics', ip, basic('alice'));
      expect(alice.statusCode).toBe(403);
      expect(alice.json().code).toBe('FORBIDDEN');
    }
  });
});

describe('/readyz by default', () => {
  it('answers loopback callers without credentials (a local orchestrator’s probe)', async () => {
    for (const ip of LOOPBACK) {
      const res = await get(app, '/readyz', ip);
      expect(res.statusCode, ip).toBe(200);
      expect(res.json()).toEqual({ status: 'ready', checks: { database: 'ok', directory: 'ok', issuingKey: 'ok' } });
    }
  });

  it('asks other callers for an account’s credentials, any account', async () => {
    const anonymous = await get(app, '/readyz', REMOTE);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('AUTH_REQUIRED');
    expect(anonymous.body).not.toContain('database');
    const wrong = await get(app, '/readyz', REMOTE, basic('alice', 'not the password'));
    expect(wrong.statusCode).toBe(401);
    const alice = await get(app, '/readyz', REMOTE, basic('alice'));
    expect(alice.statusCode).toBe(200);
    expect(alice.json().status).toBe('ready');
  });

  it('leaves /healthz open: it touches nothing', async () => {
    expect((await get(app, '/healthz', REMOTE)).json()).toEqual({ status: 'ok' });
  });
});

describe('the monitoring settings', () => {
  it('metricsWithoutCredentials "loopback" opens /metrics to loopback callers only', async () => {
    await withMonitoring({ metricsWithoutCredentials: 'loopback' }, async (a) => {
      for (const ip of LOOPBACK) expect((await get(a, '/metrics', ip)).statusCode, ip).toBe(200);
      expect((await get(a, '/metrics', REMOTE)).statusCode).toBe(401);
      expect((await get(a, '/metrics', REMOTE, basic('auditor'))).statusCode).toBe(200);
      // The readiness default is unaffected.
      expect((await get(a, '/readyz', REMOTE)).statusCode).toBe(401);
    });
  });

  it('readyzWithoutCredentials "anyone" serves a remote load balancer; "none" asks loopback too', async () => {
    await withMonitoring({ readyzWithoutCredentials: 'anyone' }, async (a) => {
      expect((await get(a, '/readyz', REMOTE)).statusCode).toBe(200);
      expect((await get(a, '/metrics', '127.0.0.1')).statusCode).toBe(401);
    });
    await withMonitoring({ readyzWithoutCredentials: 'none', metricsWithoutCredentials: 'none' }, async (a) => {
      expect((await get(a, '/readyz', '127.0.0.1')).statusCode).toBe(401);
      expect((await get(a, '/readyz', '127.0.0.1', basic('carol'))).statusCode).toBe(200);
    });
  });

  it('refuses unknown values and keys at start, naming the setting', () => {
    const c = ca.t.config;
    expect(configProblems({ ...c, monitoring: {} })).toEqual([]);
    expect(configProblems({ ...c, monitoring: { metricsWithoutCredentials: 'anyone' } as never })).toEqual([
      'monitoring.metricsWithoutCredentials: "none" or "loopback"',
    ]);
    expect(configProblems({ ...c, monitoring: { readyzWithoutCredentials: true } as never })).toEqual([
      'monitoring.readyzWithoutCredentials: "none", "loopback" or "anyone"',
    ]);
    expect(configProblems({ ...c, monitoring: { metrics: 'loopback' } as never })).toEqual([
      'monitoring.metrics: not a setting (metricsWithoutCredentials, readyzWithoutCredentials)',
    ]);
    expect(configProblems({ ...c, monitoring: 'loopback' as never })).toEqual(['monitoring: an object']);
  });
});
