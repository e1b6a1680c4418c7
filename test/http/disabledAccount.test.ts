/**
 * A disabled account's right password gets the answer a wrong one gets (security
 * assessment finding "A disabled account's right password is distinguishable"): the REST
 * API (Basic and POST /api/v1/session), the certsrv sign-in form and certsrv with Basic
 * answer both alike — same status, same body — while the audit trail keeps the true
 * reason.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUserEnabled } from '../../src/ra/admin/users.js';
import { basic, buildTestApp, PASSWORD } from '../support/app.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

let ca: TestCa;
let app: FastifyInstance;

beforeAll(async () => {
  ca = await newTestCa();
  await ca.user('dora');
  await setUserEnabled(ca.t, LOCAL, 'dora', false);
  // Without the sign-in throttle, which counts both answers alike (signinThrottle.test.ts).
  app = await buildTestApp(ca, { enrollPerMinutePerUser: 0, enrollPerMinutePerAddress: 0, authFailures: 0 });
});
afterAll(async () => {
  await app?.close();
  await ca?.close();
});

/** Status, the headers that could differ, and the body with the per-response CSP nonce taken out. */
function answer(r: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  return {
    status: r.statusCode,
    type: r.headers['content-type'],
    challenge: r.headers['www-authenticate'],
    cookie: r.headers['set-cookie'],
    body: r.body.replace(/nonce-[A-Za-z0-9+/=_-]+|nonce="[^"]*"/g, 'nonce'),
  };
}

describe('a disabled account', () => {
  it('gets 401 AUTH_FAILED for its right password over Basic, exactly as for a wrong one', async () => {
    const right = await app.inject({ method: 'GET', url: '/api/v1/me', headers: basic('dora', PASSWORD) });
    const wrong = await app.inject({ method: 'GET', url: '/api/v1/me', headers: basic('dora', 'not the password') });
    expect(right.statusCode).toBe(401);
    expect(right.json()).toMatchObject({ code: 'AUTH_FAILED', title: 'The user name or password is incorrect.' });
    expect(JSON.stringify(right.json())).not.toMatch(/dora|disabled/i);
    expect(answer(right)).toEqual(answer(wrong));
  });

  it('is answered alike at POST /api/v1/session', async () => {
    const right = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'dora', password: PASSWORD },
    });
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'dora', password: 'not the password' },
    });
    expect(right.statusCode).toBe(401);
    expect(answer(right)).toEqual(answer(wrong));
  });

  it('is answered alike on the certsrv sign-in form and with Basic on certsrv', async () => {
    const form = (password: string) =>
      app.inject({
        method: 'POST',
        url: '/certsrv/signin',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        payload: `username=dora&password=${encodeURIComponent(password)}`,
      });
    const right = await form(PASSWORD);
    expect(right.statusCode).toBe(401);
    expect(right.body).toContain('The user name or password is incorrect.');
    expect(answer(right)).toEqual(answer(await form('not the password')));
    const page = (password: string) =>
      app.inject({ method: 'GET', url: '/certsrv/', headers: { ...basic('dora', password), accept: 'text/html' } });
    const rightBasic = await page(PASSWORD);
    expect(rightBasic.statusCode).toBe(401);
    expect(rightBasic.body).not.toMatch(/disabled|USER_DISABLED/i);
    expect(answer(rightBasic)).toEqual(answer(await page('not the password')));
  });

  it('keeps the true reason in the audit trail', async () => {
    const failures = await ca.t.store.audit.list({ action: 'auth.failed', actor: 'dora', limit: 100 });
    const codes = new Set(failures.map((r) => r.details.code));
    expect(codes).toEqual(new Set(['USER_DISABLED', 'AUTH_FAILED']));
  });
});
