/**
 * What relying parties fetch without credentials, on both the HTTPS and the plain-HTTP
 * listener: CRLs and CA certificates under /pki (RFC 5280 §4.2.1.13 / §4.2.2.1 expect
 * plain HTTP) and the OCSP responder. Provided by the revocation plugins when present.
 */
import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../Tessera.js';

export async function publicRoutes(app: FastifyInstance, opts: { tessera: Tessera }): Promise<void> {
  const t = opts.tessera;
  // Until the revocation plugins register their richer routes, serve the CA certificates.
  app.get('/pki/:file', async (req, reply) => {
    const m = /^([a-z0-9-]+)\.(cer|crt)$/.exec((req.params as { file: string }).file);
    const ca = m && t.cas.find((c) => c.id === m[1] && c.active);
    if (!ca) return reply.code(404).send({ status: 404, code: 'NOT_FOUND' });
    return reply.type('application/pkix-cert').header('cache-control', 'public, max-age=86400').send(ca.certificate);
  });
}
