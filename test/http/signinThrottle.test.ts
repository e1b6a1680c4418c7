/**
 * Failed sign-ins slow the guesser, not the account (security assessment finding "The
 * password lockout can lock users out"; docs/authentication.md "Failed sign-ins"):
 * failures count per (user, client address) with a doubling wait answered 429 +
 * Retry-After, a per-address count slows password spraying from that address only, a
 * wait always runs out, counts are shared by the nodes on one database, and neither an
 * existing session nor a client certificate is ever slowed. The clock is injected
 * (Tessera's `now`), never slept on.
 */
import { randomBytes } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/entry/http/buildApp.js';
import { submit } from '../../src/ra/submit.js';
import { Tessera } from '../../src/Tessera.js';
import { toPem } from '../../src/x509/pem.js';
import { basic, PASSWORD } from '../support/app.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { opensslCsr } from '../support/openssl.js';
import { startTestServer, type TestServer } from '../support/server.js';
import type { TestCa } from '../support/tessera.js';

const A = '192.0.2.66';
const B = '198.51.100.7';

let ca: TestCa;
/** Two nodes on the CA's database, sharing one clock the tests move. */
let nodes: Tessera[];
let app: FastifyInstance;
let other: FastifyInstance;
let clock = Date.now();

beforeAll(async () => {
  // alice (Smartcard Users), carol, manager, admin.
  ca = await newCertsrvCa();
  for (const u of ['dora', 'eve', 'fred', 'gus', 'hal']) await ca.user(u);
  nodes = await Promise.all(
    [0, 1].map(() => Tessera.open(ca.dir, { now: () => new Date(clock), caches: { ttlMs: 0 }, withIssuingKey: false })),
  );
  const sessionKey = randomBytes(32);
  // Three free failures per (user, address); thirty per address.
  [app, other] = await Promise.all(nodes.map((t) => buildApp({ tessera: t, sessionKey, limits: { authFailures: 3 } })));
});
afterAll(async () => {
  await app?.close();
  await other?.close();
  for (const t of nodes ?? []) await t.close();
  await ca?.close();
});

const me = (from: string, user: string, password = PASSWORD, on = app) =>
  on.inject({ method: 'GET', url: '/api/v1/me', headers: basic(user, password), remoteAddress: from });

describe('failures per (user, address)', () => {
  it('the attacker at address A failing for carol does not stop carol signing in from address B', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await me(A, 'carol', `guess ${i}`)).statusCode);
    expect(codes).toEqual([401, 401, 401, ...Array(9).fill(429)]);
    expect((await me(A, 'carol')).statusCode).toBe(429);
    // From B: Basic, the API session and the sign-in form all take the right password.
    expect((await me(B, 'carol')).statusCode).toBe(200);
    const session = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'carol', password: PASSWORD },
      remoteAddress: B,
    });
    expect(session.statusCode).toBe(200);
    const form = await app.inject({
      method: 'POST',
      url: '/certsrv/signin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=carol&password=${encodeURIComponent(PASSWORD)}&return=%2Fcertsrv%2F`,
      remoteAddress: B,
    });
    expect(form.statusCode).toBe(303);
  });

  it('slows brute force from one address with a doubling wait, 429 and Retry-After, the right password included', async () => {
    for (let i = 0; i < 3; i++) expect((await me(A, 'dora', `guess ${i}`)).statusCode).toBe(401);
    const waits: string[] = [];
    for (let i = 0; i < 3; i++) {
      const refused = await me(A, 'dora', PASSWORD);
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
      waits.push(String(refused.headers['retry-after']));
      // Waiting it out buys one more guess, and the next wait is twice as long.
      clock += Number(refused.headers['retry-after']) * 1000;
      expect((await me(A, 'dora', `late guess ${i}`)).statusCode).toBe(401);
    }
    expect(waits).toEqual(['1', '2', '4']);
    const page = await app.inject({
      method: 'POST',
      url: '/certsrv/signin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=dora&password=${encodeURIComponent(PASSWORD)}`,
      remoteAddress: A,
    });
    expect(page.statusCode).toBe(429);
    expect(page.headers['retry-after']).toBe('8');
    // The wait runs out: the right password gets in, and dora's count from A starts again.
    clock += 8000;
    expect((await me(A, 'dora')).statusCode).toBe(200);
    expect((await me(A, 'dora', 'one typo')).statusCode).toBe(401);
    expect((await me(A, 'dora')).statusCode).toBe(200);
    const audit = (await ca.t.store.audit.list({ action: 'auth.failed', actor: 'dora', limit: 100 })).sort(
      (x, y) => x.seq - y.seq,
    );
    expect(audit.slice(0, 6).map((r) => r.details.failures)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('lets a parallel burst of guesses through no faster than one after another', async () => {
    const codes = (await Promise.all(Array.from({ length: 20 }, (_, i) => me(A, 'alice', `burst ${i}`)))).map(
      (r) => r.statusCode,
    );
    expect(codes.filter((c) => c === 401)).toHaveLength(3);
    expect(codes.filter((c) => c === 429)).toHaveLength(17);
  });

  it("does not refuse a script's parallel burst with the right password", async () => {
    const codes = (await Promise.all(Array.from({ length: 40 }, () => me(B, 'manager')))).map((r) => r.statusCode);
    expect(codes).toEqual(Array(40).fill(200));
  });

  it('counts IPv6 clients by their /64', async () => {
    for (const host of ['10', '20', '30'])
      expect((await me(`2001:db8:1:2::${host}`, 'eve', 'guess')).statusCode).toBe(401);
    expect((await me('2001:db8:1:2:ffff::1', 'eve')).statusCode).toBe(429);
    expect((await me('2001:db8:1:3::1', 'eve')).statusCode).toBe(200);
  });

  it('is shared by the nodes on one database: failures on one slow the same pair on the other', async () => {
    for (let i = 0; i < 3; i++) expect((await me(A, 'fred', `guess ${i}`)).statusCode).toBe(401);
    expect((await me(A, 'fred', PASSWORD, other)).statusCode).toBe(429);
    expect((await me(B, 'fred', PASSWORD, other)).statusCode).toBe(200);
  });
});

describe('failures per address', () => {
  it('slow password spraying from that address only, and only for a while', async () => {
    const C = '203.0.113.9';
    for (let i = 0; i < 30; i++) expect((await me(C, `nobody${i}`, 'Winter2026!')).statusCode).toBe(401);
    const refused = await me(C, 'gus');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect((await me(B, 'gus')).statusCode).toBe(200);
    clock += 1000;
    expect((await me(C, 'gus')).statusCode).toBe(200);
  });
});

describe('never slowed', () => {
  it('an existing session keeps working from the address that is being slowed', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'hal', password: PASSWORD },
      remoteAddress: B,
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    for (let i = 0; i < 5; i++) await me(A, 'hal', `guess ${i}`);
    // hal's password, just checked at his sign-in from B, is remembered for a minute; a
    // guess of it from A must still wait, or the waits would tell right from wrong for free.
    expect((await me(A, 'hal')).statusCode).toBe(429);
    const viaSession = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie }, remoteAddress: A });
    expect(viaSession.statusCode).toBe(200);
    expect(viaSession.json()).toMatchObject({ username: 'hal', authenticatedBy: 'session' });
  });

  describe('a client certificate, over a real TLS connection', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(ca, { limits: { authFailures: 2 } });
    });
    afterAll(async () => {
      await server?.close();
    });

    const get = (o: { auth?: string; cert?: string; key?: string }) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest(`${server.url}/api/v1/me`, { ca: server.rootPem, agent: false, ...o }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end();
      });

    it('signs alice in while her password is being slowed from the same address', async () => {
      const alice = (await ca.t.directory.findUser('alice'))!;
      const { csr, key } = opensslCsr('P-256');
      const r = await submit(ca.t, { request: csr, template: 'SmartcardUser', requester: alice, source: 'test' });
      const cert = toPem(r.certificate!, 'CERTIFICATE');
      for (let i = 0; i < 2; i++) expect(await get({ auth: `alice:guess ${i}` })).toBe(401);
      expect(await get({ auth: `alice:${PASSWORD}` })).toBe(429);
      expect(await get({ cert, key })).toBe(200);
    });
  });
});
