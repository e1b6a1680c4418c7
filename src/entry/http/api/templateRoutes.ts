/** /api/v1/templates — what the caller may enroll for; administrators read and change definitions. */
import type { FastifyInstance } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';
import { hasRole } from '../../../ra/Actor.js';
import { saveTemplate, setTemplateGrant } from '../../../ra/admin/templates.js';
import { mayEnroll } from '../../../policy/mayEnroll.js';
import { requirePrincipal, type ApiContext } from './ApiContext.js';
import { templateSummary } from './views.js';

export async function templateRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const t = ctx.tessera;
  const isAdmin = (req: import('fastify').FastifyRequest) =>
    hasRole(requirePrincipal(req).actor.user, t.config.roles, 'caAdministrators');

  app.get('/templates', async (req) => {
    const p = requirePrincipal(req);
    const all = (req.query as { all?: string }).all === 'true';
    if (all && !isAdmin(req)) throw new TesseraError('FORBIDDEN', 'only CA administrators list every template');
    const templates = (await t.templates.list()).filter((tpl) => all || (tpl.enabled && mayEnroll(p.actor.user, tpl)));
    return { templates: templates.map(templateSummary) };
  });

  app.get('/templates/:name', async (req) => {
    if (!isAdmin(req)) throw new TesseraError('FORBIDDEN', 'only CA administrators read template definitions');
    const name = (req.params as { name: string }).name;
    const tpl = await t.templates.get(name);
    if (!tpl) throw new TesseraError('TEMPLATE_UNKNOWN', name);
    return tpl;
  });

  app.post('/templates', async (req, reply) => {
    const p = requirePrincipal(req);
    const r = await saveTemplate(t, p.actor, req.body, { create: true });
    return reply.code(201).send({ ...r.template, version: r.version });
  });

  app.put('/templates/:name', async (req) => {
    const p = requirePrincipal(req);
    const name = (req.params as { name: string }).name;
    const body = req.body as { name?: string };
    if (!body || typeof body !== 'object' || body.name !== name)
      throw new TesseraError('INPUT_INVALID', 'the body is the whole template, with the same name as the URL');
    const r = await saveTemplate(t, p.actor, body);
    return { ...r.template, version: r.version };
  });

  app.post(
    '/templates/:name/grants',
    {
      schema: {
        body: {
          type: 'object',
          required: ['group'],
          properties: { group: { type: 'string', minLength: 1, maxLength: 256 } },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const p = requirePrincipal(req);
      const tpl = await setTemplateGrant(
        t,
        p.actor,
        (req.params as { name: string }).name,
        (req.body as { group: string }).group,
        true,
      );
      return { name: tpl.name, enroll: tpl.enroll };
    },
  );

  app.delete('/templates/:name/grants/:group', async (req) => {
    const p = requirePrincipal(req);
    const params = req.params as { name: string; group: string };
    const tpl = await setTemplateGrant(t, p.actor, params.name, params.group, false);
    return { name: tpl.name, enroll: tpl.enroll };
  });
}
