/**
 * What relying parties fetch without credentials, on both the HTTPS and the plain-HTTP
 * listener: CRLs and CA certificates under /pki (RFC 5280 §4.2.1.13 / §4.2.2.1 expect
 * plain HTTP) and the OCSP responder at /ocsp (RFC 6960 Appendix A).
 */
import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../Tessera.js';
import ocspRoutes from './ocsp/ocspRoutes.js';
import pkiRoutes from './pki/pkiRoutes.js';

export async function publicRoutes(app: FastifyInstance, opts: { tessera: Tessera }): Promise<void> {
  await app.register(pkiRoutes, { tessera: opts.tessera });
  await app.register(ocspRoutes, { tessera: opts.tessera });
}
