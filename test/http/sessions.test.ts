/**
 * Sessions end when they should, at once and on every node (security assessment finding
 * "Sessions survive sign-out and password reset"): signing out ends that session only; a
 * new password (reset by an administrator or changed by the user), a disabled account and
 * leaving a role group end all of the user's sessions; a change made in the
 * directory behind Tessera's back (as LDAP is) ends them at the next request. Each end is
 * audited. The last part runs two app instances on one database — SQLite and PostgreSQL —
 * and checks that each sees the other's sign-out and reset with no delay.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/entry/http/buildApp.js';
import { setGroupMember } from '../../src/ra/admin/groups.js';
import { setUserEnabled, setUserPassword } from '../../src/ra/admin/users.js';
import { Tessera } from '../../src/Tessera.js';
import { basic, buildTestApp, PASSWORD } from '../support/app.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

interface Signed {
  readonly cookie: string;
  readonly csrf: string;
}

async function signIn(app: FastifyInstance, username: string, password = PASSWORD): Promise<Signed> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password } });
  expect(r.statusCode, r.body).toBe(200);
  return { cookie: String(r.headers['set-cookie']).split(';')[0], csrf: r.json().csrfToken };
}

const me = async (app: FastifyInstance, s: Signed) =>
  (await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } })).statusCode;

describe('ending sessions', () => {
  let ca: TestCa;
  let app: FastifyInstance;

  beforeAll(async () => {
    // alice (Smartcard Users), carol, manager, admin (CA Administrators).
    ca = await newCertsrvCa();
    app = await buildTestApp(ca);
  });
  afterAll(async () => {
    await app?.close();
    await ca?.close();
  });

  const ends = async (user: string) =>
    (await ca.t.store.audit.list({ action: 'session.ended', limit: 1000 }))
      .filter((r) => r.target === user)
      .sort((x, y) => x.seq - y.seq);

  it('DELETE /api/v1/session ends that session: a kept copy of the cookie no longer works', async () => {
    await ca.user('sofia');
    const s = await signIn(app, 'sofia');
    const other = await signIn(app, 'sofia');
    expect(await me(app, s)).toBe(200);
    const out = await app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    expect(out.statusCode).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/tessera_session=;/);
    expect(await me(app, s)).toBe(401);
    // Only that session: the other one goes on.
    expect(await me(app, other)).toBe(200);
    expect((await ends('sofia')).map((r) => [r.actor, r.details])).toEqual([
      ['sofia', { reason: 'signed_out', method: 'password', sessions: 1 }],
    ]);
  });

  it('POST /certsrv/signout ends the session on the site and on the API', async () => {
    await ca.user('tomas');
    const s = await signIn(app, 'tomas');
    const page = await app.inject({
      method: 'GET',
      url: '/certsrv/',
      headers: { cookie: s.cookie, accept: 'text/html' },
    });
    expect(page.statusCode).toBe(200);
    const out = await app.inject({
      method: 'POST',
      url: '/certsrv/signout',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${encodeURIComponent(s.csrf)}`,
    });
    expect(out.statusCode).toBe(303);
    const after = await app.inject({
      method: 'GET',
      url: '/certsrv/',
      headers: { cookie: s.cookie, accept: 'text/html' },
    });
    expect(after.statusCode).toBe(302);
    expect(after.headers.location).toMatch(/^\/certsrv\/signin\?.*expired=1/);
    expect(await me(app, s)).toBe(401);
    expect((await ends('tomas')).map((r) => r.details.reason)).toEqual(['signed_out']);
  });

  it("an administrator resetting carol's password ends every session of carol's, audited once", async () => {
    const a = await signIn(app, 'carol');
    const b = await signIn(app, 'carol');
    const reset = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/carol',
      headers: basic('admin'),
      payload: { password: 'a brand new passphrase' },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(await me(app, a)).toBe(401);
    expect(await me(app, b)).toBe(401);
    expect((await ends('carol')).map((r) => [r.actor, r.details])).toEqual([
      ['admin', { reason: 'password_set', sessions: 2 }],
    ]);
    // The new password opens a new session; the old one no longer does.
    expect(await me(app, await signIn(app, 'carol', 'a brand new passphrase'))).toBe(200);
    // By UPN too (the epoch is kept under the account name).
    expect(await me(app, await signIn(app, 'carol@tessera.local', 'a brand new passphrase'))).toBe(200);
    await setUserPassword(ca.t, LOCAL, 'carol', PASSWORD);
  });

  it('changing your own password ends your sessions, the one you changed it from included', async () => {
    await ca.user('ursula');
    const s = await signIn(app, 'ursula');
    const changed = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/ursula',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
      payload: { password: 'ursula has a new one' },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(await me(app, s)).toBe(401);
  });

  it('a disabled account loses its sessions for good: enabling it again revives none', async () => {
    await ca.user('viktor');
    const s = await signIn(app, 'viktor');
    await setUserEnabled(ca.t, LOCAL, 'viktor', false);
    expect(await me(app, s)).toBe(401);
    await setUserEnabled(ca.t, LOCAL, 'viktor', true);
    expect(await me(app, s)).toBe(401);
    expect((await ends('viktor')).map((r) => r.details.reason)).toEqual(['account_disabled']);
  });

  it('leaving a role group (CA Administrators here) ends the sessions; joining or leaving a group that grants only Enroll does not', async () => {
    await ca.user('wanda', { groups: ['CA Administrators'] });
    const s = await signIn(app, 'wanda');
    expect((await app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: s.cookie } })).statusCode).toBe(
      200,
    );
    await setGroupMember(ca.t, LOCAL, 'Smartcard Users', 'wanda', true);
    await setGroupMember(ca.t, LOCAL, 'Smartcard Users', 'wanda', false);
    expect(await me(app, s)).toBe(200);
    const removed = await app.inject({
      method: 'DELETE',
      url: '/api/v1/groups/CA%20Administrators/members/wanda',
      headers: basic('admin'),
    });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(await me(app, s)).toBe(401);
    expect((await ends('wanda')).map((r) => r.details)).toEqual([
      { reason: 'role_removed', sessions: 1, group: 'CA Administrators', role: 'caAdministrators' },
    ]);
  });

  it('notices a change made in the directory behind Tessera (as in LDAP): a lost role or a disabled account ends the session', async () => {
    await ca.user('xena', { groups: ['Certificate Managers'] });
    const s = await signIn(app, 'xena');
    const u = (await ca.t.store.users.byUsername('xena'))!;
    const managers = (await ca.t.store.groups.byName('Certificate Managers'))!;
    // Straight into the tables, as a directory administrator's tool would: no RA, no epoch.
    await ca.t.store.transaction((tx) => tx.groups.removeMember(managers.id, u.id));
    expect(await me(app, s)).toBe(401);
    await ca.t.store.transaction((tx) => tx.groups.addMember(managers.id, u.id));
    expect(await me(app, s)).toBe(401);
    const t = await signIn(app, 'xena');
    await ca.t.store.transaction((tx) => tx.users.setEnabled(u.id, false));
    expect(await me(app, t)).toBe(401);
    await ca.t.store.transaction((tx) => tx.users.setEnabled(u.id, true));
    expect(await me(app, t)).toBe(401);
    expect((await ends('xena')).map((r) => [r.actor, r.details.reason])).toEqual([
      ['tessera', 'role_removed'],
      ['tessera', 'account_disabled'],
    ]);
  });
});

describe.each(['sqlite', 'postgres'] as const)('two nodes on one %s database', (engine) => {
  let ca: TestCa;
  let second: Tessera;
  let a: FastifyInstance;
  let b: FastifyInstance;

  beforeAll(async () => {
    ca = await newTestCa({ engine });
    await ca.user('carol');
    await ca.user('admin', { groups: ['CA Administrators'] });
    // The second node opens the same data directory with the default 2 s directory cache:
    // nothing about a session may wait for it.
    second = await Tessera.open(ca.dir, { withIssuingKey: false });
    const key = randomBytes(32);
    a = await buildApp({ tessera: ca.t, sessionKey: key });
    b = await buildApp({ tessera: second, sessionKey: key });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await second?.close();
    await ca?.close();
  });

  it('a sign-out on one node is refused on the other at once', async () => {
    const s = await signIn(a, 'carol');
    expect(await me(b, s)).toBe(200);
    expect(
      (
        await b.inject({
          method: 'DELETE',
          url: '/api/v1/session',
          headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
        })
      ).statusCode,
    ).toBe(200);
    expect(await me(a, s)).toBe(401);
    expect(await me(b, s)).toBe(401);
  });

  it("a password reset on one node ends carol's sessions and her remembered Basic check on the other at once", async () => {
    const s = await signIn(a, 'carol');
    // Node a remembers carol's Basic check for a minute.
    expect((await a.inject({ method: 'GET', url: '/api/v1/me', headers: basic('carol') })).statusCode).toBe(200);
    expect(
      (
        await b.inject({
          method: 'PATCH',
          url: '/api/v1/users/carol',
          headers: basic('admin'),
          payload: { password: 'reset on node b' },
        })
      ).statusCode,
    ).toBe(200);
    expect(await me(a, s)).toBe(401);
    expect((await a.inject({ method: 'GET', url: '/api/v1/me', headers: basic('carol') })).statusCode).toBe(401);
    expect(
      (await a.inject({ method: 'GET', url: '/api/v1/me', headers: basic('carol', 'reset on node b') })).statusCode,
    ).toBe(200);
    await setUserPassword(ca.t, LOCAL, 'carol', PASSWORD);
  });

  it('disabling carol on one node ends her session on the other at once', async () => {
    const s = await signIn(b, 'carol');
    // Both nodes have carol's account in their directory cache now.
    expect(await me(a, s)).toBe(200);
    expect(await me(b, s)).toBe(200);
    expect(
      (
        await a.inject({
          method: 'PATCH',
          url: '/api/v1/users/carol',
          headers: basic('admin'),
          payload: { enabled: false },
        })
      ).statusCode,
    ).toBe(200);
    expect(await me(b, s)).toBe(401);
  });
});
