/**
 * RevocationService (what `tessera serve` runs) and `tessera crl`: coalesced publication
 * after revocations, revocations from elsewhere picked up by the schedule, one
 * publication per change with two nodes on one database, and the CLI commands.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliContext } from '../../src/entry/cli/CliContext.js';
import { run } from '../../src/entry/cli/main.js';
import { revocationService } from '../../src/ra/revocationJobs.js';
import { revoke } from '../../src/ra/revoke.js';
import { Tessera } from '../../src/Tessera.js';
import { openssl } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { crlText, leaf } from './support.js';

const waitFor = async (cond: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
};

describe.each(['sqlite', 'postgres'] as const)('RevocationService on %s', (engine) => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await newTestCa({ engine });
  });
  afterAll(async () => ca?.close());

  it('publishes one full and one delta CRL shortly after a burst of revocations, listing all of them', async () => {
    const svc = revocationService(ca.t, { coalesceMs: 150, maxDelayMs: 2000, minFullIntervalMs: 0, tickMs: 3600_000 });
    await svc.start();
    try {
      const before = await ca.t.store.crls.lastNumber('issuing');
      const leaves = await Promise.all([1, 2, 3, 4, 5].map(() => leaf(ca.t)));
      for (const l of leaves) await revoke(ca.t, LOCAL, l.serial, 'keyCompromise');
      await waitFor(async () => (await ca.t.store.crls.lastNumber('issuing')) >= before + 2);
      await new Promise((r) => setTimeout(r, 600)); // nothing more comes
      expect(await ca.t.store.crls.lastNumber('issuing')).toBe(before + 2);
      const full = (await ca.t.store.crls.get('issuing', before + 1))!;
      const delta = (await ca.t.store.crls.get('issuing', before + 2))!;
      expect(full.kind).toBe('full');
      expect(delta.kind).toBe('delta');
      for (const l of leaves) expect(crlText(full.der)).toContain(l.serial.toUpperCase());
    } finally {
      await svc.stop();
    }
  });

  it('picks up revocations made by another process on its schedule, and two nodes publish each change once', async () => {
    const nodeB = await Tessera.open(ca.dir);
    const a = revocationService(ca.t, { minFullIntervalMs: 3600_000, tickMs: 150 });
    const b = revocationService(nodeB, { minFullIntervalMs: 3600_000, tickMs: 150 });
    await Promise.all([a.start(), b.start()]);
    try {
      await new Promise((r) => setTimeout(r, 400));
      const before = await ca.t.store.crls.lastNumber('issuing');
      const other = await Tessera.open(ca.dir, { withIssuingKey: false }); // the CLI: no service, no event
      const l = await leaf(ca.t);
      try {
        await revoke(other, LOCAL, l.serial, 'superseded');
      } finally {
        await other.close();
      }
      await waitFor(async () => (await ca.t.store.crls.lastNumber('issuing')) > before);
      await new Promise((r) => setTimeout(r, 800)); // several ticks of both nodes
      const after = await ca.t.store.crls.lastNumber('issuing');
      expect(after).toBe(before + 1); // one delta, not one per node or per tick
      const d = (await ca.t.store.crls.get('issuing', after))!;
      expect(d.kind).toBe('delta');
      expect(crlText(d.der)).toContain(l.serial.toUpperCase());
    } finally {
      await a.stop();
      await b.stop();
      await nodeB.close();
    }
  });
});

describe('tessera crl', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await newTestCa();
  });
  afterAll(async () => ca?.close());

  async function cli(...args: string[]): Promise<{ status: number; out: string }> {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (d: Buffer) => chunks.push(d));
    const ctx = new CliContext(() => ({ data: ca.dir, json: true }), new PassThrough(), stdout);
    const status = await run(['node', 'tessera', ...args], ctx);
    return { status, out: Buffer.concat(chunks).toString() };
  }

  it('publishes the root CRL with the root key on demand, and issuing full and delta CRLs', async () => {
    const before = await ca.t.store.crls.lastNumber('root');
    const root = await cli('crl', 'publish', '--ca', 'root');
    expect(root.status).toBe(0);
    expect(JSON.parse(root.out)).toMatchObject({ ca: 'root', kind: 'full', number: before + 1 });
    const full = JSON.parse((await cli('crl', 'publish')).out);
    const delta = JSON.parse((await cli('crl', 'publish', '--delta')).out);
    expect(delta).toMatchObject({ kind: 'delta', baseNumber: full.number, number: full.number + 1 });
    const listed = JSON.parse((await cli('crl', 'list', '--ca', 'issuing')).out);
    expect(listed[0]).toMatchObject({ number: delta.number, kind: 'delta' });
  });

  it('shows the current CRL and writes it as PEM that openssl verifies', async () => {
    const out = `${ca.dir}/issuing.crl.pem`;
    const r = await cli('crl', 'show', '--out', out, '--pem');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      ca: 'issuing',
      kind: 'full',
      url: 'http://pki.test.invalid/pki/issuing.crl',
    });
    expect(openssl(['crl', '-in', out, '-CAfile', `${ca.dir}/certs/chain.pem`, '-verify', '-noout']).stderr).toContain(
      'verify OK',
    );
  });

  it('refuses a delta CRL for the offline root with a stable code', async () => {
    const r = await cli('crl', 'publish', '--ca', 'root', '--delta');
    expect(r.status).toBe(1);
  });
});
