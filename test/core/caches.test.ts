/**
 * The short-lived read caches of the issuance path (template/TemplateCatalog.ts,
 * directory/EmbeddedDirectory.ts, store/StoreChanges.ts): a change made through the
 * same Tessera is seen by the very next request; a change made elsewhere — the CLI beside
 * a running server, another node on PostgreSQL — within the time-to-live, never later.
 * The clock is injected, never slept on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { setUserEnabled } from '../../src/ra/admin/users.js';
import { submit } from '../../src/ra/submit.js';
import { Tessera } from '../../src/Tessera.js';
import { opensslCsr } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

const TTL = 2000;

describe.each(['sqlite', 'postgres'] as const)('read caches on %s', (engine) => {
  let ca: TestCa;
  /** The server under test, with a clock the test moves. */
  let server: Tessera;
  let clock = 1_000_000;
  /** Another process or node on the same database (the CLI beside the server). */
  let elsewhere: Tessera;
  const csr = opensslCsr('P-256').csr;

  beforeAll(async () => {
    ca = await newTestCa({ engine });
    await ca.user('dana');
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    server = await Tessera.open(ca.dir, { caches: { ttlMs: TTL, now: () => clock } });
    elsewhere = await Tessera.open(ca.dir, { withIssuingKey: false });
  });
  afterAll(async () => {
    await elsewhere?.close();
    await server?.close();
    await ca?.close();
  });

  const enroll = async (who = 'dana') =>
    submit(server, {
      request: csr,
      template: 'SmartcardUser',
      requester: (await server.directory.findUser(who))!,
      source: 'test',
    });

  it('refuses a user disabled through the same Tessera at once', async () => {
    await ca.user('erin');
    expect((await server.directory.findUser('erin'))?.enabled).toBe(true);
    await setUserEnabled(server, LOCAL, 'erin', false);
    expect((await server.directory.findUser('erin'))?.enabled).toBe(false);
    expect(await enroll('erin')).toMatchObject({ disposition: 'denied', code: 'USER_DISABLED' });
  });

  it('refuses a user disabled elsewhere within the time-to-live, and not a moment later', async () => {
    await ca.user('fay');
    expect(await enroll('fay')).toMatchObject({ disposition: 'issued' });
    await setUserEnabled(elsewhere, LOCAL, 'fay', false);
    clock += TTL - 1;
    // Still inside the bound the documentation promises (AD itself replicates slower).
    expect((await server.directory.findUser('fay'))?.enabled).toBe(true);
    clock += 1;
    expect((await server.directory.findUser('fay'))?.enabled).toBe(false);
    expect(await enroll('fay')).toMatchObject({ disposition: 'denied', code: 'USER_DISABLED' });
  });

  it('sees a template saved through the same Tessera at the next request', async () => {
    expect(await enroll()).toMatchObject({ disposition: 'issued' });
    await setTemplateGrant(server, LOCAL, 'SmartcardUser', 'Domain Users', false);
    expect(await enroll()).toMatchObject({ disposition: 'denied', code: 'ENROLL_DENIED' });
    await setTemplateGrant(server, LOCAL, 'SmartcardUser', 'Domain Users', true);
    expect(await enroll()).toMatchObject({ disposition: 'issued' });
  });

  it('sees a template saved elsewhere once the time-to-live has run out', async () => {
    expect(await enroll()).toMatchObject({ disposition: 'issued' });
    await setTemplateGrant(elsewhere, LOCAL, 'SmartcardUser', 'Domain Users', false);
    clock += TTL;
    expect(await enroll()).toMatchObject({ disposition: 'denied', code: 'ENROLL_DENIED' });
    await setTemplateGrant(elsewhere, LOCAL, 'SmartcardUser', 'Domain Users', true);
    clock += TTL;
    expect(await enroll()).toMatchObject({ disposition: 'issued' });
  });

  it('sees a group membership changed through the same Tessera at once', async () => {
    await ca.user('gil');
    const before = (await server.directory.findUser('gil'))!.groups;
    const { setGroupMember } = await import('../../src/ra/admin/groups.js');
    await setGroupMember(server, LOCAL, 'Domain Users', 'gil', false);
    expect((await server.directory.findUser('gil'))!.groups.length).toBe(before.length - 1);
  });

  it('hands out lookups nobody can change under the next request', async () => {
    const u = (await server.directory.findUser('dana'))!;
    expect(Object.isFrozen(u)).toBe(true);
    expect(Object.isFrozen(u.groups)).toBe(true);
    const tpl = (await server.templates.get('SmartcardUser'))!;
    expect(Object.isFrozen(tpl)).toBe(true);
  });

  it('keeps the audit chain whole through it all', async () => {
    expect(await server.store.audit.verify()).toMatchObject({ ok: true });
  });
});
