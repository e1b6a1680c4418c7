/**
 * Revocation soft-fail on the real sign-in listener: with `revocation.mode: 'soft-fail'`
 * and both the OCSP responder and the CRL distribution point down, a sign-in is let
 * through and its `signin.succeeded` audit record carries the warnings — every time; a
 * revoked certificate is still refused; hard-fail (the default) refuses the same sign-in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { startSigninServer, type SigninServer } from '../../src/entry/http/signin/signinServer.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { revoke } from '../../src/ra/revoke.js';
import { validatorSettingsFor } from '../../src/config/validatorSettingsFor.js';
import { SmartCardValidator } from '../../src/signin/SmartCardValidator.js';
import { freePort } from '../support/ports.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { issue, revocationListener, tlsGet, type Faults, type Holder } from './support/listener.js';

let ca: TestCa;
let main: TestServer;
let soft: SigninServer;
let hard: SigninServer;
let revocationHttp: Awaited<ReturnType<typeof revocationListener>>;
const faults: Faults = { ocsp: 'up', crl: 'up' };
let alice: DirectoryUser;
let aliceCert: Holder;

beforeAll(async () => {
  const httpPort = await freePort();
  ca = await newTestCa({ publicUrl: `http://127.0.0.1:${httpPort}` });
  revocationHttp = await revocationListener(ca.t, httpPort, faults);
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  alice = await ca.user('alice');
  aliceCert = await issue(ca.t, alice);
  main = await startTestServer(ca);
  const sessionKey = Buffer.from(readFileSync(join(ca.dir, 'keys', 'session.key'), 'utf8').trim(), 'hex');
  const settings = await validatorSettingsFor(ca.t);
  const start = (mode: 'soft-fail' | 'hard-fail') =>
    startSigninServer({
      tessera: ca.t,
      sessionKey,
      host: '127.0.0.1',
      port: 0,
      validator: new SmartCardValidator(
        { ...settings, revocation: { ...settings.revocation, crlCacheMs: 0, timeoutMs: 2000, mode } },
        { accounts: ca.t.directory },
      ),
      limits: { perAddress: 0, perCertificate: 0 },
    });
  soft = await start('soft-fail');
  hard = await start('hard-fail');
});
afterAll(async () => {
  await soft?.close();
  await hard?.close();
  await main?.close();
  await revocationHttp?.close();
  await ca?.close();
});

const present = (s: SigninServer, h: Holder) =>
  tlsGet(`${s.url.replace('127.0.0.1', 'localhost')}/signin.json`, { ca: main.rootPem, key: h.key, chain: [h.der] });
const audits = async (action: string) =>
  (await ca.t.store.audit.list({ action, limit: 1000 })).sort((a, b) => b.seq - a.seq);

describe('revocation soft-fail on the sign-in listener', () => {
  it('lets the sign-in through when no revocation answer can be had, with the warnings in every audit record', async () => {
    faults.ocsp = 'down';
    faults.crl = 'down';
    try {
      for (let i = 0; i < 2; i++) {
        const a = await present(soft, aliceCert);
        expect(a.status, a.body).toBe(200);
        const [record] = await audits('signin.succeeded');
        expect(record.actor).toBe('alice');
        const warnings = record.details.warnings as string[];
        expect(warnings.length).toBeGreaterThan(0);
        expect(warnings[0]).toMatch(/revocation status of .* unknown, allowed by soft-fail/);
      }
      // The same sign-in under hard-fail is refused.
      const h = await present(hard, aliceCert);
      expect(h.status).toBe(403);
      expect(h.json).toMatchObject({ failedCheck: { id: 'revocation', code: 'SIGNIN_REVOCATION_UNKNOWN' } });
    } finally {
      faults.ocsp = 'up';
      faults.crl = 'up';
    }
  });

  it('a sign-in with every answer is audited without warnings, and a revoked certificate is refused even under soft-fail', async () => {
    const a = await present(soft, aliceCert);
    expect(a.status, a.body).toBe(200);
    const [record] = await audits('signin.succeeded');
    expect(record.details.warnings).toBeUndefined();
    const bob = await ca.user('bob');
    const bobCert = await issue(ca.t, bob);
    await revoke(ca.t, LOCAL, bobCert.serial, 'keyCompromise');
    const r = await present(soft, bobCert);
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ failedCheck: { id: 'revocation', code: 'SIGNIN_REVOKED' } });
  });
});
