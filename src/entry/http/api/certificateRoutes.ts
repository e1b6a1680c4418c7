/** /api/v1/certificates — read (PEM/DER/JSON by Accept), revoke, release from hold. */
import type { FastifyInstance } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';
import { canSeeAll } from '../../../ra/retrieve.js';
import { parseReason, release, revoke } from '../../../ra/revoke.js';
import { parseSerial, prefers, requirePrincipal, type ApiContext } from './ApiContext.js';
import { certificateView, pem } from './views.js';

export async function certificateRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const t = ctx.tessera;

  app.get('/certificates', async (req) => {
    const p = requirePrincipal(req);
    const q = req.query as { user?: string; status?: string; limit?: string };
    const all = canSeeAll(t, p.actor);
    if (q.user && !all && q.user.toLowerCase() !== p.actor.user.username.toLowerCase()) throw new TesseraError('FORBIDDEN', 'only managers and auditors list other users’ certificates');
    if (q.status && !['issued', 'revoked'].includes(q.status)) throw new TesseraError('INPUT_INVALID', 'status: issued or revoked');
    const rows = await t.store.certificates.list({
      subjectUser: all ? q.user : p.actor.user.username,
      status: (q.status as 'issued' | 'revoked' | undefined) ?? undefined,
      limit: Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 1000),
    });
    return { certificates: rows.filter((c) => c.status === 'issued' || c.status === 'revoked').map(certificateView) };
  });

  app.get('/certificates/:serial', async (req, reply) => {
    const p = requirePrincipal(req);
    const serial = parseSerial((req.params as { serial: string }).serial);
    const c = await t.store.certificates.get(serial);
    const own = c?.subjectUser?.toLowerCase() === p.actor.user.username.toLowerCase();
    // Someone else's certificate looks exactly like a missing one.
    if (!c || !c.der || (!own && !canSeeAll(t, p.actor))) throw new TesseraError('CERT_NOT_FOUND', serial);
    const want = prefers(req, 'application/pkix-cert', 'application/x-pem-file', 'text/plain');
    if (want === 'application/pkix-cert') return reply.type('application/pkix-cert').send(c.der);
    if (want) return reply.type(want).send(pem(c.der));
    return certificateView(c);
  });

  app.post(
    '/certificates/:serial/revoke',
    { schema: { body: { type: ['object', 'null'], properties: { reason: { type: 'string', maxLength: 40 } }, additionalProperties: false } } },
    async (req) => {
      const p = requirePrincipal(req);
      const serial = parseSerial((req.params as { serial: string }).serial);
      const body = (req.body ?? {}) as { reason?: string };
      const r = await revoke(t, p.actor, serial, parseReason(body.reason));
      return { serial: r.serial, status: 'revoked', reason: r.reason, revokedAt: r.revokedAt.toISOString() };
    },
  );

  app.post('/certificates/:serial/release', async (req) => {
    const p = requirePrincipal(req);
    const serial = parseSerial((req.params as { serial: string }).serial);
    await release(t, p.actor, serial);
    return { serial, status: 'issued' };
  });
}
