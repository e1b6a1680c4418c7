/**
 * Role separation between CA Administrator and Certificate Manager (ra/roleSeparation.ts;
 * AD CS RoleSeparationEnabled, learn.microsoft.com "Role-based administration"), on SQLite
 * and PostgreSQL: a CA administrator cannot add himself to Certificate Managers and then
 * approve requests (the outside assessment's ESC7 finding, which `tessera check` only
 * reported afterwards), nor can anyone put a certificate manager in CA Administrators or
 * create an account in both. Each refusal is ROLE_CONFLICT, audited, and changes nothing;
 * the REST API gets the same answer because the rule lives in ra/admin/groups.ts. An
 * account that holds both roles anyway acts in neither.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configProblems, loadConfig, saveConfig } from '../../src/config/loadConfig.js';
import type { Actor } from '../../src/ra/Actor.js';
import { Tessera } from '../../src/Tessera.js';
import { createGroup } from '../../src/ra/admin/groups.js';
import { saveTemplate } from '../../src/ra/admin/templates.js';
import { createUser } from '../../src/ra/admin/users.js';
import { resubmit } from '../../src/ra/resubmit.js';
import { submit } from '../../src/ra/submit.js';
import { BUILTIN_TEMPLATES } from '../../src/template/builtinTemplates.js';
import { basic, buildTestApp } from '../support/app.js';
import { opensslCsr } from '../support/openssl.js';
import { LOCAL, newTestCa, setGroupMember, type TestCa } from '../support/tessera.js';

describe.each(['sqlite', 'postgres'] as const)('role separation on %s', (engine) => {
  let ca: TestCa;
  let app: FastifyInstance;
  const groupsOf = async (name: string) => (await ca.t.directory.findUser(name))!.groups;
  const refusals = async () =>
    (await ca.t.store.audit.list({ action: 'group.member_refused' })).map((a) => ({
      actor: a.actor,
      target: a.target,
      details: a.details,
    }));

  beforeAll(async () => {
    ca = await newTestCa({ engine });
    await ca.user('admin', { groups: ['CA Administrators'] });
    await ca.user('admin2', { groups: ['CA Administrators'] });
    await ca.user('carol', { groups: ['Certificate Managers'] });
    await ca.user('dave');
    await ca.user('alice');
    const base = BUILTIN_TEMPLATES.find((x) => x.name === 'SmartcardUser')!;
    await saveTemplate(
      ca.t,
      LOCAL,
      {
        ...base,
        name: 'Approved',
        displayName: 'Approved',
        enroll: ['Domain Users'],
        issuance: { ...base.issuance, managerApproval: true },
      },
      { create: true },
    );
    app = await buildTestApp(ca);
  });
  afterAll(async () => {
    await app?.close();
    await ca?.close();
  });

  it('refuses a CA administrator adding himself to Certificate Managers: ROLE_CONFLICT, audited, nothing changed', async () => {
    const admin = await ca.actor('admin');
    const before = (await ca.t.store.audit.list({ limit: 1 }))[0].seq;
    await expect(setGroupMember(ca.t, admin, 'Certificate Managers', 'admin', true)).rejects.toMatchObject({
      code: 'ROLE_CONFLICT',
      detail:
        'admin cannot be added to Certificate Managers: membership of both CA Administrators and Certificate Managers would make one account CA Administrator and Certificate Manager',
    });
    expect(await groupsOf('admin')).not.toContain('Certificate Managers');
    // One record, the refusal: the addition's own record went with the rollback.
    const after = await ca.t.store.audit.list({ afterSeq: before });
    expect(after.map((a) => a.action)).toEqual(['group.member_refused']);
    expect(after[0]).toMatchObject({
      actor: 'admin',
      target: 'Certificate Managers',
      source: '127.0.0.1',
      details: { user: 'admin', code: 'ROLE_CONFLICT' },
    });
    expect(await ca.t.store.audit.verify()).toMatchObject({ ok: true });
  });

  it('refuses another administrator, and the local administrator, putting a certificate manager in CA Administrators', async () => {
    await expect(
      setGroupMember(ca.t, await ca.actor('admin2'), 'CA Administrators', 'carol', true),
    ).rejects.toMatchObject({ code: 'ROLE_CONFLICT' });
    await expect(setGroupMember(ca.t, LOCAL, 'ca administrators', 'carol', true)).rejects.toMatchObject({
      code: 'ROLE_CONFLICT',
    });
    await expect(setGroupMember(ca.t, LOCAL, 'Certificate Managers', 'admin2', true)).rejects.toMatchObject({
      code: 'ROLE_CONFLICT',
    });
    expect(await groupsOf('carol')).toEqual(['Certificate Managers', 'Domain Users']);
    expect(await groupsOf('admin2')).toEqual(['CA Administrators', 'Domain Users']);
    expect(
      (await refusals()).slice(0, 3).map((r) => [r.actor, r.target, (r.details as { user: string }).user]),
    ).toEqual([
      ['local:test', 'Certificate Managers', 'admin2'],
      ['local:test', 'CA Administrators', 'carol'],
      ['admin2', 'CA Administrators', 'carol'],
    ]);
  });

  it('still adds to either role group, and to other groups, whoever holds neither or only the same role', async () => {
    expect(await setGroupMember(ca.t, LOCAL, 'Certificate Managers', 'dave', true)).toBe(true);
    expect(await setGroupMember(ca.t, LOCAL, 'Auditors', 'dave', true)).toBe(true);
    expect(await setGroupMember(ca.t, await ca.actor('admin'), 'Auditors', 'admin', true)).toBe(true);
    await createGroup(ca.t, LOCAL, 'Help Desk');
    expect(await setGroupMember(ca.t, LOCAL, 'Help Desk', 'carol', true)).toBe(true);
    // Moving a user between the roles works in two steps: leave one, join the other.
    expect(await setGroupMember(ca.t, LOCAL, 'Certificate Managers', 'dave', false)).toBe(true);
    expect(await setGroupMember(ca.t, LOCAL, 'CA Administrators', 'dave', true)).toBe(true);
    expect(await setGroupMember(ca.t, LOCAL, 'CA Administrators', 'dave', false)).toBe(true);
  });

  it('refuses creating an account in both groups, audited as user.create_refused, and creates nothing', async () => {
    await expect(
      createUser(ca.t, await ca.actor('admin'), {
        username: 'eve',
        password: 'correct horse battery',
        groups: ['Certificate Managers', 'CA Administrators'],
      }),
    ).rejects.toMatchObject({ code: 'ROLE_CONFLICT' });
    expect(await ca.t.store.users.byUsername('eve')).toBeUndefined();
    const [rec] = await ca.t.store.audit.list({ action: 'user.create_refused', limit: 1 });
    expect(rec).toMatchObject({
      actor: 'admin',
      target: 'eve',
      details: { code: 'ROLE_CONFLICT', groups: ['Domain Users', 'Certificate Managers', 'CA Administrators'] },
    });
  });

  it('two concurrent additions of one user to the two role groups: exactly one succeeds', async () => {
    await ca.user('frank');
    const results = await Promise.allSettled([
      setGroupMember(ca.t, LOCAL, 'CA Administrators', 'frank', true),
      setGroupMember(ca.t, LOCAL, 'Certificate Managers', 'frank', true),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: 'ROLE_CONFLICT' });
    expect(
      (await groupsOf('frank')).filter((g) => g === 'CA Administrators' || g === 'Certificate Managers'),
    ).toHaveLength(1);
  });

  it('the REST API answers 403 ROLE_CONFLICT with the same rule (POST /api/v1/groups/{name}/members)', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/groups/Certificate%20Managers/members',
      headers: basic('admin'),
      payload: { username: 'admin' },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({
      code: 'ROLE_CONFLICT',
      hresult: '0x80094008 (-2146877432 CERTSRV_E_ROLECONFLICT)',
    });
    expect(await groupsOf('admin')).not.toContain('Certificate Managers');
  });

  it('an account holding both roles anyway (written past the rule) may neither approve nor administer', async () => {
    await ca.user('mallory', { groups: ['CA Administrators'] });
    const m = (await ca.t.store.users.byUsername('mallory'))!;
    await ca.t.store.groups.addMember((await ca.t.store.groups.byName('Certificate Managers'))!.id, m.id);
    const mallory: Actor = await ca.actor('mallory');
    const alice = (await ca.t.directory.findUser('alice'))!;
    const pending = await submit(ca.t, {
      request: opensslCsr('P-256').csr,
      template: 'Approved',
      requester: alice,
      source: 'test',
    });
    expect(pending.disposition).toBe('pending');
    await expect(resubmit(ca.t, mallory, pending.requestId)).rejects.toMatchObject({ code: 'ROLE_CONFLICT' });
    expect((await ca.t.store.requests.get(pending.requestId))?.disposition).toBe('pending');
    await expect(createGroup(ca.t, mallory, `G${randomBytes(3).toString('hex')}`)).rejects.toMatchObject({
      code: 'ROLE_CONFLICT',
    });
    // Another administrator takes one role away; then each role works again.
    expect(await setGroupMember(ca.t, await ca.actor('admin'), 'Certificate Managers', 'mallory', false)).toBe(true);
    expect((await resubmit(ca.t, await ca.actor('carol'), pending.requestId)).disposition).toBe('issued');
  });
});

describe('role separation switched off ("roleSeparation": false in tessera.json)', () => {
  it('lets one account hold both roles and act in both, while tessera.json refuses anything but a boolean', async () => {
    const ca = await newTestCa();
    const file = join(ca.dir, 'tessera.json');
    const config = await loadConfig(file);
    expect(config.roleSeparation).toBeUndefined(); // on by default
    expect(configProblems({ ...config, roleSeparation: 'no' as unknown as boolean })).toContain(
      'roleSeparation: true (the default) or false',
    );
    await saveConfig(file, { ...config, roleSeparation: false });
    await ca.t.close();
    const t = await Tessera.open(ca.dir, { caches: { ttlMs: 0 } });
    try {
      await createUser(t, LOCAL, {
        username: 'solo',
        displayName: 'Solo',
        email: 'solo@example.com',
        password: 'correct horse battery',
        groups: ['CA Administrators'],
      });
      await createUser(t, LOCAL, {
        username: 'alice',
        displayName: 'Alice',
        email: 'alice@example.com',
        password: 'correct horse battery',
      });
      const actor = async (name: string): Promise<Actor> => ({
        kind: 'user',
        user: (await t.directory.findUser(name))!,
        source: '127.0.0.1',
      });
      expect(await setGroupMember(t, await actor('solo'), 'Certificate Managers', 'solo', true)).toBe(true);
      const base = BUILTIN_TEMPLATES.find((x) => x.name === 'SmartcardUser')!;
      await saveTemplate(
        t,
        await actor('solo'),
        {
          ...base,
          name: 'Approved',
          displayName: 'Approved',
          enroll: ['Domain Users'],
          issuance: { ...base.issuance, managerApproval: true },
        },
        { create: true },
      );
      const pending = await submit(t, {
        request: opensslCsr('P-256').csr,
        template: 'Approved',
        requester: (await t.directory.findUser('alice'))!,
        source: 'test',
      });
      expect((await resubmit(t, await actor('solo'), pending.requestId)).disposition).toBe('issued');
    } finally {
      await t.close();
      rmSync(ca.dir, { recursive: true, force: true });
    }
  });
});
