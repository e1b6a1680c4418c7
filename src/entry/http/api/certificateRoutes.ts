/** /api/v1/certificates — read (PEM/DER/JSON by Accept), revoke, release from hold. */
import type { FastifyInstance } from 'fastify';
import { listCertificates, readCertificate } from '../../../ra/readCertificates.js';
import { parseReason, release, revoke } from '../../../ra/revoke.js';
import { parseSerial, prefers, optionalReasonBody, reasonOf, requirePrincipal, type ApiContext } from './ApiContext.js';
import { certificateView, pem } from './views.js';

export async function certificateRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const t = ctx.tessera;

  app.get('/certificates', async (req) => {
    const p = requirePrincipal(req);
    const q = req.query as { user?: string; status?: string; limit?: string };
    const limit = Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 1000);
    const rows = await listCertificates(t, p.actor, { user: q.user, status: q.status, limit });
    return { certificates: rows.map(certificateView) };
  });

  app.get('/certificates/:serial', async (req, reply) => {
    const p = requirePrincipal(req);
    const serial = parseSerial((req.params as { serial: string }).serial);
    const c = await readCertificate(t, p.actor, serial);
    const want = prefers(req, 'application/pkix-cert', 'application/x-pem-file', 'text/plain');
    if (want === 'application/pkix-cert') return reply.type('application/pkix-cert').send(c.der);
    if (want) return reply.type(want).send(pem(c.der));
    return certificateView(c);
  });

  app.post('/certificates/:serial/revoke', optionalReasonBody(40), async (req) => {
    const p = requirePrincipal(req);
    const serial = parseSerial((req.params as { serial: string }).serial);
    const r = await revoke(t, p.actor, serial, parseReason(reasonOf(req)));
    return { serial: r.serial, status: 'revoked', reason: r.reason, revokedAt: r.revokedAt.toISOString() };
  });

  app.post('/certificates/:serial/release', async (req) => {
    const p = requirePrincipal(req);
    const serial = parseSerial((req.params as { serial: string }).serial);
    await release(t, p.actor, serial);
    return { serial, status: 'issued' };
  });
}
