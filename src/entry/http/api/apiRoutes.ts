/**
 * The REST API plugin (`/api/v1`): JSON over HTTPS, its own cross-site and content-type
 * checks, authentication hook and problem+json error renderer (docs/development.md "Rules
 * the code keeps" 5: each entry is its own scope).
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';
import { crossSiteGuard, SAFE_METHODS } from '../auth/crossSiteGuard.js';
import { problemErrorHandler, sendProblem, toTesseraError } from '../problem.js';
import { requireBodyType, type BodyTypesConfig } from './requireBodyType.js';
import { adminRoutes } from './adminRoutes.js';
import type { ApiContext } from './ApiContext.js';
import { caRoutes } from './caRoutes.js';
import { certificateRoutes } from './certificateRoutes.js';
import { OPENAPI_INFO, ROUTE_DOCS } from './openapi.js';
import { requestRoutes } from './requestRoutes.js';
import { sessionRoutes } from './sessionRoutes.js';
import { templateRoutes } from './templateRoutes.js';

export async function apiRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  await app.register(swagger, OPENAPI_INFO as never);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const doc = ROUTE_DOCS[`${methods[0]} ${route.url}`];
    if (doc)
      route.schema = {
        ...(route.schema ?? {}),
        summary: doc.summary,
        description: `Who may call it: ${doc.access}.`,
        tags: [doc.tag],
      };
    else if (!methods.includes('HEAD')) route.schema = { ...(route.schema ?? {}), hide: true };
  });
  app.setErrorHandler((error, req, reply) => {
    ctx.metrics?.recordError(toTesseraError(error).code);
    return problemErrorHandler(error, req, reply);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, new TesseraError('NOT_FOUND', `no route ${req.method} ${req.url}`)),
  );
  // State changes: refused when a browser says another site sent them, and only JSON (or a
  // route's documented binary types) — both before authentication and before the body is read.
  const refuseCrossSite = crossSiteGuard(ctx.tessera);
  app.addHook('onRequest', async (req) => {
    if (SAFE_METHODS.has(req.method)) return;
    await refuseCrossSite(req);
    requireBodyType(req, (req.routeOptions.config as BodyTypesConfig | undefined)?.bodyTypes);
  });
  // Authentication runs for every API request; routes that need a caller ask for it.
  app.addHook('preHandler', async (req) => {
    req.principal = await ctx.auth.resolve(req);
    // A session cookie rides along on cross-site requests a browser makes; a state-changing
    // call authenticated by one must also prove it came from our page (synchroniser token).
    const p = req.principal;
    if (p?.method === 'session' && p.session && !SAFE_METHODS.has(req.method)) {
      if (req.headers['x-csrf-token'] !== ctx.auth.sessions.csrf(p.session))
        throw new TesseraError('CSRF_TOKEN_INVALID');
    }
  });
  await sessionRoutes(app, ctx);
  await requestRoutes(app, ctx);
  await certificateRoutes(app, ctx);
  await templateRoutes(app, ctx);
  await adminRoutes(app, ctx);
  await caRoutes(app, ctx);
  app.get('/openapi.json', async () => app.swagger());
}
