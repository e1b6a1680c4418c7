/**
 * The plain-HTTP listener: /pki (CRLs, CA certificates) and /ocsp, which relying parties
 * fetch over HTTP, and a redirect to HTTPS for everything else — without a form or a
 * cookie (docs/security.md §6.1, ESC8). The redirect target comes from the configured
 * site URL, never from the Host header (EJBCA CVE-2025-3026).
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Tessera } from '../../Tessera.js';
import { publicRoutes } from './publicRoutes.js';

export async function buildPublicApp(o: {
  tessera: Tessera;
  logger?: FastifyServerOptions['logger'];
}): Promise<FastifyInstance> {
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: 64 * 1024, return503OnClosing: true });
  const site = o.tessera.config.siteUrl.replace(/\/+$/, '');
  await app.register(publicRoutes, { tessera: o.tessera });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.startsWith('/') ? req.url : '/';
    return reply
      .code(301)
      .header('location', site + path)
      .type('text/plain')
      .send(`Moved to ${site}${path}\n`);
  });
  return app;
}
