/**
 * The HTTPS application: REST API, certsrv pages, CRL/AIA and OCSP, health and metrics.
 * `buildApp` returns the Fastify instance without listening (tests use `app.inject()`);
 * startServer.ts listens. Only entry/ knows HTTP.
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Tessera } from '../../Tessera.js';
import { toPem } from '../../x509/pem.js';
import { apiRoutes } from './api/apiRoutes.js';
import { certsrvRoutes } from './certsrv/certsrvRoutes.js';
import { Authenticator } from './auth/Authenticator.js';
import { RateLimiter } from './auth/RateLimiter.js';
import { SessionTokens } from './auth/sessionToken.js';
import { healthRoutes } from './health.js';
import { Metrics, metricsRoutes } from './metrics.js';
import { problemErrorHandler } from './problem.js';
import { publicRoutes } from './publicRoutes.js';

export interface Limits {
  /**
   * Failed sign-ins per user and client address before each further attempt waits, 1 s doubling
   * up to 15 min (per address, all users: ten times this); docs/authentication.md. 0: off.
   */
  readonly authFailures?: number;
  /** Enrollment requests per user per minute. 0: off. */
  readonly enrollPerMinutePerUser?: number;
  /** Enrollment requests per client address per minute. 0: off. */
  readonly enrollPerMinutePerAddress?: number;
}

export interface AppOptions {
  readonly tessera: Tessera;
  /** HMAC key for session cookies (keys/session.key). */
  readonly sessionKey: Buffer;
  /** TLS material; without it the app is plain HTTP (tests with inject()). */
  readonly https?: {
    readonly key: string | Buffer;
    readonly cert: string | Buffer;
    readonly requestClientCertificates?: boolean;
  };
  readonly logger?: FastifyServerOptions['logger'];
  readonly limits?: Limits;
  readonly metrics?: Metrics;
  /** Where the smart card sign-in listener's "Test my smart card" page is, when it runs. */
  readonly signinUrl?: string;
}

/** Log redaction: credentials and cookies never reach the log (docs/security.md §6.5). */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.body.password',
  'req.body.Password',
];

export function loggerOptions(level = process.env.TESSERA_LOG_LEVEL ?? 'info'): FastifyServerOptions['logger'] {
  return { level, redact: { paths: REDACT, censor: '[redacted]' } };
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const t = o.tessera;
  const chain = t.chain();
  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: 256 * 1024,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    // Unknown fields are an error, not silently dropped: a misspelt "templte" must not
    // quietly fall back to another template.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    https: o.https
      ? {
          key: o.https.key,
          cert: o.https.cert,
          // Client certificates issued by Tessera authenticate API callers (mTLS); they are
          // requested but optional, and only chains to our own CAs are accepted.
          ca: chain.map((c) => toPem(c, 'CERTIFICATE')),
          requestCert: o.https.requestClientCertificates ?? true,
          rejectUnauthorized: false,
          minVersion: 'TLSv1.2',
        }
      : null,
  } as FastifyServerOptions) as unknown as FastifyInstance;

  const metrics = o.metrics ?? new Metrics();
  t.exits.register(metrics);
  const auth = new Authenticator(t, new SessionTokens(o.sessionKey, t), { freeFailures: o.limits?.authFailures });
  const ctx = {
    tessera: t,
    auth,
    enrollByUser: new RateLimiter(o.limits?.enrollPerMinutePerUser ?? 120, 60_000),
    enrollByAddress: new RateLimiter(o.limits?.enrollPerMinutePerAddress ?? 1200, 60_000),
    metrics,
    chainPem: chain.map((c) => toPem(c, 'CERTIFICATE')),
  };

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  app.setErrorHandler(problemErrorHandler);
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (o.https) reply.header('strict-transport-security', 'max-age=31536000');
  });
  await app.register(healthRoutes, { tessera: t, auth });
  app.get('/', async (_req, reply) => reply.redirect('/certsrv/', 302));
  await app.register(metricsRoutes, { tessera: t, auth, metrics });
  await app.register(async (api) => apiRoutes(api, ctx), { prefix: '/api/v1' });
  // As AD CS does, any other casing of /certsrv is redirected to /certsrv (docs/certsrv.md §1).
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0];
    if (/^\/certsrv(\/|$)/i.test(path) && !path.startsWith('/certsrv'))
      return reply.redirect(`/certsrv${req.url.slice(8)}`, 301);
    if (path === '/certsrv') return reply.redirect(`/certsrv/${req.url.slice(8)}`, 301);
  });
  await app.register(async (site) => certsrvRoutes(site, { tessera: t, auth, metrics, signinUrl: o.signinUrl }), {
    prefix: '/certsrv',
  });
  await app.register(publicRoutes, { tessera: t });
  app.decorate('tesseraAuth', auth);
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    tesseraAuth: Authenticator;
  }
}
