/**
 * Full and delta CRLs (RFC 5280 §5), judged by OpenSSL: `openssl crl -verify`,
 * `openssl verify -crl_check [-crl_check_all] [-use_deltas]`, on SQLite and PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentCrl } from '../../src/ra/currentCrl.js';
import { publishCrl } from '../../src/ra/publishCrl.js';
import { release, revoke } from '../../src/ra/revoke.js';
import { Tessera } from '../../src/Tessera.js';
import { openssl } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { crlText, leaf, TestClock, verifyCrl, verifyWithCrls } from './support.js';

describe.each(['sqlite', 'postgres'] as const)('CRLs on %s', (engine) => {
  let ca: TestCa;
  let rootDer: Buffer;
  let issuingDer: Buffer;
  beforeAll(async () => {
    ca = await newTestCa({ engine });
    rootDer = ca.t.caRecord('root').certificate;
    issuingDer = ca.t.caRecord('issuing').certificate;
  });
  afterAll(async () => ca?.close());

  it('publishes the root CRL and the issuing full and delta CRLs at init, each verified by openssl crl -verify', async () => {
    const root = await currentCrl(ca.t, 'root', 'full');
    const full = await currentCrl(ca.t, 'issuing', 'full');
    const delta = await currentCrl(ca.t, 'issuing', 'delta');
    expect(verifyCrl(root.der, rootDer).stderr).toContain('verify OK');
    expect(verifyCrl(full.der, issuingDer).stderr).toContain('verify OK');
    expect(verifyCrl(delta.der, issuingDer).stderr).toContain('verify OK');
    // The root CRL is signed by the root key, not the issuing one.
    expect(verifyCrl(root.der, issuingDer).stderr).not.toContain('verify OK');
    expect(delta.number).toBeGreaterThan(full.number);
    expect(delta.baseNumber).toBe(full.number);
    // A long-lived offline root CRL (180 days) vs the configured issuing validity (168 h).
    expect(root.nextUpdate.getTime() - root.thisUpdate.getTime()).toBe(180 * 86_400_000);
    expect(full.nextUpdate.getTime() - full.thisUpdate.getTime()).toBe(168 * 3_600_000);
    expect(delta.nextUpdate.getTime() - delta.thisUpdate.getTime()).toBe(24 * 3_600_000);
  });

  it('writes a v2 CRL with AKI, CRL number and freshestCRL; the delta has a critical deltaCRLIndicator; no fractional seconds', async () => {
    const full = await publishCrl(ca.t);
    const text = crlText(full.der);
    expect(text).toContain('Version 2 (0x1)');
    expect(text).toContain('X509v3 Authority Key Identifier');
    expect(text).toMatch(new RegExp(`X509v3 CRL Number: \\n\\s+${full.number}\\b`));
    expect(text).toContain('X509v3 Freshest CRL');
    expect(text).toContain('URI:http://pki.test.invalid/pki/issuing+.crl');
    expect(text).toContain('No Revoked Certificates');
    const delta = await publishCrl(ca.t, { kind: 'delta' });
    const dtext = crlText(delta.der);
    expect(dtext).toMatch(/X509v3 Delta CRL Indicator: critical\s*\n\s+\d+/);
    expect(dtext).toMatch(new RegExp(`X509v3 Delta CRL Indicator: critical\\s*\\n\\s+${full.number}\\b`));
    expect(dtext).not.toContain('Freshest CRL');
    // RFC 5280 §5.1.2.4: whole seconds (UTCTime YYMMDDHHMMSSZ is 13 characters).
    const asn1 = openssl(['asn1parse', '-inform', 'DER'], delta.der).stdout;
    for (const m of asn1.matchAll(/UTCTIME\s*:(\S+)/g)) expect(m[1]).toMatch(/^\d{12}Z$/);
  });

  it('lists a revoked leaf with its reason; openssl verify -crl_check rejects it and accepts a good leaf, also with -crl_check_all', async () => {
    const bad = await leaf(ca.t);
    const good = await leaf(ca.t);
    await revoke(ca.t, LOCAL, bad.serial, 'keyCompromise');
    const full = await publishCrl(ca.t);
    expect(verifyCrl(full.der, issuingDer).stderr).toContain('verify OK');
    const text = crlText(full.der);
    expect(text).toContain(`Serial Number: ${bad.serial.toUpperCase()}`);
    expect(text).toContain('Key Compromise');
    expect(text).not.toContain(good.serial.toUpperCase());
    const rejected = verifyWithCrls(bad.der, ca.chainPem, [full.der]);
    expect(rejected.status).not.toBe(0);
    expect(rejected.stdout + rejected.stderr).toContain('certificate revoked');
    expect(verifyWithCrls(good.der, ca.chainPem, [full.der]).stdout).toContain('OK');
    const root = await currentCrl(ca.t, 'root', 'full');
    expect(verifyWithCrls(good.der, ca.chainPem, [full.der, root.der], ['-crl_check_all']).stdout).toContain('OK');
    const all = verifyWithCrls(bad.der, ca.chainPem, [full.der, root.der], ['-crl_check_all']);
    expect(all.stdout + all.stderr).toContain('certificate revoked');
    // Without the root's CRL, -crl_check_all cannot check the issuing CA certificate.
    expect(`${verifyWithCrls(good.der, ca.chainPem, [full.der], ['-crl_check_all']).stdout}`).not.toMatch(/: OK/);
  });

  it('leaves out reasonCode for unspecified (RFC 5280 §5.3.1)', async () => {
    const c = await leaf(ca.t);
    await revoke(ca.t, LOCAL, c.serial, 'unspecified');
    const text = crlText((await publishCrl(ca.t)).der);
    const block = text.slice(text.indexOf(`Serial Number: ${c.serial.toUpperCase()}`)).split('Serial Number:')[1];
    expect(block).toBeDefined();
    expect(block).not.toContain('Reason Code');
  });

  it('reports a revocation made after the full CRL through the delta CRL (openssl verify -crl_check -use_deltas)', async () => {
    const full = await publishCrl(ca.t);
    const c = await leaf(ca.t);
    await revoke(ca.t, LOCAL, c.serial, 'superseded');
    const delta = await publishCrl(ca.t, { kind: 'delta' });
    expect(delta.baseNumber).toBe(full.number);
    expect(verifyCrl(delta.der, issuingDer).stderr).toContain('verify OK');
    expect(crlText(delta.der)).toContain(c.serial.toUpperCase());
    // The full CRL alone does not know yet; with the delta, OpenSSL rejects the leaf.
    expect(verifyWithCrls(c.der, ca.chainPem, [full.der]).stdout).toContain('OK');
    const r = verifyWithCrls(c.der, ca.chainPem, [full.der, delta.der], ['-use_deltas']);
    expect(r.stdout + r.stderr).toContain('certificate revoked');
  });

  it('puts a certificate on hold with its reason, and after release signals removeFromCRL in the delta and drops it from the next full CRL', async () => {
    const c = await leaf(ca.t);
    await revoke(ca.t, LOCAL, c.serial, 'certificateHold');
    const fullWithHold = await publishCrl(ca.t);
    expect(crlText(fullWithHold.der)).toMatch(new RegExp(`${c.serial.toUpperCase()}[\\s\\S]{0,200}Certificate Hold`));
    expect(`${verifyWithCrls(c.der, ca.chainPem, [fullWithHold.der]).stdout}`).not.toContain(': OK');

    await release(ca.t, LOCAL, c.serial);
    const delta = await publishCrl(ca.t, { kind: 'delta' });
    expect(delta.baseNumber).toBe(fullWithHold.number);
    expect(crlText(delta.der)).toMatch(new RegExp(`${c.serial.toUpperCase()}[\\s\\S]{0,200}Remove From CRL`));
    // OpenSSL applies the delta: the hold in the base is lifted.
    expect(verifyWithCrls(c.der, ca.chainPem, [fullWithHold.der, delta.der], ['-use_deltas']).stdout).toContain('OK');
    const next = await publishCrl(ca.t);
    expect(crlText(next.der)).not.toContain(c.serial.toUpperCase());
    expect(verifyWithCrls(c.der, ca.chainPem, [next.der]).stdout).toContain('OK');
    // A delta on the new base no longer mentions it.
    expect(crlText((await publishCrl(ca.t, { kind: 'delta' })).der)).not.toContain(c.serial.toUpperCase());
  });

  it('keeps CRL numbers increasing across a restart (close and reopen)', async () => {
    const before = await publishCrl(ca.t, { kind: 'delta' });
    const t2 = await Tessera.open(ca.dir);
    try {
      const after = await publishCrl(t2);
      expect(after.number).toBe(before.number + 1);
      const d = await publishCrl(t2, { kind: 'delta' });
      expect(d.number).toBe(after.number + 1);
      expect(d.baseNumber).toBe(after.number);
    } finally {
      await t2.close();
    }
  });

  it('gives two nodes publishing concurrently on one database strictly increasing, never repeated CRL numbers', async () => {
    const nodeA = await Tessera.open(ca.dir);
    // On PostgreSQL the second node is another Tessera in this process; on SQLite, whose
    // locks are per process, it is another process (test/support/crlWorker.ts).
    const nodeB = engine === 'postgres' ? await Tessera.open(ca.dir) : undefined;
    const inProcess = async (node: Tessera) => {
      const got: { number: number; thisUpdate: number }[] = [];
      for (let i = 0; i < 8; i++) {
        const c = await publishCrl(node, { kind: i % 2 ? 'delta' : 'full' });
        got.push({ number: c.number, thisUpdate: c.thisUpdate.getTime() });
      }
      return got;
    };
    const otherProcess = async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('../support/crlWorker.ts', import.meta.url)), ca.dir, '8'],
        { env: { ...process.env, TESSERA_DATABASE_URL: '' } },
      );
      return JSON.parse(stdout) as { number: number; thisUpdate: number }[];
    };
    try {
      const start = await ca.t.store.crls.lastNumber('issuing');
      const runs = await Promise.all([inProcess(nodeA), nodeB ? inProcess(nodeB) : otherProcess()]);
      const numbers = runs.flat().map((r) => r.number);
      expect(new Set(numbers).size).toBe(16);
      expect(Math.min(...numbers)).toBe(start + 1);
      expect(Math.max(...numbers)).toBe(start + 16);
      // Each node sees its own numbers strictly increase.
      for (const r of runs) for (let i = 1; i < r.length; i++) expect(r[i].number).toBeGreaterThan(r[i - 1].number);
      // And the stored CRLs agree: every delta's base is a full CRL with a lower number.
      for (const c of await ca.t.store.crls.list('issuing', 100))
        if (c.kind === 'delta') expect(c.baseNumber!).toBeLessThan(c.number);
    } finally {
      await nodeA.close();
      await nodeB?.close();
    }
  });

  it('serves the newest CRL a node published to every other node (currentCrl rechecks the database)', async () => {
    const other = await Tessera.open(ca.dir);
    try {
      await currentCrl(ca.t, 'issuing', 'full');
      const c = await publishCrl(other);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await currentCrl(ca.t, 'issuing', 'full')).number).toBe(c.number);
    } finally {
      await other.close();
    }
  });
});

describe('expired entries', () => {
  it('keeps a revoked certificate on one CRL issued after it expires, then leaves it out (RFC 5280 §3.3)', async () => {
    const ca = await newTestCa();
    const clock = new TestClock();
    const t = await Tessera.open(ca.dir, { now: clock.now });
    try {
      const c = await leaf(t, 2);
      await revoke(t, LOCAL, c.serial, 'keyCompromise');
      const listed = (der: Buffer) => crlText(der).includes(c.serial.toUpperCase());
      expect(listed((await publishCrl(t)).der)).toBe(true);
      clock.advance(3 * 86_400_000); // the certificate has expired
      expect(listed((await publishCrl(t)).der)).toBe(true); // the first CRL after expiry still lists it
      clock.advance(3600_000);
      const after = await publishCrl(t);
      expect(listed(after.der)).toBe(false);
      expect(after.entries).toBe(0);
      // An unexpired revoked certificate is never dropped.
      const d = await leaf(t, 30);
      await revoke(t, LOCAL, d.serial, 'affiliationChanged');
      for (let i = 0; i < 3; i++) {
        clock.advance(86_400_000);
        expect(crlText((await publishCrl(t)).der)).toContain(d.serial.toUpperCase());
      }
      expect(openssl(['crl', '-inform', 'DER', '-noout'], after.der).status).toBe(0);
    } finally {
      await t.close();
      await ca.close();
    }
  });
});

describe('single-tier CA', () => {
  it('publishes full and delta CRLs signed by the one CA', async () => {
    const ca = await newTestCa({ singleTier: true, keyAlgorithm: 'RSA-2048' });
    try {
      const full = await currentCrl(ca.t, 'issuing', 'full');
      const der = ca.t.caRecord('issuing').certificate;
      expect(verifyCrl(full.der, der).stderr).toContain('verify OK');
      const c = await leaf(ca.t);
      await revoke(ca.t, LOCAL, c.serial, 'cessationOfOperation');
      const f = await publishCrl(ca.t);
      const r = verifyWithCrls(c.der, ca.chainPem, [f.der]);
      expect(r.stdout + r.stderr).toContain('certificate revoked');
    } finally {
      await ca.close();
    }
  });
});
