/** /api/v1/users and /api/v1/groups — embedded-directory administration (CA administrators). */
import type { FastifyInstance } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';
import { requireRole } from '../../../ra/Actor.js';
import { createGroup, setGroupMember } from '../../../ra/admin/groups.js';
import { createUser, setUserEnabled, setUserPassword } from '../../../ra/admin/users.js';
import { requirePrincipal, type ApiContext } from './ApiContext.js';
import { userView } from './views.js';

const newUserSchema = {
  body: {
    type: 'object',
    required: ['username'],
    additionalProperties: false,
    properties: {
      username: { type: 'string', maxLength: 64 },
      displayName: { type: 'string', maxLength: 128 },
      email: { type: ['string', 'null'], maxLength: 256 },
      upn: { type: ['string', 'null'], maxLength: 256 },
      password: { type: 'string', maxLength: 1024 },
      enabled: { type: 'boolean' },
      groups: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 64 },
    },
  },
} as const;

export async function adminRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const t = ctx.tessera;

  app.get('/users', async (req) => {
    requireRole(requirePrincipal(req).actor, t.config, 'caAdministrators');
    const users = await Promise.all((await t.store.users.list()).map((u) => t.directory.findUser(u.username)));
    return { users: users.filter((u) => u !== undefined).map((u) => userView(u!)) };
  });

  app.post('/users', { schema: newUserSchema }, async (req, reply) => {
    const p = requirePrincipal(req);
    const u = await createUser(t, p.actor, req.body as Parameters<typeof createUser>[2]);
    return reply.code(201).send(userView((await t.directory.findUser(u.username))!));
  });

  app.get('/users/:name', async (req) => {
    const p = requirePrincipal(req);
    const name = (req.params as { name: string }).name;
    const self = name.toLowerCase() === p.actor.user.username.toLowerCase();
    if (!self) requireRole(p.actor, t.config, 'caAdministrators');
    const u = await t.directory.findUser(name);
    if (!u) throw new TesseraError('USER_UNKNOWN', name);
    return userView(u);
  });

  app.patch(
    '/users/:name',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { enabled: { type: 'boolean' }, password: { type: 'string', maxLength: 1024 } },
        },
      },
    },
    async (req) => {
      const p = requirePrincipal(req);
      const name = (req.params as { name: string }).name;
      const body = req.body as { enabled?: boolean; password?: string };
      if (body.enabled !== undefined) await setUserEnabled(t, p.actor, name, body.enabled);
      if (body.password !== undefined) await setUserPassword(t, p.actor, name, body.password);
      const u = await t.directory.findUser(name);
      return userView(u!);
    },
  );

  app.get('/groups', async (req) => {
    requireRole(requirePrincipal(req).actor, t.config, 'caAdministrators');
    return { groups: await t.store.groups.list() };
  });

  app.post(
    '/groups',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 64 }, description: { type: 'string', maxLength: 256 } },
        },
      },
    },
    async (req, reply) => {
      const p = requirePrincipal(req);
      const b = req.body as { name: string; description?: string };
      return reply.code(201).send(await createGroup(t, p.actor, b.name, b.description));
    },
  );

  app.get('/groups/:name', async (req) => {
    requireRole(requirePrincipal(req).actor, t.config, 'caAdministrators');
    const name = (req.params as { name: string }).name;
    const g = await t.store.groups.byName(name);
    if (!g) throw new TesseraError('NOT_FOUND', `group ${name}`);
    return { ...g, members: await t.store.groups.members(g.id) };
  });

  app.post(
    '/groups/:name/members',
    {
      schema: {
        body: {
          type: 'object',
          required: ['username'],
          additionalProperties: false,
          properties: { username: { type: 'string', maxLength: 64 } },
        },
      },
    },
    async (req) => {
      const p = requirePrincipal(req);
      const added = await setGroupMember(
        t,
        p.actor,
        (req.params as { name: string }).name,
        (req.body as { username: string }).username,
        true,
      );
      return { added };
    },
  );

  app.delete('/groups/:name/members/:username', async (req) => {
    const p = requirePrincipal(req);
    const params = req.params as { name: string; username: string };
    const removed = await setGroupMember(t, p.actor, params.name, params.username, false);
    if (!removed) throw new TesseraError('NOT_FOUND', `${params.username} is not in ${params.name}`);
    return { removed };
  });
}
