/**
 * The store's behavioural contract, run against SQLite and PostgreSQL alike: what each
 * repository keeps and returns, what the database itself enforces (unique serials, request
 * IDs under concurrency, dispositions that move only from the expected state), group
 * commit, and how driver failures are classified.
 *
 * Every test gets a database of its own (beforeEach) and sets up what it asserts, so counts
 * and lists are exact and no test depends on another having run before it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TesseraError } from '../../src/errors/TesseraError.js';
import { classifyStorageError, isUniqueViolation } from '../../src/store/storageErrors.js';
import type { NewRequest } from '../../src/store/records.js';
import { Store } from '../../src/store/Store.js';
import { tmpDir } from '../support/openssl.js';
import { newPgDatabase } from '../support/pg.js';
import { freePort } from '../support/ports.js';

const auditKey = randomBytes(32);
const T0 = new Date('2026-11-25T12:00:00.000Z');

function request(over: Partial<NewRequest> = {}): NewRequest {
  return {
    submittedAt: T0,
    requester: 'alice',
    subjectUser: 'alice',
    agent: null,
    template: 'SmartcardUser',
    format: 'pkcs10',
    requestDer: Buffer.from('3000', 'hex'),
    requestSha256: 'ab'.repeat(32),
    attributes: { certificatetemplate: 'SmartcardUser' },
    disposition: 'pending',
    code: null,
    message: 'Taken Under Submission.',
    source: '192.0.2.1',
    ...over,
  };
}

const serial = () => `4${randomBytes(16).toString('hex').slice(1)}`;

async function caErr(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const WORKER = fileURLToPath(new URL('../support/storeWorker.ts', import.meta.url));

/**
 * Another node on the same database, started and ready before `go()` lets it run, so its
 * work overlaps ours. On SQLite that is another process (locks are per process and
 * better-sqlite3 waits for them synchronously, so two connections in one process would
 * only deadlock); on PostgreSQL, another Store instance with its own pool.
 */
async function otherNode(
  engine: 'sqlite' | 'postgres',
  target: string,
  other: Store,
  job: 'insert' | 'approve' | 'audit',
  arg: number,
): Promise<{ go(): Promise<unknown> }> {
  if (engine === 'postgres') {
    return {
      go: async () => {
        if (job === 'approve')
          return other.transaction((tx) =>
            tx.requests.resolve(arg, ['pending'], {
              disposition: 'issuing',
              code: null,
              message: 'Issuing',
              resolvedAt: T0,
              resolvedBy: 'worker',
            }),
          );
        if (job === 'audit')
          return Promise.all(
            Array.from({ length: arg }, (_, i) =>
              other.batch((tx) => tx.audit.append({ actor: 'worker', action: 'test.concurrent', details: { i } })),
            ),
          );
        return Promise.all(
          Array.from({ length: arg }, () => other.batch((tx) => tx.requests.insert(request({ requester: 'worker' })))),
        );
      },
    };
  }
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, target, auditKey.toString('hex'), job, String(arg)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let errText = '';
  child.stderr.on('data', (d) => (errText += d));
  const exited = new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('ready\n')) resolve();
    });
    void exited.then((c) => reject(new Error(`worker exited ${c} before it was ready: ${errText}`)));
  });
  return {
    go: async () => {
      child.stdin.end('go\n');
      const code = await exited;
      if (code !== 0) throw new Error(`worker failed (${code}): ${errText}`);
      return JSON.parse(out.slice('ready\n'.length));
    },
  };
}

describe.each(['sqlite', 'postgres'] as const)('Store contract on %s', (engine) => {
  let target: string;
  let store: Store;
  /** A second Store on the same database: another process or another node. */
  let other: Store;

  // A fresh database per test, holding only the issuing CA that certificates refer to.
  beforeEach(async () => {
    target = engine === 'sqlite' ? join(tmpDir('store-'), 'tessera.db') : newPgDatabase('store');
    store = await Store.open(target, auditKey);
    other = await Store.open(target, auditKey);
    await store.cas.insert({
      id: 'issuing',
      name: 'Test Issuing CA',
      role: 'issuing',
      parentId: null,
      certificate: Buffer.from('3000', 'hex'),
      keyRef: 'keys/issuing.key.pem',
      renewal: 0,
      createdAt: T0,
    });
  });
  afterEach(async () => {
    await other?.close();
    await store?.close();
  });

  describe('migrations', () => {
    it('are idempotent: opening an existing database again changes nothing', async () => {
      const again = await Store.open(target, auditKey);
      expect((await again.cas.list()).map((c) => c.id)).toEqual(['issuing']);
      await again.close();
    });
  });

  describe('requests', () => {
    it('round-trips every field', async () => {
      const id = await store.requests.insert(request({ attributes: { san: 'upn=x', certificatetemplate: 'User' } }));
      const r = await store.requests.get(id);
      expect(r).toMatchObject({
        id,
        submittedAt: T0,
        requester: 'alice',
        subjectUser: 'alice',
        agent: null,
        template: 'SmartcardUser',
        format: 'pkcs10',
        requestSha256: 'ab'.repeat(32),
        attributes: { san: 'upn=x', certificatetemplate: 'User' },
        disposition: 'pending',
        code: null,
        message: 'Taken Under Submission.',
        serial: null,
        resolvedAt: null,
        resolvedBy: null,
        source: '192.0.2.1',
      });
      expect(Buffer.compare(r!.requestDer!, Buffer.from('3000', 'hex'))).toBe(0);
      expect(await store.requests.get(id + 100_000)).toBeUndefined();
    });

    it('moves a request only from the expected disposition', async () => {
      const id = await store.requests.insert(request());
      const at = new Date(T0.getTime() + 1000);
      expect(
        await store.requests.resolve(id, ['issuing'], {
          disposition: 'issued',
          code: null,
          message: 'Issued',
          resolvedAt: at,
          resolvedBy: 'carol',
        }),
      ).toBe(false);
      expect(
        await store.requests.resolve(id, ['pending'], {
          disposition: 'denied',
          code: 'DENIED_BY_MANAGER',
          message: 'no',
          resolvedAt: at,
          resolvedBy: 'carol',
        }),
      ).toBe(true);
      expect(
        await store.requests.resolve(id, ['pending'], {
          disposition: 'issuing',
          code: null,
          message: 'x',
          resolvedAt: at,
          resolvedBy: 'dave',
        }),
      ).toBe(false);
      expect(await store.requests.get(id)).toMatchObject({
        disposition: 'denied',
        code: 'DENIED_BY_MANAGER',
        resolvedAt: at,
        resolvedBy: 'carol',
      });
    });

    it('lets exactly one of two concurrent approvals win, across two nodes', async () => {
      for (let round = 0; round < 3; round++) {
        const id = await store.requests.insert(request());
        const node = await otherNode(engine, target, other, 'approve', id);
        const mine = () =>
          store.transaction((tx) =>
            tx.requests.resolve(id, ['pending'], {
              disposition: 'issuing',
              code: null,
              message: 'Issuing',
              resolvedAt: T0,
              resolvedBy: 'carol',
            }),
          );
        const results = await Promise.all([mine(), node.go()]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.requests.get(id))?.resolvedBy).toBe(results[0] ? 'carol' : 'worker');
      }
    });

    it('lists by disposition, requester (any case), page and limit, newest first', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++)
        ids.push(
          await store.requests.insert(request({ requester: 'ListUser', disposition: 'denied', code: 'ENROLL_DENIED' })),
        );
      // Another requester's requests, one denied and one pending, that the filters must leave out.
      const otherDenied = await store.requests.insert(
        request({ requester: 'bob', disposition: 'denied', code: 'ENROLL_DENIED' }),
      );
      const otherPending = await store.requests.insert(request({ requester: 'bob' }));
      const listed = await store.requests.list({ requester: 'listuser' });
      expect(listed.map((r) => r.id)).toEqual([...ids].reverse());
      expect((await store.requests.list({ requester: 'LISTUSER', limit: 2 })).map((r) => r.id)).toEqual([
        ids[2],
        ids[1],
      ]);
      expect((await store.requests.list({ requester: 'listuser', beforeId: ids[2] })).map((r) => r.id)).toEqual([
        ids[1],
        ids[0],
      ]);
      const denied = await store.requests.list({ disposition: 'denied' });
      expect(denied.every((r) => r.disposition === 'denied')).toBe(true);
      expect(denied.map((r) => r.id)).toEqual([otherDenied, ...[...ids].reverse()]);
      expect((await store.requests.list({ disposition: 'pending' })).map((r) => r.id)).toEqual([otherPending]);
    });

    it('finds requests left in issuing and counts dispositions', async () => {
      const id = await store.requests.insert(request({ disposition: 'issuing', message: 'Issuing' }));
      for (let i = 0; i < 2; i++) await store.requests.insert(request());
      await store.requests.insert(request({ disposition: 'denied', code: 'ENROLL_DENIED' }));
      expect((await store.requests.interrupted()).map((r) => r.id)).toEqual([id]);
      const counts = await store.requests.count();
      expect(counts).toEqual({ issuing: 1, pending: 2, denied: 1 });
      expect(counts.issuing).toBe(1);
      expect(counts.pending).toBe(2);
    });

    it('hands out unique, increasing request IDs to 200 concurrent group commits', async () => {
      const ids = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.batch((tx) => tx.requests.insert(request({ requestSha256: String(i).padStart(64, '0') }))),
        ),
      );
      expect(new Set(ids).size).toBe(200);
      // Units join the commit in the order they were queued, so IDs follow submission order.
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      for (let i = 0; i < 200; i += 50)
        expect((await store.requests.get(ids[i]))?.requestSha256).toBe(String(i).padStart(64, '0'));
    });

    it('hands out unique request IDs when two nodes insert at once', async () => {
      const node = await otherNode(engine, target, other, 'insert', 100);
      const [a, b] = (await Promise.all([
        Promise.all(Array.from({ length: 100 }, () => store.batch((tx) => tx.requests.insert(request())))),
        node.go(),
      ])) as [number[], number[]];
      expect(new Set([...a, ...b]).size).toBe(200);
      expect(a).toEqual([...a].sort((x, y) => x - y));
      expect(b).toEqual([...b].sort((x, y) => x - y));
      expect(
        (await store.requests.list({ requester: 'worker', limit: 1000 })).map((r) => r.id).sort((x, y) => x - y),
      ).toEqual(b);
      expect(await store.requests.count()).toEqual({ pending: 200 });
    });
  });

  describe('transactions and group commit', () => {
    it('rolls back everything a failing transaction wrote', async () => {
      const before = await store.requests.count();
      const err = await caErr(
        store.transaction(async (tx) => {
          await tx.requests.insert(request({ requester: 'rollback' }));
          await tx.audit.append({ actor: 'test', action: 'test.rollback' });
          throw new TesseraError('INPUT_INVALID', 'boom');
        }),
      );
      expect((err as TesseraError).code).toBe('INPUT_INVALID');
      expect(await store.requests.list({ requester: 'rollback' })).toEqual([]);
      expect(await store.requests.count()).toEqual(before);
      expect(await store.audit.list({ action: 'test.rollback' })).toEqual([]);
      expect((await store.audit.verify()).ok).toBe(true);
    });

    it('does not let one failing unit fail its neighbours in the same group commit', async () => {
      const units = Array.from({ length: 10 }, (_, i) =>
        store.batch(async (tx) => {
          const id = await tx.requests.insert(request({ requester: `neighbour${i}` }));
          if (i === 4) throw new TesseraError('REQUEST_NOT_PENDING', 'unit 4 fails');
          return id;
        }),
      );
      const settled = await Promise.allSettled(units);
      expect(settled.map((s) => s.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      expect(((settled[4] as PromiseRejectedResult).reason as TesseraError).code).toBe('REQUEST_NOT_PENDING');
      for (let i = 0; i < 10; i++)
        expect(await store.requests.list({ requester: `neighbour${i}` })).toHaveLength(i === 4 ? 0 : 1);
    });

    it('settles a unit only after its commit: the row is visible to another Store when the promise resolves', async () => {
      const id = await store.batch((tx) => tx.requests.insert(request({ requester: 'durable' })));
      expect((await other.requests.get(id))?.requester).toBe('durable');
    });
  });

  describe('certificates', () => {
    const reserve = (s: Store, sn: string, requestId = 1) =>
      s.certificates.reserve(
        {
          serial: sn,
          caId: 'issuing',
          requestId,
          subject: 'CN=Alice',
          subjectUser: 'alice',
          template: 'SmartcardUser',
          notBefore: T0,
          notAfter: new Date(T0.getTime() + 86_400_000),
          tbs: Buffer.from('30020500', 'hex'),
        },
        T0,
      );

    it('enforces unique serials in the database: a second reservation of a serial fails', async () => {
      const sn = serial();
      await reserve(store, sn);
      const err = await caErr(reserve(store, sn));
      expect(isUniqueViolation(err)).toBe(true);
      // Also from another node, and through a transaction (where it rolls the unit back).
      expect(isUniqueViolation(await caErr(reserve(other, sn)))).toBe(true);
      expect(await store.certificates.reserved()).toEqual([{ serial: sn, requestId: 1 }]);
    });

    it('reserves with the TBS, then issues, revokes and releases only from the right status', async () => {
      const sn = serial();
      const requestId = await store.requests.insert(request({ disposition: 'issuing' }));
      await reserve(store, sn, requestId);
      expect(await store.certificates.get(sn)).toMatchObject({
        status: 'reserved',
        der: null,
        requestId,
        caId: 'issuing',
        subjectUser: 'alice',
      });
      expect(await store.certificates.tbs(sn)).toEqual(Buffer.from('30020500', 'hex'));
      expect(await store.certificates.byRequest(requestId)).toBeUndefined();
      expect(await store.certificates.revoke(sn, T0, 1)).toBe(false);

      const der = Buffer.from('3003020101', 'hex');
      const issuedAt = new Date(T0.getTime() + 5000);
      await store.certificates.markIssued(sn, der, issuedAt);
      expect(await store.certificates.get(sn.toUpperCase())).toMatchObject({ status: 'issued', issuedAt });
      expect(Buffer.compare((await store.certificates.get(sn))!.der!, der)).toBe(0);
      expect((await store.certificates.byRequest(requestId))?.serial).toBe(sn);
      // markIssued and abandon touch reserved rows only.
      await store.certificates.abandon(sn);
      expect((await store.certificates.get(sn))?.status).toBe('issued');

      expect(await store.certificates.release(sn)).toBe(false);
      expect(await store.certificates.revoke(sn, issuedAt, 6)).toBe(true);
      expect(await store.certificates.revoke(sn, issuedAt, 1)).toBe(false);
      expect(await store.certificates.get(sn)).toMatchObject({
        status: 'revoked',
        revocationReason: 6,
        revokedAt: issuedAt,
      });
      expect(await store.certificates.release(sn)).toBe(true);
      expect(await store.certificates.get(sn)).toMatchObject({
        status: 'issued',
        revokedAt: null,
        revocationReason: null,
      });
      expect(await store.certificates.revoke(sn, issuedAt, 1)).toBe(true);
      expect(await store.certificates.release(sn)).toBe(false);
    });

    it('abandons a reservation that will never be signed', async () => {
      const sn = serial();
      await reserve(store, sn);
      await store.certificates.abandon(sn);
      expect((await store.certificates.get(sn))?.status).toBe('abandoned');
      expect((await store.certificates.reserved()).map((r) => r.serial)).not.toContain(sn);
      await store.certificates.markIssued(sn, Buffer.from('3000', 'hex'), T0);
      expect((await store.certificates.get(sn))?.status).toBe('abandoned');
    });

    it('refuses a certificate for a CA that does not exist', async () => {
      const err = await caErr(
        store.certificates.reserve(
          {
            serial: serial(),
            caId: 'nope',
            requestId: 1,
            subject: '',
            subjectUser: null,
            template: null,
            notBefore: T0,
            notAfter: T0,
            tbs: Buffer.alloc(1),
          },
          T0,
        ),
      );
      expect(err).toBeDefined();
    });

    it('lists by status and user and counts statuses', async () => {
      const sn = serial();
      await store.certificates.reserve(
        {
          serial: sn,
          caId: 'issuing',
          requestId: 1,
          subject: 'CN=Bob',
          subjectUser: 'Bob',
          template: 'User',
          notBefore: T0,
          notAfter: T0,
          tbs: Buffer.alloc(1),
        },
        T0,
      );
      // Another user's certificate, issued, that the filters must leave out.
      const issued = serial();
      await store.certificates.reserve(
        {
          serial: issued,
          caId: 'issuing',
          requestId: 2,
          subject: 'CN=Carol',
          subjectUser: 'carol',
          template: 'User',
          notBefore: T0,
          notAfter: T0,
          tbs: Buffer.alloc(1),
        },
        T0,
      );
      await store.certificates.markIssued(issued, Buffer.from('3000', 'hex'), T0);
      expect((await store.certificates.list({ subjectUser: 'BOB' })).map((c) => c.serial)).toEqual([sn]);
      const reserved = await store.certificates.list({ status: 'reserved' });
      expect(reserved.every((c) => c.status === 'reserved')).toBe(true);
      expect(reserved.map((c) => c.serial)).toEqual([sn]);
      expect((await store.certificates.list({ status: 'issued' })).map((c) => c.serial)).toEqual([issued]);
      expect(await store.certificates.countByStatus()).toEqual({ reserved: 1, issued: 1 });
    });
  });

  describe('users and groups', () => {
    it('creates users, finds them by name, UPN, SID and e-mail regardless of case', async () => {
      const u = await store.users.create({
        username: 'Erin',
        upn: 'Erin@Tessera.Local',
        email: 'erin@example.com',
        displayName: 'Erin E',
        sid: 'S-1-5-21-1-2-3-2001',
        dn: 'CN=Erin E,CN=Users,DC=tessera,DC=local',
        enabled: true,
        passwordHash: 'h1',
        createdAt: T0,
      });
      expect(u).toMatchObject({ username: 'Erin', enabled: true, createdAt: T0 });
      expect((await store.users.byUsername('erin'))?.id).toBe(u.id);
      expect((await store.users.byUpn('erin@tessera.local'))?.id).toBe(u.id);
      expect((await store.users.bySid('S-1-5-21-1-2-3-2001'))?.id).toBe(u.id);
      expect((await store.users.byEmail('ERIN@example.com')).map((x) => x.id)).toEqual([u.id]);
      expect(await store.users.passwordHash('ERIN')).toBe('h1');
      expect(await store.users.passwordHash('nobody')).toBeUndefined();
      await store.users.setEnabled(u.id, false);
      await store.users.setPasswordHash(u.id, 'h2');
      await store.users.update(u.id, { email: 'erin2@example.com', displayName: 'Erin Two' });
      expect(await store.users.byUsername('erin')).toMatchObject({
        enabled: false,
        email: 'erin2@example.com',
        displayName: 'Erin Two',
      });
      expect(await store.users.passwordHash('erin')).toBe('h2');
    });

    it('enforces unique usernames, UPNs and SIDs in the database; e-mail may repeat', async () => {
      const base = {
        email: 'shared@example.com',
        displayName: 'F',
        dn: 'CN=F',
        enabled: true,
        passwordHash: null,
        createdAt: T0,
      };
      await store.users.create({ ...base, username: 'frank', upn: 'frank@tessera.local', sid: 'S-1-5-21-1-2-3-2101' });
      expect(
        isUniqueViolation(
          await caErr(
            store.users.create({ ...base, username: 'frank', upn: 'other@tessera.local', sid: 'S-1-5-21-1-2-3-2102' }),
          ),
        ),
      ).toBe(true);
      expect(
        isUniqueViolation(
          await caErr(
            store.users.create({ ...base, username: 'frank2', upn: 'frank@tessera.local', sid: 'S-1-5-21-1-2-3-2103' }),
          ),
        ),
      ).toBe(true);
      expect(
        isUniqueViolation(
          await caErr(
            store.users.create({ ...base, username: 'frank3', upn: 'f3@tessera.local', sid: 'S-1-5-21-1-2-3-2101' }),
          ),
        ),
      ).toBe(true);
      await store.users.create({ ...base, username: 'frank4', upn: null, sid: 'S-1-5-21-1-2-3-2104' });
      expect((await store.users.byEmail('shared@example.com')).map((u) => u.username).sort()).toEqual([
        'frank',
        'frank4',
      ]);
    });

    it('keeps group memberships, idempotently', async () => {
      const g = await store.groups.create({
        name: 'Smartcard Users',
        sid: 'S-1-5-21-1-2-3-3001',
        description: 'may enroll',
        createdAt: T0,
      });
      const u = await store.users.create({
        username: 'gina',
        upn: 'gina@tessera.local',
        email: null,
        displayName: 'Gina',
        sid: 'S-1-5-21-1-2-3-2201',
        dn: 'CN=Gina',
        enabled: true,
        passwordHash: null,
        createdAt: T0,
      });
      expect((await store.groups.byName('smartcard users'))?.id).toBe(g.id);
      expect(await store.groups.addMember(g.id, u.id)).toBe(true);
      expect(await store.groups.addMember(g.id, u.id)).toBe(false);
      expect(await store.groups.groupsOf(u.id)).toEqual(['Smartcard Users']);
      expect(await store.groups.members(g.id)).toEqual([{ username: 'gina', displayName: 'Gina' }]);
      expect((await store.groups.list()).map((x) => [x.name, x.members])).toEqual([['Smartcard Users', 1]]);
      expect(await store.groups.removeMember(g.id, u.id)).toBe(true);
      expect(await store.groups.removeMember(g.id, u.id)).toBe(false);
      expect(await store.groups.groupsOf(u.id)).toEqual([]);
      expect(
        isUniqueViolation(
          await caErr(
            store.groups.create({
              name: 'Smartcard Users',
              sid: 'S-1-5-21-1-2-3-3002',
              description: '',
              createdAt: T0,
            }),
          ),
        ),
      ).toBe(true);
    });
  });

  describe('templates, meta and CAs', () => {
    it('versions template saves and finds them regardless of case', async () => {
      expect(await store.templates.put('Custom', { name: 'Custom', v: 1 }, 'admin', T0)).toBe(1);
      expect(await store.templates.put('Custom', { name: 'Custom', v: 2 }, 'admin2', new Date(T0.getTime() + 1))).toBe(
        2,
      );
      expect(await store.templates.get('custom')).toMatchObject({
        name: 'Custom',
        definition: { name: 'Custom', v: 2 },
        version: 2,
        updatedBy: 'admin2',
      });
      expect((await store.templates.list()).map((t) => t.name)).toEqual(['Custom']);
      expect(await store.templates.get('missing')).toBeUndefined();
    });

    it('keeps named values', async () => {
      expect(await store.meta.get('next_rid')).toBeUndefined();
      await store.meta.set('next_rid', '1100');
      await store.meta.set('next_rid', '1101');
      expect(await store.meta.get('next_rid')).toBe('1101');
    });

    it('keeps CA records', async () => {
      expect(await store.cas.get('issuing')).toMatchObject({
        id: 'issuing',
        role: 'issuing',
        parentId: null,
        active: true,
        renewal: 0,
      });
      expect(await store.cas.get('nope')).toBeUndefined();
    });
  });

  describe('sessions and sign-in failures', () => {
    const at = (ms: number) => new Date(T0.getTime() + ms);
    const session = (id: string, username: string, over: Partial<Parameters<Store['sessions']['create']>[0]> = {}) =>
      store.transaction((tx) =>
        tx.sessions.create({
          id,
          username,
          method: 'password',
          source: '192.0.2.7',
          roles: ['caAdministrators'],
          epoch: 0,
          createdAt: T0,
          expiresAt: at(3600_000),
          ...over,
        }),
      );

    it('keeps a session until it is ended or expires, and another node sees the end at once', async () => {
      await session('s-1', 'Hanna');
      expect(await other.sessions.active('s-1', at(1000))).toMatchObject({
        id: 's-1',
        username: 'Hanna',
        method: 'password',
        source: '192.0.2.7',
        roles: ['caAdministrators'],
        epoch: 0,
        createdAt: T0,
        expiresAt: at(3600_000),
        endedAt: null,
      });
      expect(await store.sessions.active('s-1', at(3600_000))).toBeUndefined();
      expect(await store.sessions.active('nope', at(1000))).toBeUndefined();
      expect(await store.transaction((tx) => tx.sessions.end('s-1', at(2000), 'signed_out'))).toBe(true);
      expect(await store.transaction((tx) => tx.sessions.end('s-1', at(3000), 'signed_out'))).toBe(false);
      expect(await other.sessions.active('s-1', at(2001))).toBeUndefined();
      expect(await other.sessions.get('s-1')).toMatchObject({ endedAt: at(2000), endReason: 'signed_out' });
    });

    it("ends all of a user's sessions in any letter case, moves the epoch on and voids sessions of the old epoch", async () => {
      await session('s-2', 'ivan');
      await session('s-3', 'Ivan', { method: 'smartcard', roles: [] });
      await session('s-4', 'ivy');
      expect(await store.sessions.epoch('IVAN')).toBe(0);
      expect((await store.sessions.listActive('ivan', at(1000))).map((x) => x.id).sort()).toEqual(['s-2', 's-3']);
      expect(await store.transaction((tx) => tx.sessions.endAllFor('IVAN', at(5000), 'password_set'))).toBe(2);
      expect(await other.sessions.epoch('ivan')).toBe(1);
      expect(await other.sessions.active('s-2', at(5001))).toBeUndefined();
      expect(await other.sessions.get('s-3')).toMatchObject({ endedAt: at(5000), endReason: 'password_set' });
      expect(await store.sessions.active('s-4', at(5001))).toMatchObject({ username: 'ivy' });
      // A row written after the reset by a sign-in that checked the password before it (epoch 0) is void.
      await session('s-5', 'ivan', { epoch: 0, createdAt: at(6000) });
      expect(await store.sessions.active('s-5', at(6001))).toBeUndefined();
      await session('s-6', 'ivan', { epoch: 1, createdAt: at(6000) });
      expect(await other.sessions.active('s-6', at(6001))).toMatchObject({ epoch: 1 });
      // s-6, and the void s-5 with it.
      expect(await store.transaction((tx) => tx.sessions.endAllFor('ivan', at(7000), 'account_disabled'))).toBe(2);
      expect(await store.sessions.epoch('ivan')).toBe(2);
      expect(await store.sessions.listActive('ivan', at(7001))).toEqual([]);
    });

    it('purges sessions that expired before the horizon', async () => {
      await session('s-old', 'jo', { expiresAt: at(-1) });
      await session('s-live', 'jo');
      expect(await store.sessions.purge(T0)).toBe(1);
      expect(await store.sessions.get('s-old')).toBeUndefined();
      expect(await store.sessions.get('s-live')).toMatchObject({ id: 's-live', username: 'jo' });
    });

    it('counts failures per (user, address) and per address, starting again after the forget horizon', async () => {
      const forget = (t: number) => ({ pair: at(t - 60_000), address: at(t - 30_000) });
      expect(await store.signinFailures.get('kim', '192.0.2.9')).toEqual({});
      expect(await store.transaction((tx) => tx.signinFailures.record('kim', '192.0.2.9', at(0), forget(0)))).toEqual({
        pair: 1,
        address: 1,
      });
      expect(
        await store.transaction((tx) => tx.signinFailures.record('kim', '192.0.2.9', at(1000), forget(1000))),
      ).toEqual({ pair: 2, address: 2 });
      expect(
        await store.transaction((tx) => tx.signinFailures.record('lee', '192.0.2.9', at(2000), forget(2000))),
      ).toEqual({ pair: 1, address: 3 });
      expect(await other.signinFailures.get('kim', '192.0.2.9')).toEqual({
        pair: { failures: 2, lastFailureAt: at(1000) },
        address: { failures: 3, lastFailureAt: at(2000) },
      });
      expect(await other.signinFailures.get('kim', '192.0.2.10')).toEqual({});
      // 40 s later the address count (30 s horizon) starts again, the pair's (60 s) does not.
      expect(
        await store.transaction((tx) => tx.signinFailures.record('kim', '192.0.2.9', at(42_000), forget(42_000))),
      ).toEqual({ pair: 3, address: 1 });
      await store.signinFailures.clear('kim', '192.0.2.9');
      expect(await store.signinFailures.get('kim', '192.0.2.9')).toEqual({
        address: { failures: 1, lastFailureAt: at(42_000) },
      });
      expect(await store.signinFailures.purge(at(42_000))).toBe(1);
      expect(await store.signinFailures.get('lee', '192.0.2.9')).toEqual({
        address: { failures: 1, lastFailureAt: at(42_000) },
      });
    });

    it('loses no failure when two nodes count at once', async () => {
      const forget = { pair: at(-60_000), address: at(-60_000) };
      await Promise.all([
        ...Array.from({ length: 10 }, () =>
          store.batch((tx) => tx.signinFailures.record('max', '198.51.100.1', T0, forget)),
        ),
        ...(engine === 'postgres'
          ? Array.from({ length: 10 }, () =>
              other.batch((tx) => tx.signinFailures.record('max', '198.51.100.1', T0, forget)),
            )
          : []),
      ]);
      expect((await store.signinFailures.get('max', '198.51.100.1')).pair?.failures).toBe(
        engine === 'postgres' ? 20 : 10,
      );
    });
  });

  describe('audit log', () => {
    it('appends numbered, hash-chained records inside the caller’s transaction and lists them', async () => {
      const seqs = await store.transaction(async (tx) => [
        await tx.audit.append({
          actor: 'carol',
          action: 'request.denied',
          requestId: 7,
          target: 'alice',
          source: '192.0.2.1',
          details: { code: 'ENROLL_DENIED' },
        }),
        await tx.audit.append({ actor: 'carol', action: 'certificate.revoked', serial: 'ab', details: {} }),
      ]);
      expect(seqs[1]).toBe(seqs[0] + 1);
      const [rec] = await store.audit.list({ requestId: 7 });
      expect(rec).toMatchObject({
        seq: seqs[0],
        actor: 'carol',
        action: 'request.denied',
        target: 'alice',
        requestId: 7,
        source: '192.0.2.1',
        details: { code: 'ENROLL_DENIED' },
      });
      expect(rec.hash).toMatch(/^[0-9a-f]{64}$/);
      expect((await store.audit.list({ action: 'certificate.revoked', serial: 'ab' })).map((r) => r.seq)).toEqual([
        seqs[1],
      ]);
      expect((await store.audit.list({ afterSeq: seqs[0] })).map((r) => r.seq)).toEqual([seqs[1]]);
      expect(await store.audit.verify()).toMatchObject({ ok: true });
      expect(await store.audit.verify()).toEqual({ ok: true, records: 2 });
    });

    it('stays one unbroken chain when two nodes append at once', async () => {
      const node = await otherNode(engine, target, other, 'audit', 20);
      const [mine, theirs] = (await Promise.all([
        Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.batch((tx) => tx.audit.append({ actor: 'node0', action: 'test.concurrent', details: { i } })),
          ),
        ),
        node.go(),
      ])) as [number[], number[]];
      expect(new Set([...mine, ...theirs]).size).toBe(40);
      const v = await store.audit.verify();
      expect(v).toMatchObject({ ok: true });
      expect(v).toEqual({ ok: true, records: 40 });
      expect((await store.audit.list({ action: 'test.concurrent', limit: 100 })).length).toBe(40);
      // verify pages through the log without losing its place.
      expect(await store.audit.verify(7)).toEqual(v);
    });

    it('starts two nodes on an empty log without colliding on the first record', async () => {
      const fresh = engine === 'sqlite' ? join(tmpDir('store-'), 'fresh.db') : newPgDatabase('fresh');
      // On PostgreSQL both nodes open (and migrate) at once; on SQLite `tessera init` creates the file first.
      const [a, b] =
        engine === 'postgres'
          ? await Promise.all([Store.open(fresh, auditKey), Store.open(fresh, auditKey)])
          : [await Store.open(fresh, auditKey), undefined];
      try {
        const node = await otherNode(engine, fresh, b!, 'audit', 1);
        await Promise.all([a.transaction((tx) => tx.audit.append({ actor: 'a', action: 'first' })), node.go()]);
        expect(await a.audit.verify()).toEqual({ ok: true, records: 2 });
      } finally {
        await b?.close();
        await a.close();
      }
    });

    it('refuses to verify with another key', async () => {
      await store.transaction((tx) => tx.audit.append({ actor: 'carol', action: 'request.denied', details: {} }));
      expect(await store.audit.verify()).toEqual({ ok: true, records: 1 });
      const wrongKey = await Store.open(target, randomBytes(32));
      try {
        expect((await wrongKey.audit.verify()).ok).toBe(false);
      } finally {
        await wrongKey.close();
      }
    });
  });

  describe('storage failures', () => {
    it('classifies a full SQLite database as STORAGE_FULL and changes nothing', async () => {
      if (engine !== 'sqlite') {
        // PostgreSQL cannot be filled here; its SQLSTATE 53100 is mapped below.
        expect(
          (classifyStorageError(Object.assign(new Error('could not extend file'), { code: '53100' })) as TesseraError)
            .code,
        ).toBe('STORAGE_FULL');
        return;
      }
      const file = join(tmpDir('full-'), 'full.db');
      const small = await Store.open(file, auditKey);
      try {
        const pages = Number(
          (await sql<{ page_count: number }>`PRAGMA page_count`.execute(small.db)).rows[0].page_count,
        );
        await sql.raw(`PRAGMA max_page_count = ${pages + 2}`).execute(small.db);
        const before = await small.requests.count();
        const err = await caErr(
          small.batch((tx) => tx.requests.insert(request({ requestDer: randomBytes(64 * 1024) }))),
        );
        expect(err).toBeInstanceOf(TesseraError);
        expect((err as TesseraError).code).toBe('STORAGE_FULL');
        expect(await small.requests.count()).toEqual(before);
      } finally {
        await small.close();
      }
    });

    it('lets no raw driver error out: unique constraint ALREADY_EXISTS, outage STORAGE_UNAVAILABLE', async () => {
      const sn = serial();
      const reserve = (s: Store) =>
        s.certificates.reserve(
          {
            serial: sn,
            caId: 'issuing',
            requestId: 1,
            subject: 'CN=A',
            subjectUser: 'a',
            template: 'T',
            notBefore: T0,
            notAfter: T0,
            tbs: Buffer.from('3000', 'hex'),
          },
          T0,
        );
      await reserve(store);
      // Outside a transaction too: every query goes through the classifying driver.
      const dup = await caErr(reserve(store));
      expect(dup).toBeInstanceOf(TesseraError);
      expect((dup as TesseraError).code).toBe('ALREADY_EXISTS');
      expect(isUniqueViolation(dup)).toBe(true);
      const unknown = await caErr(sql.raw('select * from no_such_table').execute(store.db));
      expect(unknown).toBeInstanceOf(TesseraError);
      expect((unknown as TesseraError).code).toBe('INTERNAL');
      // A connection the database refuses: read-only SQLite (SQLITE_READONLY), a PostgreSQL
      // backend terminated by the server (57P01).
      const down = await Store.open(target, auditKey);
      try {
        if (engine === 'sqlite') await sql.raw('PRAGMA query_only = 1').execute(down.db);
        const err = await caErr(
          engine === 'sqlite'
            ? down.requests.insert(request())
            : sql.raw('select pg_terminate_backend(pg_backend_pid())').execute(down.db),
        );
        expect(err).toBeInstanceOf(TesseraError);
        expect((err as TesseraError).code).toBe('STORAGE_UNAVAILABLE');
      } finally {
        await down.close();
      }
    });

    it('maps driver errors to the registry and leaves others alone', () => {
      const code = (e: unknown) => (classifyStorageError(e) as TesseraError).code;
      expect(code(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe('STORAGE_FULL');
      expect(code(Object.assign(new Error('write'), { code: 'ENOSPC' }))).toBe('STORAGE_FULL');
      expect(code(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }))).toBe(
        'STORAGE_UNAVAILABLE',
      );
      expect(code(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe('STORAGE_UNAVAILABLE');
      expect(code(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
        'STORAGE_UNAVAILABLE',
      );
      expect(
        code(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })),
      ).toBe('STORAGE_UNAVAILABLE');
      expect(code(Object.assign(new Error('database "x" does not exist'), { code: '3D000' }))).toBe(
        'STORAGE_UNAVAILABLE',
      );
      expect(code(Object.assign(new Error('password authentication failed'), { code: '28P01' }))).toBe(
        'STORAGE_UNAVAILABLE',
      );
      const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
      expect(classifyStorageError(unique)).toBe(unique);
      const te = new TesseraError('INPUT_INVALID');
      expect(classifyStorageError(te)).toBe(te);
    });
  });
});

describe('an unreachable database', () => {
  it('fails fast with STORAGE_UNAVAILABLE when PostgreSQL is not listening', async () => {
    const port = await freePort();
    const t0 = performance.now();
    const err = await caErr(Store.open(`postgres://tessera:secret@127.0.0.1:${port}/tessera`, auditKey));
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(TesseraError);
    expect((err as TesseraError).code).toBe('STORAGE_UNAVAILABLE');
    // The detail is for the log; it never carries the password.
    expect((err as TesseraError).detail ?? '').not.toContain('secret');
  });

  it('fails with STORAGE_UNAVAILABLE when the PostgreSQL database does not exist', async () => {
    const url = newPgDatabase('exists').replace(/\/[^/]+$/, '/no_such_database');
    expect(((await caErr(Store.open(url, auditKey))) as TesseraError).code).toBe('STORAGE_UNAVAILABLE');
  });

  it('fails with STORAGE_UNAVAILABLE when the SQLite file cannot be created', async () => {
    const err = await caErr(Store.open(join(tmpDir('nodir-'), 'missing', 'dir', 'tessera.db'), auditKey));
    expect((err as TesseraError).code).toBe('STORAGE_UNAVAILABLE');
  });
});
