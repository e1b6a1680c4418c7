/**
 * Prometheus metrics (`/metrics`): requests by disposition and template, issuance
 * latency, storage errors, plus the process defaults. Fed by an exit module, so
 * counting never sits on the issuance path. Read by CA administrators and auditors
 * (any authentication method); loopback callers without credentials only when
 * `monitoring.metricsWithoutCredentials` is "loopback" (config/monitoringSettings.ts).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { metricsAccess } from '../../config/monitoringSettings.js';
import { TesseraError } from '../../errors/TesseraError.js';
import type { ExitEvent, ExitModule } from '../../exit/ExitModule.js';
import { hasRole } from '../../ra/Actor.js';
import type { Tessera } from '../../Tessera.js';
import type { Authenticator } from './auth/Authenticator.js';
import { isLoopback } from './isLoopback.js';

export class Metrics implements ExitModule {
  readonly name = 'metrics';
  readonly registry = new Registry();
  readonly requests: Counter<'disposition' | 'template'>;
  readonly issuance: Histogram<'template'>;
  readonly storageErrors: Counter<'code'>;
  readonly httpErrors: Counter<'code'>;

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'tessera_' });
    this.requests = new Counter({
      name: 'tessera_requests_total',
      help: 'Certificate requests by disposition and template',
      labelNames: ['disposition', 'template'],
      registers: [this.registry],
    });
    this.issuance = new Histogram({
      name: 'tessera_issuance_seconds',
      help: 'Time from receiving a request to the certificate being durably committed',
      labelNames: ['template'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [this.registry],
    });
    this.storageErrors = new Counter({
      name: 'tessera_database_errors_total',
      help: 'Requests that failed because the database was unavailable or full',
      labelNames: ['code'],
      registers: [this.registry],
    });
    this.httpErrors = new Counter({
      name: 'tessera_errors_total',
      help: 'Refused or failed HTTP requests by error code',
      labelNames: ['code'],
      registers: [this.registry],
    });
  }

  notify(e: ExitEvent): void {
    switch (e.kind) {
      case 'issued':
        this.requests.inc({ disposition: 'issued', template: e.template });
        this.issuance.observe({ template: e.template }, e.latencyMs / 1000);
        break;
      case 'pending':
      case 'denied':
      case 'failed':
        this.requests.inc({ disposition: e.kind, template: e.template ?? 'none' });
        break;
      default:
    }
  }

  recordError(code: string): void {
    this.httpErrors.inc({ code });
    if (code === 'STORAGE_UNAVAILABLE' || code === 'STORAGE_FULL') this.storageErrors.inc({ code });
  }
}

export async function metricsRoutes(
  app: FastifyInstance,
  o: { tessera: Tessera; auth: Authenticator; metrics: Metrics },
): Promise<void> {
  const t = o.tessera;
  app.get('/metrics', async (req, reply) => {
    if (!(metricsAccess(t.config) === 'loopback' && isLoopback(req.ip))) {
      const p = await o.auth.resolve(req);
      if (!p) throw new TesseraError('AUTH_REQUIRED');
      const u = p.actor.user;
      if (!hasRole(u, t.config.roles, 'caAdministrators') && !hasRole(u, t.config.roles, 'auditors'))
        throw new TesseraError('FORBIDDEN', 'metrics are for administrators and auditors');
    }
    return reply.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics());
  });
}
