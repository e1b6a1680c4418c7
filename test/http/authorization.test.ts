/**
 * The authorization matrix (docs/security.md §6.7): every REST endpoint ×
 * (anonymous, user, other user, enrollment agent, manager, administrator, auditor),
 * asserting exactly who is allowed. "Allowed" is a 2xx; the refusals are 401 for no
 * credentials, 403 for a missing role, and 404 where a resource of someone else must not
 * even be confirmed to exist.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { submit } from '../../src/ra/submit.js';
import { opensslCsr } from '../support/openssl.js';
import { LOCAL, type TestCa } from '../support/tessera.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { basic, buildTestApp } from '../support/app.js';

type Who = 'anonymous' | 'user' | 'other' | 'agent' | 'manager' | 'admin' | 'auditor';
const WHO: Who[] = ['anonymous', 'user', 'other', 'agent', 'manager', 'admin', 'auditor'];
const ACCOUNT: Record<Exclude<Who, 'anonymous'>, string> = {
  user: 'alice',
  other: 'bob',
  agent: 'agent',
  manager: 'manager',
  admin: 'admin',
  auditor: 'auditor',
};

interface Case {
  readonly name: string;
  /** Who gets a 2xx; everyone else the given refusal. */
  readonly allowed: readonly Who[];
  /** The refusal status for authenticated callers not allowed (anonymous always gets 401, unless public). */
  readonly refusal?: 403 | 404;
  readonly public?: boolean;
  readonly call: (
    headers: Record<string, string>,
  ) => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>;
}

let ca: TestCa;
let app: FastifyInstance;
let seq = 0;

async function issueFor(user: string, template = 'SmartcardUser'): Promise<{ serial: string; requestId: number }> {
  const u = (await ca.t.directory.findUser(user))!;
  const r = await submit(ca.t, { request: opensslCsr('P-256').csr, template, requester: u, source: 'test' });
  if (!r.serial) throw new Error(`not issued: ${r.code} ${r.message}`);
  return { serial: r.serial, requestId: r.requestId };
}

async function pendingFor(user: string): Promise<number> {
  const u = (await ca.t.directory.findUser(user))!;
  const r = await submit(ca.t, {
    request: opensslCsr('P-256').csr,
    template: 'SmartcardApproval',
    requester: u,
    source: 'test',
  });
  if (r.disposition !== 'pending') throw new Error(`not pending: ${r.code}`);
  return r.requestId;
}

beforeAll(async () => {
  // alice (Smartcard Users), carol, manager, admin; Smartcard User and the SmartcardApproval copy.
  ca = await newCertsrvCa();
  await ca.user('bob', { groups: ['Smartcard Users'] });
  await ca.user('agent', { groups: ['Enrollment Agents'] });
  await ca.user('auditor', { groups: ['Auditors'] });
  app = await buildTestApp(ca);
});
afterAll(async () => {
  await app?.close();
  await ca?.close();
});

const inject = (method: string, url: string, body?: unknown) => (headers: Record<string, string>) =>
  app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body as object }) });

const csrBody = () => ({ csr: opensslCsr('P-256').csr, template: 'SmartcardUser' });
const templateCopy = async (name: string) => ({
  ...(await ca.t.templates.get('SmartcardUser'))!,
  name,
  displayName: name,
  schemaVersion: 2 as const,
  oid: `2.25.${1000 + seq}`,
});

const CASES: Case[] = [
  {
    name: 'POST /requests (Smartcard User)',
    allowed: ['user', 'other'],
    refusal: 403,
    call: (h) => inject('POST', '/api/v1/requests', csrBody())(h),
  },
  {
    name: 'GET /requests',
    allowed: ['user', 'other', 'agent', 'manager', 'admin', 'auditor'],
    call: inject('GET', '/api/v1/requests'),
  },
  {
    name: "GET /requests/:id (alice's)",
    allowed: ['user', 'manager', 'admin', 'auditor'],
    refusal: 404,
    call: async (h) => inject('GET', `/api/v1/requests/${(await issueFor('alice')).requestId}`)(h),
  },
  {
    name: "POST /requests/:id/approve (alice's)",
    allowed: ['manager'],
    refusal: 403,
    call: async (h) => inject('POST', `/api/v1/requests/${await pendingFor('alice')}/approve`)(h),
  },
  {
    name: "POST /requests/:id/deny (alice's)",
    allowed: ['manager'],
    refusal: 403,
    call: async (h) => inject('POST', `/api/v1/requests/${await pendingFor('alice')}/deny`, { reason: 'no' })(h),
  },
  {
    name: 'GET /certificates',
    allowed: ['user', 'other', 'agent', 'manager', 'admin', 'auditor'],
    call: inject('GET', '/api/v1/certificates'),
  },
  {
    name: 'GET /certificates?user=alice',
    allowed: ['user', 'manager', 'admin', 'auditor'],
    refusal: 403,
    call: inject('GET', '/api/v1/certificates?user=alice'),
  },
  {
    name: "GET /certificates/:serial (alice's)",
    allowed: ['user', 'manager', 'admin', 'auditor'],
    refusal: 404,
    call: async (h) => inject('GET', `/api/v1/certificates/${(await issueFor('alice')).serial}`)(h),
  },
  {
    name: "POST /certificates/:serial/revoke (alice's, keyCompromise)",
    allowed: ['user', 'manager'],
    refusal: 404,
    call: async (h) =>
      inject('POST', `/api/v1/certificates/${(await issueFor('alice')).serial}/revoke`, { reason: 'keyCompromise' })(h),
  },
  {
    name: "POST /certificates/:serial/release (alice's, on hold)",
    allowed: ['manager'],
    refusal: 403,
    call: async (h) => {
      const { serial } = await issueFor('alice');
      await inject('POST', `/api/v1/certificates/${serial}/revoke`, { reason: 'certificateHold' })(basic('manager'));
      return inject('POST', `/api/v1/certificates/${serial}/release`)(h);
    },
  },
  {
    name: 'GET /templates',
    allowed: ['user', 'other', 'agent', 'manager', 'admin', 'auditor'],
    call: inject('GET', '/api/v1/templates'),
  },
  {
    name: 'GET /templates?all=true',
    allowed: ['admin'],
    refusal: 403,
    call: inject('GET', '/api/v1/templates?all=true'),
  },
  {
    name: 'GET /templates/:name',
    allowed: ['admin'],
    refusal: 403,
    call: inject('GET', '/api/v1/templates/SmartcardUser'),
  },
  {
    name: 'POST /templates',
    allowed: ['admin'],
    refusal: 403,
    call: async (h) => inject('POST', '/api/v1/templates', await templateCopy(`Copy${++seq}`))(h),
  },
  {
    name: 'PUT /templates/:name',
    allowed: ['admin'],
    refusal: 403,
    call: async (h) =>
      inject('PUT', '/api/v1/templates/SmartcardApproval', {
        ...(await ca.t.templates.get('SmartcardApproval'))!,
        validityDays: 300 + (++seq % 50),
      })(h),
  },
  {
    name: 'POST /templates/:name/grants',
    allowed: ['admin'],
    refusal: 403,
    call: inject('POST', '/api/v1/templates/SmartcardApproval/grants', { group: 'Smartcard Users' }),
  },
  {
    name: 'DELETE /templates/:name/grants/:group',
    allowed: ['admin'],
    refusal: 403,
    call: async (h) => {
      await setTemplateGrant(ca.t, LOCAL, 'SmartcardApproval', 'Auditors', true);
      return inject('DELETE', '/api/v1/templates/SmartcardApproval/grants/Auditors')(h);
    },
  },
  { name: 'GET /users', allowed: ['admin'], refusal: 403, call: inject('GET', '/api/v1/users') },
  {
    name: 'POST /users',
    allowed: ['admin'],
    refusal: 403,
    call: (h) => inject('POST', '/api/v1/users', { username: `new${++seq}`, password: 'another good password' })(h),
  },
  { name: 'GET /users/alice', allowed: ['user', 'admin'], refusal: 403, call: inject('GET', '/api/v1/users/alice') },
  {
    name: 'PATCH /users/carol (disable)',
    allowed: ['admin'],
    refusal: 403,
    call: inject('PATCH', '/api/v1/users/carol', { enabled: true }),
  },
  {
    name: 'PATCH /users/alice (own password)',
    allowed: ['user', 'admin'],
    refusal: 403,
    call: inject('PATCH', '/api/v1/users/alice', { password: 'correct horse battery' }),
  },
  { name: 'GET /groups', allowed: ['admin'], refusal: 403, call: inject('GET', '/api/v1/groups') },
  {
    name: 'POST /groups',
    allowed: ['admin'],
    refusal: 403,
    call: (h) => inject('POST', '/api/v1/groups', { name: `Group ${++seq}` })(h),
  },
  {
    name: 'GET /groups/:name',
    allowed: ['admin'],
    refusal: 403,
    call: inject('GET', '/api/v1/groups/Smartcard%20Users'),
  },
  {
    name: 'POST /groups/:name/members',
    allowed: ['admin'],
    refusal: 403,
    call: inject('POST', '/api/v1/groups/Auditors/members', { username: 'carol' }),
  },
  {
    name: 'DELETE /groups/:name/members/:user',
    allowed: ['admin'],
    refusal: 403,
    call: async (h) => {
      await app.inject({
        method: 'POST',
        url: '/api/v1/groups/Domain%20Users/members',
        headers: basic('admin'),
        payload: { username: 'carol' },
      });
      await app.inject({
        method: 'POST',
        url: '/api/v1/groups/Enrollment%20Agents/members',
        headers: basic('admin'),
        payload: { username: 'carol' },
      });
      return inject('DELETE', '/api/v1/groups/Enrollment%20Agents/members/carol')(h);
    },
  },
  { name: 'GET /ca', allowed: WHO, public: true, call: inject('GET', '/api/v1/ca') },
  { name: 'DELETE /session', allowed: WHO, public: true, call: inject('DELETE', '/api/v1/session') },
  { name: 'GET /openapi.json', allowed: WHO, public: true, call: inject('GET', '/api/v1/openapi.json') },
  {
    name: 'GET /me',
    allowed: ['user', 'other', 'agent', 'manager', 'admin', 'auditor'],
    call: inject('GET', '/api/v1/me'),
  },
  { name: 'GET /audit', allowed: ['admin', 'auditor'], refusal: 403, call: inject('GET', '/api/v1/audit') },
  {
    name: 'GET /audit/verify',
    allowed: ['admin', 'auditor'],
    refusal: 403,
    call: inject('GET', '/api/v1/audit/verify'),
  },
  {
    name: 'GET /metrics (from another host)',
    allowed: ['admin', 'auditor'],
    refusal: 403,
    call: (h) => app.inject({ method: 'GET', url: '/metrics', headers: h, remoteAddress: '10.1.2.3' }),
  },
  {
    name: 'GET /metrics (from loopback)',
    allowed: ['admin', 'auditor'],
    refusal: 403,
    call: (h) => app.inject({ method: 'GET', url: '/metrics', headers: h, remoteAddress: '127.0.0.1' }),
  },
  {
    name: 'GET /readyz (from another host)',
    allowed: ['user', 'other', 'agent', 'manager', 'admin', 'auditor'],
    call: (h) => app.inject({ method: 'GET', url: '/readyz', headers: h, remoteAddress: '10.1.2.3' }),
  },
];

describe('REST authorization matrix', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      for (const who of WHO) {
        const allowed = c.allowed.includes(who);
        const expected = allowed ? '2xx' : who === 'anonymous' ? 401 : (c.refusal ?? 403);
        it(`${who} → ${expected}`, async () => {
          const headers = who === 'anonymous' ? {} : basic(ACCOUNT[who]);
          const res = await c.call(headers);
          if (allowed) expect(res.statusCode, res.body).toBeLessThan(300);
          else expect(res.statusCode, res.body).toBe(expected);
          if (!allowed && who === 'anonymous') expect(res.headers['www-authenticate']).toMatch(/^Basic /);
        });
      }
    });
  }
});
