/** /api/v1/ca — the issuing CA's chain (public). /api/v1/me — who am I. /api/v1/audit — auditors. */
import type { FastifyInstance } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';
import { hasRole, rolesOf } from '../../../ra/Actor.js';
import { certsOnlyPkcs7 } from '../../../x509/certsOnlyPkcs7.js';
import { requirePrincipal, prefers, type ApiContext } from './ApiContext.js';
import { userView } from './views.js';

export async function caRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const t = ctx.tessera;

  app.get('/ca', async (req, reply) => {
    const chain = t.chain();
    if (prefers(req, 'application/x-pkcs7-certificates', 'application/pkcs7-mime'))
      return reply.type('application/x-pkcs7-certificates').send(certsOnlyPkcs7(chain));
    const issuing = t.caCertificate(t.config.issuingCa);
    return {
      name: issuing.subject,
      organization: t.config.organization,
      notAfter: issuing.notAfter.toISOString(),
      chain: ctx.chainPem,
      crl: `${t.config.publicUrl.replace(/\/+$/, '')}/pki/${t.config.issuingCa}.crl`,
      ocsp: `${t.config.publicUrl.replace(/\/+$/, '')}/ocsp`,
    };
  });

  app.get('/me', async (req) => {
    const p = requirePrincipal(req);
    return { ...userView(p.actor.user), roles: rolesOf(p.actor.user, t.config.roles), authenticatedBy: p.method };
  });

  const requireAuditor = (req: import('fastify').FastifyRequest) => {
    const p = requirePrincipal(req);
    if (
      !hasRole(p.actor.user, t.config.roles, 'auditors') &&
      !hasRole(p.actor.user, t.config.roles, 'caAdministrators')
    )
      throw new TesseraError('FORBIDDEN', 'only auditors and CA administrators read the audit log');
  };

  app.get('/audit', async (req) => {
    requireAuditor(req);
    const q = req.query as {
      action?: string;
      actor?: string;
      requestId?: string;
      serial?: string;
      limit?: string;
      after?: string;
    };
    const records = await t.store.audit.list({
      action: q.action,
      actor: q.actor,
      requestId: q.requestId ? Number(q.requestId) : undefined,
      serial: q.serial,
      limit: Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 1000),
      afterSeq: q.after ? Number(q.after) : undefined,
    });
    return { records };
  });

  app.get('/audit/verify', async (req) => {
    requireAuditor(req);
    return t.store.audit.verify();
  });
}
