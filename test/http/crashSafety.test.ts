/**
 * Crash safety (docs/issuance.md steps 6–8, docs/security.md §11):
 *  - SIGKILL in the middle of a concurrency-32 issuance run, then a restart: every
 *    certificate a client received is in the database, no serial is duplicated, no request
 *    is left half-done (issued or recorded failed), and the audit chain verifies.
 *  - PostgreSQL stopped mid-run: requests fail fast with STORAGE_UNAVAILABLE (no hang, no
 *    crash), /readyz reports it, and issuance resumes without a restart once it is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup } from '../../src/ra/admin/groups.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { Tessera } from '../../src/Tessera.js';
import { pemBlocks } from '../../src/x509/pem.js';
import { PASSWORD } from '../support/app.js';
import { httpsAgent, makeCsrs, post, runLoad } from '../support/load.js';
import { freePort } from '../support/ports.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';
import { startTestServer } from '../support/server.js';
import { LOCAL, newTestCa } from '../support/tessera.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tessera.js');

function serve(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [BIN, '--data', dataDir, 'serve', '--host', '127.0.0.1', '--port', String(port), '--http-port', '0', '--quiet'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Tessera is serving')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

describe('SIGKILL during a concurrency-32 run', () => {
  it('loses no issued certificate and leaves nothing half-done', async () => {
    expect(
      existsSync(join(import.meta.dirname, '..', '..', 'dist', 'entry', 'cli', 'main.js')),
      'run `node scripts/build.mjs` first',
    ).toBe(true);
    const ca = await newTestCa();
    await createGroup(ca.t, LOCAL, 'Smartcard Users');
    await ca.user('alice', { groups: ['Smartcard Users'] });
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Smartcard Users', true);
    const dir = ca.dir;
    const rootPem = readFileSync(join(dir, 'certs', 'chain.pem'), 'utf8');
    await ca.t.close();

    const port = await freePort();
    let child = await serve(dir, port);
    const csrs = await makeCsrs(400);
    const bodies = csrs.map((csr) => JSON.stringify({ csr, template: 'SmartcardUser' }));
    const agent = httpsAgent(rootPem, 32);
    const received: string[] = [];
    let killed = false;
    const results = await runLoad({
      agent,
      url: `https://localhost:${port}/api/v1/requests`,
      auth: `alice:${PASSWORD}`,
      bodies,
      concurrency: 32,
      onResult: (r) => {
        if (r.status === 201) received.push(JSON.parse(r.body).certificate);
        if (!killed && received.length >= 60) {
          killed = true;
          child.kill('SIGKILL');
        }
        return !(killed && r.status === -1);
      },
    });
    agent.destroy();
    expect(killed).toBe(true);
    expect(results.some((r) => r && r.status === -1)).toBe(true);
    await new Promise((r) => child.once('exit', r).listenerCount('exit') && setTimeout(r, 100));

    // Restart: recovery runs at start.
    child = await serve(dir, port);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));

    const t = await Tessera.open(dir, { withIssuingKey: false });
    try {
      for (const pem of received) {
        const der = pemBlocks(pem, 'CERTIFICATE')[0];
        const serial = (await import('../../src/ca/CaCertificate.js')).readCaCertificate(der).serial;
        const rec = await t.store.certificates.get(serial);
        expect(rec?.status).toBe('issued');
        expect(rec?.der?.equals(der)).toBe(true);
      }
      expect(new Set(received).size).toBe(received.length);
      const counts = await t.store.requests.count();
      expect(counts.issuing ?? 0).toBe(0);
      const certCounts = await t.store.certificates.countByStatus();
      expect(certCounts.reserved ?? 0).toBe(0);
      expect((counts.issued ?? 0) + (counts.failed ?? 0)).toBeGreaterThanOrEqual(received.length);
      expect(await t.store.audit.verify()).toMatchObject({ ok: true });
    } finally {
      await t.close();
    }
  }, 180_000);
});

describe('PostgreSQL stopped mid-run', () => {
  let pg: PgCluster;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => pg?.stop());

  it('fails fast with STORAGE_UNAVAILABLE, reports it in /readyz, and resumes without a restart', async () => {
    const url = await pg.createDatabase('outage');
    process.env.TESSERA_DATABASE_URL = url;
    const ca = await newTestCa();
    delete process.env.TESSERA_DATABASE_URL;
    expect(ca.t.store.dialect).toBe('postgres');
    await createGroup(ca.t, LOCAL, 'Smartcard Users');
    await ca.user('alice', { groups: ['Smartcard Users'] });
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Smartcard Users', true);
    const server = await startTestServer(ca);
    const agent = httpsAgent(server.rootPem, 8);
    const endpoint = `${server.url}/api/v1/requests`;
    const bodies = (await makeCsrs(60)).map((csr) => JSON.stringify({ csr, template: 'SmartcardUser' }));
    try {
      const before = await runLoad({
        agent,
        url: endpoint,
        auth: `alice:${PASSWORD}`,
        bodies: bodies.slice(0, 20),
        concurrency: 8,
      });
      expect(before.every((r) => r.status === 201)).toBe(true);

      await pg.pause();
      const during = await runLoad({
        agent,
        url: endpoint,
        auth: `alice:${PASSWORD}`,
        bodies: bodies.slice(20, 36),
        concurrency: 8,
      });
      for (const r of during) {
        expect(r.status).toBe(503);
        expect(JSON.parse(r.body).code).toBe('STORAGE_UNAVAILABLE');
        expect(r.ms).toBeLessThan(8000);
      }
      const ready = await fetchJson(agent, `${server.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database).toBe('STORAGE_UNAVAILABLE');

      await pg.resume();
      let after: Awaited<ReturnType<typeof post>> | undefined;
      for (let i = 0; i < 50; i++) {
        after = await post(agent, endpoint, `alice:${PASSWORD}`, bodies[40 + (i % 20)]);
        if (after.status === 201) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(after?.status).toBe(201);
      expect((await fetchJson(agent, `${server.url}/readyz`)).status).toBe(200);
      const counts = await ca.t.store.requests.count();
      expect(counts.issuing ?? 0).toBe(0);
      expect(await ca.t.store.audit.verify()).toMatchObject({ ok: true });
    } finally {
      agent.destroy();
      await server.close();
      await ca.close();
    }
  }, 120_000);
});

/** What /readyz answers (src/entry/http/health.ts): up or not, and each dependency's check. */
interface Readyz {
  status: 'ready' | 'unavailable';
  checks: Record<string, string>;
}

async function fetchJson(agent: import('node:https').Agent, url: string): Promise<{ status: number; body: Readyz }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let d = '';
      res.on('data', (c) => (d += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(d) }));
    })
      .on('error', reject)
      .end();
  });
}
